{#- "The first row of each group in this order" as one aggregate: the smallest struct of the sort
    keys, compared field by field, with the wanted values as its last fields. A row_number()
    window per choice sorted every group's rows once per choice (five times in customers.sql); the
    aggregates of one group by share one pass over the rows. `fields` is a list of
    (name, expression) pairs, keys first; read the winner's fields as `<alias>.<name>`. The keys
    must never be null (DuckDB and Spark order a null field differently): write a descending or
    nulls-last order as a non-null key (newest_first) and an optional value as a flag and a
    coalesced value. Rows where `where` is not true take no part; a group without any gives null. -#}
{% macro first_by(fields, where=none) -%}
    {{ return(adapter.dispatch('first_by', 'open_cdp')(fields, where)) }}
{%- endmacro %}

{% macro duckdb__first_by(fields, where) -%}
    {%- set row -%}
        struct_pack({% for name, expression in fields %}{{ name }} := {{ expression }}{% if not loop.last %}, {% endif %}{% endfor %})
    {%- endset -%}
    min({% if where %}case when {{ where }} then {{ row }} end{% else %}{{ row }}{% endif %})
{%- endmacro %}

{% macro default__first_by(fields, where) -%}
    {%- set row -%}
        named_struct({% for name, expression in fields %}'{{ name }}', {{ expression }}{% if not loop.last %}, {% endif %}{% endfor %})
    {%- endset -%}
    min({% if where %}case when {{ where }} then {{ row }} end{% else %}{{ row }}{% endif %})
{%- endmacro %}


{#- A timestamp as a non-null sort key for first_by: newer instants first, a missing one last
    (`order by ... desc nulls last`). Microseconds, as both engines store timestamps. -#}
{% macro newest_first(timestamp) -%}
    {{ return(adapter.dispatch('newest_first', 'open_cdp')(timestamp)) }}
{%- endmacro %}

{% macro duckdb__newest_first(timestamp) -%}
    coalesce(-epoch_us({{ timestamp }}), 9223372036854775807)
{%- endmacro %}

{% macro default__newest_first(timestamp) -%}
    coalesce(-unix_micros({{ timestamp }}), 9223372036854775807)
{%- endmacro %}
