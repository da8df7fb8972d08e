{#-
  The links (int_identity__links) int_identity__record_customers has consumed.

  On DuckDB each link row carries `resolved_at`, when the run that computed its component
  started; an incremental links run rewrites whole components only, so the rows newer than what
  record_customers last read are exactly the records whose component was recomputed since then.
  "Recomputed by the latest links run" is not enough: a run that stops after links and before
  record_customers leaves its changes for the next run, whose links run may recompute other
  components. record_customers therefore keeps the newest `resolved_at` it has consumed
  (`int_identity__record_customers__links_consumed`, beside it), and reads the newer rows. The
  post-hook runs in the model's transaction, so the mark moves only with the rows it stands for.
  With no mark yet (the first run after it began keeping one) every link row is new.

  Spark rebuilds the links table every run, without `resolved_at`: there record_customers reads
  every link and the hooks render nothing.
-#}

{% macro links_consumed_relation() -%}
    {{ return(api.Relation.create(database=this.database, schema=this.schema, identifier=this.identifier ~ '__links_consumed')) }}
{%- endmacro %}


{#- Whether this build reads only the links resolved since the ones it has consumed. -#}
{% macro reads_links_since_consumed() -%}
    {{ return(target.type == 'duckdb' and is_incremental()) }}
{%- endmacro %}


{#- Condition on a `resolved_at` column: resolved after the links the model has consumed. -#}
{% macro resolved_since_consumed(resolved_at) -%}
    {{ resolved_at }} > coalesce(
        (select max(resolved_at) from {{ links_consumed_relation() }}),
        cast('0001-01-01' as {{ dbt.type_timestamp() }})
    )
{%- endmacro %}


{#- Pre-hook: an incremental run reads the mark, which a table built before it kept one lacks. -#}
{% macro create_links_consumed() -%}
    {%- if reads_links_since_consumed() -%}
        create table if not exists {{ links_consumed_relation() }} (resolved_at {{ dbt.type_timestamp() }})
    {%- endif -%}
{%- endmacro %}


{#- Post-hook: every link there is now has been consumed. -#}
{% macro mark_links_consumed() -%}
    {%- if target.type == 'duckdb' -%}
        create or replace table {{ links_consumed_relation() }} as
        select max(resolved_at) as resolved_at from {{ ref('int_identity__links') }}
    {%- endif -%}
{%- endmacro %}
