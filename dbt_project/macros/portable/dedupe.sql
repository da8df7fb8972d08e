{#- Keep one row per key: the first by `order_by`. Staging uses it to keep the latest version of
    a record that was delivered more than once. -#}
{% macro latest_per_key(relation, partition_by, order_by) -%}
    {{ return(adapter.dispatch('latest_per_key', 'open_cdp')(relation, partition_by, order_by)) }}
{%- endmacro %}

{% macro duckdb__latest_per_key(relation, partition_by, order_by) -%}
    select * from {{ relation }}
    qualify row_number() over (partition by {{ partition_by }} order by {{ order_by }}) = 1
{%- endmacro %}

{% macro default__latest_per_key(relation, partition_by, order_by) -%}
    select * except (version_rank)
    from (
        select *, row_number() over (partition by {{ partition_by }} order by {{ order_by }}) as version_rank
        from {{ relation }}
    ) as ranked
    where version_rank = 1
{%- endmacro %}


{#- Rows of completed dlt loads only: a load that failed half-way is never in `_dlt_loads` with
    status 0, and its rows must not reach the models. -#}
{% macro from_completed_loads(source_name, table_name) -%}
    select *
    from {{ source(source_name, table_name) }}
    where _dlt_load_id in (select load_id from {{ source(source_name, '_dlt_loads') }} where status = 0)
{%- endmacro %}
