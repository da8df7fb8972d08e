{#- Rows of int_identity__record_identifiers: one identifier column of one staging model, with
    the lineage of the staging row it was read from (macros/intermediate/staged_lineage.sql). -#}
{% macro staged_identifiers(relation, source, source_table, record_id, identifier_type, value, is_valid='true', observed_at='observed_at') -%}
    select
        {{ dbt.concat(["'" ~ source ~ "'", "':'", "'" ~ source_table ~ "'", "':'", record_id]) }} as record_key,
        '{{ identifier_type }}' as identifier_type,
        cast({{ value }} as {{ dbt.type_string() }}) as identifier_value,
        coalesce({{ is_valid }}, false) as is_valid,
        '{{ source }}' as source,
        {{ observed_at }} as observed_at,
        load_id,
        source_file,
        source_line
    from {{ relation }} as staged
    where {{ value }} is not null
{%- endmacro %}
