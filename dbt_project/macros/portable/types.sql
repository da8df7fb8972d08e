{#- 64-bit floating point for money and ratios; type_double() is 32-bit on DuckDB. -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'open_cdp')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double
{%- endmacro %}

{% macro bigquery__type_double() -%}
    float64
{%- endmacro %}
