{#- The identity rules from the `identity_rules` var (dbt_project.yml) as a table, so the linking
    SQL joins them instead of hard-coding identifier types. -#}
{%- set rules = var('identity_rules') -%}
{%- for identifier_type, rule in rules.identifier_types.items() %}
select
    cast('{{ identifier_type }}' as {{ dbt.type_string() }}) as identifier_type,
    {{ 'true' if rule.get('links', true) else 'false' }} as links,
    cast({{ rule.priority }} as {{ dbt.type_int() }}) as priority,
    cast({{ rule.get('max_per_customer') if rule.get('max_per_customer') is not none else 'null' }} as {{ dbt.type_int() }}) as max_per_customer,
    {{ 'true' if identifier_type in rules.frequency_types else 'false' }} as is_frequency_capped
{% if not loop.last %}union all{% endif %}
{%- endfor %}
