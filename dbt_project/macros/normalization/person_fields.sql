{#- The normalized identity columns every person-bearing staging model exposes, so that identity
    and marts never re-normalize: value, validity flag, and (for email) the canonical form. -#}

{% macro email_fields(expression, prefix='') -%}
    {{ normalize_email(expression) }} as {{ prefix }}email,
    {{ email_is_valid(normalize_email(expression)) }} as {{ prefix }}email_is_valid,
    case
        when {{ email_is_valid(normalize_email(expression)) }}
            then {{ canonical_email(normalize_email(expression)) }}
    end as {{ prefix }}email_canonical
{%- endmacro %}

{% macro phone_fields(expression, prefix='') -%}
    nullif(trim(cast({{ expression }} as {{ dbt.type_string() }})), '') as {{ prefix }}phone_raw,
    {{ normalize_phone(expression) }} as {{ prefix }}phone,
    {{ phone_is_valid(normalize_phone(expression)) }} as {{ prefix }}phone_is_valid
{%- endmacro %}

{% macro name_fields(first_name, last_name) -%}
    {{ normalize_name(first_name) }} as first_name,
    {{ normalize_name(last_name) }} as last_name,
    {{ name_match_key(first_name) }} as first_name_match,
    {{ name_match_key(last_name) }} as last_name_match
{%- endmacro %}

{#- Sources with one full-name field: the last word is the family name for Western names, the
    first word for Vietnamese ones (family name first). -#}
{% macro full_name_fields(full_name, is_vietnamese) -%}
    {%- set name = normalize_name(full_name) -%}
    {%- set has_space = dbt.position("' '", name) ~ ' > 0' -%}
    {%- set first_word = dbt.split_part(name, "' '", 1) -%}
    {%- set first_name -%}
        case
            when not ({{ has_space }}) then {{ name }}
            when {{ is_vietnamese }} then trim(substr({{ name }}, length({{ first_word }}) + 2))
            else trim(substr({{ name }}, 1, length({{ name }}) - length({{ last_word(name) }})))
        end
    {%- endset -%}
    {%- set last_name -%}
        case
            when not ({{ has_space }}) then null
            when {{ is_vietnamese }} then {{ first_word }}
            else {{ last_word(name) }}
        end
    {%- endset -%}
    {{ name_fields(first_name, last_name) }}
{%- endmacro %}

{% macro last_word(expression) -%}
    {{ return(adapter.dispatch('last_word', 'open_cdp')(expression)) }}
{%- endmacro %}

{% macro duckdb__last_word(expression) -%}
    regexp_extract({{ expression }}, '[^ ]+$')
{%- endmacro %}

{% macro default__last_word(expression) -%}
    regexp_extract({{ expression }}, '([^ ]+)$', 1)
{%- endmacro %}
