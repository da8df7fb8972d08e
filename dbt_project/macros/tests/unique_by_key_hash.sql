{#-
    Uniqueness tests on DuckDB, found through a 64-bit hash of the key first.

    Grouping ten million text keys builds a hash table of strings; at M (1M people) the plain
    `group by key having count(*) > 1` of the big tables took 2-4 s each. Sorting one integer
    per row finds the hashes that repeat for about half of that, and only rows with such a hash
    are grouped on their real values. Rows that share a key share its hash, so every failing key
    is among them, and a hash collision only costs a comparison: the result is exactly the
    plain test's. Other adapters keep dbt's own SQL.

    In an incremental `dbt build`, a test configured with `meta: {new_rows_by: ...}`,
    `{written_rows_by: ...}` or `{written_at_run_start: ...}` looks only for the keys of the rows
    the build wrote, among all rows (tested_builds.sql says when that proves as much as checking
    every key).
-#}

{#- Rows of `model` whose hash of `key_columns` is shared with another row, filtered by `where`. -#}
{% macro rows_with_repeated_key_hash(model, key_columns, where='true') -%}
    {%- set key_hash = 'hash(' ~ key_columns | join(', ') ~ ')' -%}
    with key_hashes as (
        select {{ key_hash }} as key_hash from {{ model }} where {{ where }}
    ),

    repeated_hashes as (
        select key_hash
        from (
            select key_hash, lag(key_hash) over (order by key_hash) as previous_hash
            from key_hashes
        ) as sorted_hashes
        where key_hash = previous_hash
    )

    select * from {{ model }}
    where {{ where }} and {{ key_hash }} in (select key_hash from repeated_hashes)
{%- endmacro %}

{#- dbt's `unique`: same columns as dbt's, NULL values ignored. dbt dispatches `test_unique` in its own
    namespace, where this project's macros come first (as for dbt.safe_cast, macros/spark). -#}
{% macro duckdb__test_unique(model, column_name) %}
    {%- set written = open_cdp.written_rows_condition(model) -%}
    {%- if written %}
    {#- Only the keys of the rows this build wrote, each against every row (tested_builds.sql). -#}
    select
        {{ column_name }} as unique_field,
        count(*) as n_records
    from {{ model }}
    where {{ column_name }} in (
        select {{ column_name }} from {{ model }} where {{ written }}
    )
    group by {{ column_name }}
    having count(*) > 1
    {%- else %}
    select
        {{ column_name }} as unique_field,
        count(*) as n_records
    from ({{ open_cdp.rows_with_repeated_key_hash(model, [column_name], column_name ~ ' is not null') }}) as candidates
    group by {{ column_name }}
    having count(*) > 1
    {%- endif %}
{% endmacro %}

{#- The project's `unique_combination_of_columns` (tests/generic): NULL keys compared as equal. -#}
{% macro default__test_unique_combination_of_columns(model, combination_of_columns) %}
    select {{ combination_of_columns | join(', ') }}, count(*) as rows_with_key
    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}
    having count(*) > 1
{% endmacro %}

{% macro duckdb__test_unique_combination_of_columns(model, combination_of_columns) %}
    {%- set written = open_cdp.written_rows_condition(model, 'written') -%}
    {%- set first_column = combination_of_columns[0] -%}
    select {{ combination_of_columns | join(', ') }}, count(*) as rows_with_key
    {% if written -%}
    {#- Only the keys of the rows this build wrote, each against every row (tested_builds.sql).
        A row repeating a written key shares its first column with a written row (NULLs equal),
        which narrows millions of rows to a few before grouping on every column; at M a
        semi-join on that column took half the time of one on a hash of all three. -#}
    from {{ model }} as candidates
    where exists (
        select 1 from {{ model }} as written
        where {{ written }}
            and written.{{ first_column }} is not distinct from candidates.{{ first_column }}
    )
    {% else -%}
    from ({{ open_cdp.rows_with_repeated_key_hash(model, combination_of_columns) }}) as candidates
    {% endif -%}
    group by {{ combination_of_columns | join(', ') }}
    having count(*) > 1
{% endmacro %}
