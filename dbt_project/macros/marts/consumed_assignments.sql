{#-
  The customer assignments (int_identity__record_customers) an incremental mart has consumed.

  customer_events keeps the email activity it wrote and moves only the activity of members whose
  record changed customer. "Changed by the latest run" is not enough: a run that stops after
  identity and before the marts leaves its merges for the next run to apply, and if that run
  changes ids too, the latest run's assignments no longer include them. The mart therefore keeps
  the newest `assigned_at` it has consumed (`<mart>__assignments_seen`, beside the identity
  models, not served), and a run moves the members whose assignment is newer. The post-hook runs
  in the model's transaction, so the mark moves only with the rows it stands for. A mart with no
  mark yet (the first run after it began keeping one) sees every assignment as new.

  Only the incremental materialization (DuckDB) uses it; Spark rebuilds the model as a table and
  the hook renders nothing there.
-#}

{% macro assignments_seen_relation() -%}
    {%- set schema = generate_schema_name('intermediate', model) | trim -%}
    {{ return(api.Relation.create(database=this.database, schema=schema, identifier=this.identifier ~ '__assignments_seen')) }}
{%- endmacro %}


{#- Condition on an `assigned_at` column: written after the assignments the mart has consumed.
    Incremental runs only, after the pre-hook `create_assignments_seen` made sure the mark exists. -#}
{% macro assigned_since_consumed(assigned_at) -%}
    {{ assigned_at }} > coalesce(
        (select max(assigned_at) from {{ assignments_seen_relation() }}),
        cast('0001-01-01' as {{ dbt.type_timestamp() }})
    )
{%- endmacro %}


{#- Pre-hook: an incremental run reads the mark, which a mart built before it kept one lacks. -#}
{% macro create_assignments_seen() -%}
    {%- if config.get('materialized') == 'incremental' and is_incremental() -%}
        create table if not exists {{ assignments_seen_relation() }} (assigned_at {{ dbt.type_timestamp() }})
    {%- endif -%}
{%- endmacro %}


{#- Post-hook: every assignment there is now has been consumed. -#}
{% macro mark_assignments_consumed() -%}
    {%- if config.get('materialized') == 'incremental' -%}
        create or replace table {{ assignments_seen_relation() }} as
        select max(assigned_at) as assigned_at from {{ ref('int_identity__record_customers') }}
    {%- endif -%}
{%- endmacro %}
