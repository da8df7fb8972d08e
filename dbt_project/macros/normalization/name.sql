{#- Names keep their diacritics for display (Nguyễn stays Nguyễn); matching uses the lowercased,
    unaccented form so that "Nguyen" and "Nguyễn" compare equal. -#}

{% macro normalize_name(expression) -%}
    nullif(trim({{ regexp_replace_all(expression, '[[:space:]]+', ' ') }}), '')
{%- endmacro %}

{% macro name_match_key(expression) -%}
    lower({{ unaccent(normalize_name(expression)) }})
{%- endmacro %}
