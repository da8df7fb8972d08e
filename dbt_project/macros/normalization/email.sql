{#- Emails compare trimmed and lowercased. The canonical form additionally drops `+tags` and, for
    Gmail, dots in the local part: it finds more matches but is also wrong more often, so identity
    treats it as its own, weaker identifier type. -#}

{% macro normalize_email(expression) -%}
    nullif(lower(trim({{ expression }})), '')
{%- endmacro %}

{% macro email_is_valid(normalized_email) -%}
    coalesce({{ regexp_full_match(normalized_email, "[a-z0-9!#$%&*+/=?^_`{|}~.-]+@[a-z0-9-]+([.][a-z0-9-]+)*[.][a-z]{2,}") }}, false)
{%- endmacro %}

{% macro canonical_email(normalized_email) -%}
    {%- set local_part = dbt.split_part(normalized_email, "'@'", 1) -%}
    {%- set domain = dbt.split_part(normalized_email, "'@'", 2) -%}
    {%- set untagged -%}
        case
            when {{ dbt.position("'+'", local_part) }} > 1
                then substr({{ local_part }}, 1, {{ dbt.position("'+'", local_part) }} - 1)
            else {{ local_part }}
        end
    {%- endset -%}
    case
        when {{ normalized_email }} is null then null
        when {{ domain }} in ('gmail.com', 'googlemail.com')
            then replace({{ untagged }}, '.', '') || '@gmail.com'
        else {{ untagged }} || '@' || {{ domain }}
    end
{%- endmacro %}
