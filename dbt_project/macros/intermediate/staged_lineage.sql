{#-
  Incremental person-record models (int_identity__records, int_identity__record_identifiers).

  Their rows are functions of one staging row each, and every row keeps that staging row's lineage
  (`load_id`, `source_file`, `source_line`: the raw row it was normalized from). Staging keeps
  exactly one row per key and replaces it, with a new lineage, whenever a newer version arrives
  (macros/staging/keyed_versions.sql). So a stored row is current exactly when a staging row with
  its lineage is still there, and an incremental run:
    1. forgets the rows whose lineage left staging (a newer version replaced the staging row, or
       an erasure deleted it), in a pre-hook;
    2. derives rows only from the staging rows whose lineage it does not hold.
  Both steps read one comparison of every staging row with every stored row, which a first
  pre-hook makes into a temporary table of the differences (thousands of rows): comparing once
  per step cost about 1.5 CPU-s each at M (10M stored identifiers).
  A raw row's lineage names its landing file, and a landing file feeds one raw table, so the
  lineage alone tells staging rows of different models apart.

  An erasure that redacts a raw row in place (another customer's row naming the person) keeps its
  lineage, so an incremental run would keep the rows derived from it: the erasure therefore
  rebuilds with `--full-refresh` (orchestration/privacy/deletion.py, `rebuild_models`).

  Spark builds these models as tables, so the macros are no-ops there and the models rebuild whole.
-#}

{#- First pre-hook: the lineages that differ between `models` and this model, in a temporary
    table of the build's connection (`lineage_changes_table`), which the second pre-hook and the
    model read. `is_staged` tells a staging row this model holds no rows of (true) from a stored
    row whose staging row is gone (false): a full outer join keeps each side's unmatched rows,
    so one comparison gives both lists. Renders nothing on a full build. -#}
{% macro note_lineage_changes(models) -%}
    {%- if is_incremental() %}
    create or replace temporary table {{ lineage_changes_table() }} as
    select
        coalesce(staged.load_id, kept.load_id) as load_id,
        coalesce(staged.source_file, kept.source_file) as source_file,
        coalesce(staged.source_line, kept.source_line) as source_line,
        staged.is_staged is not null as is_staged
    from (
        select load_id, source_file, source_line, true as is_staged
        from ({{ staged_lineage(models) }}) as lineage
    ) as staged
    full outer join (
        select load_id, source_file, source_line, true as is_kept from {{ this }}
    ) as kept
        on {{ same_lineage('staged', 'kept') }}
    where staged.is_staged is null or kept.is_kept is null
    {%- endif %}
{%- endmacro %}


{#- Second pre-hook: delete the rows whose staging row is gone. A stored row with a null in its
    lineage matches no staging row, so `is not distinct from` finds it among the changes (the
    comparison it replaced deleted such a row too). Not under --empty, where every staging row
    seems gone (macros/incremental/empty_refs.sql). -#}
{% macro forget_rows_whose_staged_row_left() -%}
    {%- if is_incremental() and not open_cdp.keeps_stored_rows() %}
    delete from {{ this }} as kept
    where exists (
        select 1 from {{ lineage_changes_table() }} as gone
        where not gone.is_staged
            and gone.load_id is not distinct from kept.load_id
            and gone.source_file is not distinct from kept.source_file
            and gone.source_line is not distinct from kept.source_line
    )
    {%- endif %}
{%- endmacro %}


{#- CTE (with its trailing comma, so it opens a `with` list) of the lineage of the staging rows
    this model holds no rows of, as the first pre-hook found them: an incremental build of the
    model runs only after its pre-hooks (`dbt show` renders the full build instead,
    macros/incremental/previews.sql). Renders nothing on a full build. -#}
{% macro unseen_lineage() -%}
    {%- if is_incremental() %}
unseen_lineage as (
    select load_id, source_file, source_line
    from {{ lineage_changes_table() }}
    where is_staged
),
    {%- endif %}
{%- endmacro %}


{#- `relation` (one of the models of `unseen_lineage`) reduced to the rows this model has not
    derived rows from; the relation itself on a full build. Rendered as a relation, so a caller
    may alias it. -#}
{% macro unseen_staged_rows(relation) -%}
    {%- if is_incremental() -%}
    (
        select * from {{ relation }} as staged
        where exists (
            select 1 from unseen_lineage as unseen where {{ same_lineage('unseen', 'staged') }}
        )
    )
    {%- else -%}
    {{ relation }}
    {%- endif -%}
{%- endmacro %}


{#- Temporary: each build's connection has its own, and a failed build rolls it back with the
    rows its pre-hooks deleted. -#}
{% macro lineage_changes_table() -%}
    {{ adapter.quote(this.identifier ~ '__lineage_changes') }}
{%- endmacro %}


{#- The staging models person records are read from. -#}
{% macro person_record_staging_models() -%}
    {{ return([
        'stg_hubspot__contacts', 'stg_hubspot__deals', 'stg_mailchimp__members',
        'stg_stripe__customers', 'stg_stripe__charges', 'stg_stripe__refunds',
        'stg_vnpay__transactions', 'stg_facebook_ads__leads', 'stg_google_ads__clicks',
    ]) }}
{%- endmacro %}


{#- The lineage of every row of the staging models `models`. -#}
{% macro staged_lineage(models) -%}
    {%- for model in models %}
    select load_id, source_file, source_line from {{ ref(model) }}
    {%- if not loop.last %} union all{% endif %}
    {%- endfor %}
{%- endmacro %}


{% macro same_lineage(left, right) -%}
    {{ left }}.load_id = {{ right }}.load_id
    and {{ left }}.source_file = {{ right }}.source_file
    and {{ left }}.source_line = {{ right }}.source_line
{%- endmacro %}
