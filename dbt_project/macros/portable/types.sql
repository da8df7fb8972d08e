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


{#- A cast that yields null instead of failing on a malformed value. dbt-duckdb does not override
    dbt.safe_cast (a plain cast), so DuckDB gets try_cast here. -#}
{% macro safe_cast(expression, data_type) -%}
    {{ return(adapter.dispatch('safe_cast', 'open_cdp')(expression, data_type)) }}
{%- endmacro %}

{% macro duckdb__safe_cast(expression, data_type) -%}
    try_cast({{ expression }} as {{ data_type }})
{%- endmacro %}

{% macro default__safe_cast(expression, data_type) -%}
    {{ dbt.safe_cast(expression, data_type) }}
{%- endmacro %}
