{#- Rows of int_identity__record_identifiers: one identifier column of one staging model. -#}
{% macro identifier_observations(relation, source, source_table, record_id, identifier_type, value, is_valid='true', observed_at='observed_at') -%}
    select
        {{ dbt.concat(["'" ~ source ~ "'", "':'", "'" ~ source_table ~ "'", "':'", record_id]) }} as record_key,
        '{{ identifier_type }}' as identifier_type,
        cast({{ value }} as {{ dbt.type_string() }}) as identifier_value,
        coalesce({{ is_valid }}, false) as is_valid,
        '{{ source }}' as source,
        {{ observed_at }} as observed_at
    from {{ relation }}
    where {{ value }} is not null
{%- endmacro %}
