{#-
    Data tests of incremental models that check only the rows a build wrote (DuckDB).

    An incremental build writes a few rows into tables of millions; a test of every row re-proves,
    on every run, what earlier builds already proved of the rows they wrote (at M the uniqueness
    tests of the 10M-row event and identifier tables took about 1 s each). A test configured with
    `meta: {new_rows_by: <column>}` names the column holding the dlt load a row was derived from
    (the lineage `load_id`), and in an incremental `dbt build` checks only the rows of loads the
    last build had not seen, provided that build ran and passed every model and data test.

    Why that still catches every defect a build introduces, for a model whose every written row
    carries the load id of a load the previous build had not seen (append-only events; the person
    record tables, whose inserted rows derive from unseen staging rows only):
      - the rows such a build leaves untouched were written, and passed these tests, by that
        build or an earlier one; deleting rows (the models' pre-hooks forget rows whose source
        left) can create neither a NULL nor a value outside a list nor a repeated key;
      - `not_null`, `accepted_values` and every other test of single rows: a defect sits in a
        written row, which is checked;
      - `unique`, `unique_combination_of_columns`: a repeated key needs two rows, at least one of
        them written by this build (two untouched rows passed before), so the keys of the written
        rows are looked for among all rows: a semi-join of a few keys, not a grouping of millions;
      - `relationships` are never restricted: a deleted parent row can orphan an untouched child.
    Models that re-insert stored rows with their old lineage (keyed staging picks the newest
    version among the new and the stored rows) keep whole-table uniqueness tests.

    `meta: {written_rows_by: <column>}` is the same for a model whose rows carry the build that
    wrote them instead: every row a build writes holds one value of the column, greater than that
    of every row the build leaves (int_identity__links' `resolved_at`: the clock, or just after
    the newest stored value should the clock have gone back; macros/incremental/consumed_marks.sql).
    The rows holding the column's largest value are then every row this build wrote (and, if it
    wrote none, those of the last build that did, which passed: checking them again only costs
    their few rows). The same argument holds, read with "rows written since the last tested
    build" for "rows of unseen loads". `meta: {written_at_run_start: <column>}` is the same for a
    column holding dbt's `run_started_at` of the invocation that wrote the row (`run_start_stamp`:
    customer_events' `written_at`), or just after the newest stored value should the clock have
    gone back (int_identity__record_customers' `assigned_at`): the rows
    stamped at or after this invocation's start are every row it wrote (and any stamped later by
    a clock that has since gone back: a few rows checked again). A model qualifies whatever it
    re-inserts, since the stamp is the writing build's, not the row's lineage.

    Every test checks every row when
      - the invocation is not a `dbt build` (a plain `dbt test` audits the whole warehouse),
        or is a `--full-refresh`, which rewrites rows under their old lineage;
      - the previous invocation that could write models (build, run, seed, snapshot, retry,
        clone; also one that failed or was killed before its end) did not build every model and
        pass every data test of the project, as they are defined now (a new or changed test sees
        every row once);
      - the engine is not DuckDB (Spark rebuilds these models as tables).
    Writes outside dbt (a hand-made UPDATE) are not rows a build wrote: `dbt test` checks them.

    The ledger: `dbt_invocation_log` (one row per writing invocation, marked when it ends) and
    `dbt_invocation_loads` (the dlt loads complete when it started: the rows it derived from; kept
    for the latest invocation and the one before it only), in the target schema, written by the
    project's on-run-start and on-run-end hooks.
-#}

{% macro writing_commands() -%}
    {{ return(['build', 'run', 'seed', 'snapshot', 'retry', 'clone']) }}
{%- endmacro %}


{% macro invocation_log() -%}
    {{ return(target.schema ~ '.dbt_invocation_log') }}
{%- endmacro %}


{% macro invocation_loads() -%}
    {{ return(target.schema ~ '.dbt_invocation_loads') }}
{%- endmacro %}


{#- on-run-start: a writing invocation enters the ledger, unfinished, with the loads it can read. -#}
{% macro log_invocation_start() -%}
    {%- if not execute or target.type != 'duckdb' or flags.WHICH not in open_cdp.writing_commands() -%}
        {{ return('') }}
    {%- endif -%}
    {%- call statement('invocation_ledger') -%}
        create table if not exists {{ open_cdp.invocation_log() }} (
            sequence bigint,
            invocation_id varchar,
            command varchar,
            started_at timestamp,
            tests_fingerprint varchar,
            built_and_tested_everything boolean
        );
        create table if not exists {{ open_cdp.invocation_loads() }} (invocation_id varchar, load_id varchar);
        {#- Only the previous invocation's loads are ever read: keeping every invocation's would
            add all loads so far on every run (thousands of rows a day after a year of runs). -#}
        delete from {{ open_cdp.invocation_loads() }}
        where invocation_id not in (
            select invocation_id from {{ open_cdp.invocation_log() }} order by sequence desc limit 1
        );
        insert into {{ open_cdp.invocation_log() }}
        select
            coalesce(max(sequence), 0) + 1, '{{ invocation_id }}', '{{ flags.WHICH }}',
            {{ open_cdp.run_start_stamp() }},
            '{{ open_cdp.tests_fingerprint() }}', null
        from {{ open_cdp.invocation_log() }};
        {%- set ledgers = open_cdp.completed_load_ledgers() %}
        {%- if ledgers %}
        insert into {{ open_cdp.invocation_loads() }}
        {%- for ledger in ledgers %}
        select '{{ invocation_id }}', load_id from {{ ledger }} where status = 0
        {%- if not loop.last %} union all{% endif %}
        {%- endfor %};
        {%- endif %}
    {%- endcall -%}
    {#- dbt rolls back what a hook leaves open -#}
    {%- do adapter.commit() -%}
    {{ return('') }}
{%- endmacro %}


{#- on-run-end: whether every model, seed, snapshot and data test of the project ran and passed
    (not the unit tests, which check logic on fixed rows). A selection, a failure, or `--empty`
    rows leave it false. -#}
{% macro log_invocation_end(results) -%}
    {%- if not execute or target.type != 'duckdb' or flags.WHICH not in open_cdp.writing_commands() -%}
        {{ return('') }}
    {%- endif -%}
    {%- set passed = [] -%}
    {%- for result in results if result.status in ['success', 'pass'] -%}
        {%- do passed.append(result.node.unique_id) -%}
    {%- endfor -%}
    {%- set everything = [] -%}
    {%- for node in graph.nodes.values()
        if node.resource_type in ['model', 'seed', 'snapshot', 'test'] and node.config.materialized != 'ephemeral' -%}
        {%- do everything.append(node.unique_id) -%}
    {%- endfor -%}
    {%- set complete = not invocation_args_dict.get('empty') and not invocation_args_dict.get('sample')
        and everything | reject('in', passed) | list | length == 0 -%}
    {%- call statement('invocation_ledger_end') -%}
        update {{ open_cdp.invocation_log() }}
        set built_and_tested_everything = {{ 'true' if complete else 'false' }}
        where invocation_id = '{{ invocation_id }}'
    {%- endcall -%}
    {%- do adapter.commit() -%}
    {{ return('') }}
{%- endmacro %}


{#- The `_dlt_loads` ledgers of the raw datasets present in the warehouse. -#}
{% macro completed_load_ledgers() -%}
    {%- set ledgers = [] -%}
    {%- for source in graph.sources.values() | sort(attribute='unique_id') if source.name == '_dlt_loads' -%}
        {%- set relation = adapter.get_relation(source.database, source.schema, source.identifier) -%}
        {%- if relation is not none -%}
            {%- do ledgers.append(relation) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(ledgers) }}
{%- endmacro %}


{#- What a data test proves depends on its definition. Test macros are not in dbt's graph: a
    change to one changes the project's fingerprint, which makes the Dagster build a full refresh
    (orchestration/built_project.py). -#}
{% macro tests_fingerprint() -%}
    {%- set parts = [] -%}
    {%- for node in graph.nodes.values() | sort(attribute='unique_id') if node.resource_type == 'test' -%}
        {%- do parts.append([node.unique_id, node.raw_code, node.test_metadata, node.config.where, node.config.meta, node.depends_on.macros] | string) -%}
    {%- endfor -%}
    {{ return(local_md5(parts | join('\n'))) }}
{%- endmacro %}


{#- SQL condition selecting the rows the build wrote, when the running test checks only those
    (see the top of this file); else none. With `meta.new_rows_by`: rows of a load that was not
    complete when the last tested build started. With `meta.written_rows_by`: rows holding the
    largest value of that column in `relation`, the tested table (every row a build writes holds
    one value, greater than that of every row it leaves). With `meta.written_at_run_start`: rows
    stamped at or after this invocation's start. Columns are qualified by `alias`. -#}
{% macro written_rows_condition(relation, alias=none) -%}
    {%- set meta = config.get('meta') or {} -%}
    {%- set load_column = meta.get('new_rows_by') -%}
    {%- set marker_column = meta.get('written_rows_by') -%}
    {%- set stamp_column = meta.get('written_at_run_start') -%}
    {%- if not ((load_column or marker_column or stamp_column) and execute and target.type == 'duckdb' and flags.WHICH == 'build' and not flags.FULL_REFRESH) -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set previous = open_cdp.last_tested_build() -%}
    {%- if previous is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set prefix = alias ~ '.' if alias else '' -%}
    {%- set conditions = [] -%}
    {%- if load_column -%}
        {%- do conditions.append(
            '(' ~ prefix ~ load_column ~ ' is null or ' ~ prefix ~ load_column ~ ' not in ('
            ~ ' select load_id from ' ~ open_cdp.invocation_loads()
            ~ " where invocation_id = '" ~ previous ~ "'))"
        ) -%}
    {%- endif -%}
    {%- if marker_column -%}
        {#- A row without the mark is checked too, as one without a load id is. -#}
        {%- do conditions.append(
            '(' ~ prefix ~ marker_column ~ ' is null or ' ~ prefix ~ marker_column
            ~ ' = (select max(' ~ marker_column ~ ') from ' ~ relation ~ '))'
        ) -%}
    {%- endif -%}
    {%- if stamp_column -%}
        {%- do conditions.append(
            '(' ~ prefix ~ stamp_column ~ ' is null or ' ~ prefix ~ stamp_column ~ ' >= '
            ~ open_cdp.run_start_stamp() ~ ')'
        ) -%}
    {%- endif -%}
    {{ return(conditions | join(' and ')) }}
{%- endmacro %}


{#- The previous invocation that could write models, if it built and passed everything under
    today's data tests; else none. -#}
{% macro last_tested_build() -%}
    {%- set previous = run_query(
        "select invocation_id, built_and_tested_everything, tests_fingerprint from "
        ~ open_cdp.invocation_log() ~ " where invocation_id <> '" ~ invocation_id ~ "'"
        ~ " order by sequence desc limit 1"
    ) -%}
    {%- if previous.rows | length == 1 and previous.rows[0][1] and previous.rows[0][2] == open_cdp.tests_fingerprint() -%}
        {{ return(previous.rows[0][0]) }}
    {%- endif -%}
    {{ return(none) }}
{%- endmacro %}


{#- dbt's `where` config, and for tests restricted by their `meta` (other than the uniqueness
    tests, which restrict their keys themselves) only the rows this build wrote. -#}
{% macro duckdb__get_where_subquery(relation) -%}
    {%- set conditions = [] -%}
    {%- if config.get('where') -%}
        {%- do conditions.append('(' ~ config.get('where') ~ ')') -%}
    {%- endif -%}
    {%- if model.test_metadata.name not in ['unique', 'unique_combination_of_columns'] -%}
        {%- set written = open_cdp.written_rows_condition(relation) -%}
        {%- if written -%}
            {%- do conditions.append(written) -%}
        {%- endif -%}
    {%- endif -%}
    {%- if conditions -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ conditions | join(' and ') }}) dbt_subquery
        {%- endset -%}
        {{ return(filtered) }}
    {%- endif -%}
    {{ return(relation) }}
{%- endmacro %}
