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
  A raw row's lineage names its landing file, and a landing file feeds one raw table, so the
  lineage alone tells staging rows of different models apart.

  An erasure that redacts a raw row in place (another customer's row naming the person) keeps its
  lineage, so an incremental run would keep the rows derived from it: the erasure therefore
  rebuilds with `--full-refresh` (orchestration/privacy/deletion.py, `rebuild_models`).

  Spark builds these models as tables, so the macros are no-ops there and the models rebuild whole.
-#}

{#- CTE (with its trailing comma, so it opens a `with` list) of the lineage of the staging rows
    this model holds no rows of, among `models`: one comparison of every staging row with this
    model per run. Renders nothing on a full build. -#}
{% macro unseen_lineage(models) -%}
    {%- if is_incremental() %}
unseen_lineage as (
    select staged.load_id, staged.source_file, staged.source_line
    from ({{ staged_lineage(models) }}) as staged
    where not exists (
        select 1 from {{ this }} as seen where {{ same_lineage('seen', 'staged') }}
    )
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


{#- Pre-hook: delete the rows whose staging row is gone. `models` names every staging model the
    model reads. -#}
{% macro forget_rows_whose_staged_row_left(models) -%}
    {%- if is_incremental() %}
    delete from {{ this }} as kept
    where not exists (
        select 1 from ({{ staged_lineage(models) }}) as staged where {{ same_lineage('staged', 'kept') }}
    )
    {%- endif %}
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
