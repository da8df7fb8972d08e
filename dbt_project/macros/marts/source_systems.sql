{#- The source systems a person record can come from, in the order lists of them are written
    (alphabetical). tests/source_systems_are_listed.sql fails when a record's source is missing
    here, so a new system cannot silently drop out of such a list. -#}
{% macro person_source_systems() -%}
    {{ return(['facebook_ads', 'google_ads', 'hubspot', 'mailchimp', 'stripe', 'vnpay']) }}
{%- endmacro %}


{#- Per group, whether any row's `column` is `system` (1 or 0): one cheap integer aggregate per
    system, where an ordered `listagg(distinct ...)` over millions of rows sorts every group's text
    (four fifths of customer_identifiers' time at M). -#}
{% macro source_system_flags(column) -%}
    {%- for system in person_source_systems() %}
    max(case when {{ column }} = '{{ system }}' then 1 else 0 end) as has_{{ system }}
    {%- if not loop.last %},{% endif %}
    {%- endfor %}
{%- endmacro %}


{#- The systems flagged by source_system_flags as a comma-separated, alphabetical list: what
    `listagg(distinct column, ',') within group (order by column)` gives, null when none is. -#}
{% macro source_system_list() -%}
    {%- set parts = [] -%}
    {%- for system in person_source_systems() -%}
        {%- do parts.append("case when has_" ~ system ~ " = 1 then '," ~ system ~ "' else '' end") -%}
    {%- endfor -%}
    nullif(substr({{ dbt.concat(parts) }}, 2), '')
{%- endmacro %}
