{#-
  Spark implementations of the project's dispatched macros (macros/portable, macros/normalization).
  Spark runs with ANSI mode off (dbt-spark sets it), in the UTC session time zone (profile), so a
  `timestamp` there is the same UTC wall-clock value DuckDB stores.
-#}

{#- dbt.safe_cast dispatches through this project too: without a spark__ version here, our
    default__safe_cast and dbt's would call each other forever. -#}
{% macro spark__safe_cast(expression, data_type) -%}
    try_cast({{ expression }} as {{ data_type }})
{%- endmacro %}


{#- Java regular expressions know no POSIX bracket classes: `[[:space:]]` would match the letters
    of "space". Patterns are written once, POSIX style; the classes they use are mapped here. -#}
{% macro spark_regex(pattern) -%}
    {{ return(pattern
        | replace('[:space:]', '\\\\s')
        | replace('[:digit:]', '0-9')
        | replace('[:alpha:]', '\\\\p{L}')
        | replace('[:alnum:]', '\\\\p{L}0-9')) }}
{%- endmacro %}

{% macro spark__regexp_replace_all(expression, pattern, replacement) -%}
    regexp_replace({{ expression }}, '{{ open_cdp.spark_regex(pattern) }}', '{{ replacement }}')
{%- endmacro %}

{% macro spark__regexp_full_match(expression, pattern) -%}
    ({{ expression }} rlike '^(?:{{ open_cdp.spark_regex(pattern) }})$')
{%- endmacro %}


{#- Text with or without a UTC offset, or a timestamp the loader already typed. -#}
{% macro spark__to_utc_timestamp(expression) -%}
    try_cast({{ expression }} as timestamp)
{%- endmacro %}

{% macro spark__compact_local_timestamp_to_utc(expression, utc_offset_hours) -%}
    coalesce(
        try_to_timestamp(cast({{ expression }} as string), 'yyyyMMddHHmmss') - make_interval(0, 0, 0, 0, {{ utc_offset_hours }}),
        {{ open_cdp.spark__to_utc_timestamp(expression) }}
    )
{%- endmacro %}


{#- Contract and unit-test column types are written the DuckDB way (`varchar`); Spark 4 wants a
    length for varchar and calls unbounded text `string`. dbt builds contract checks with
    dbt.cast, so translating here keeps the declared types portable. -#}
{% macro spark_type(data_type) -%}
    {%- set name = data_type | trim | lower -%}
    {{ return('string' if name in ('varchar', 'text', 'char', 'character varying') else data_type) }}
{%- endmacro %}

{% macro spark__cast(field, type) -%}
    cast({{ field }} as {{ open_cdp.spark_type(type) }})
{%- endmacro %}


{#- dbt-spark drops the order of listagg; Spark 4 has `within group`, so both engines list the
    same values in the same order. -#}
{% macro spark__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
    {%- if limit_num -%}
        {{ exceptions.raise_compiler_error('listagg with a limit is not supported on Spark') }}
    {%- endif -%}
    listagg({{ measure }}, {{ delimiter_text }})
    {%- if order_by_clause %} within group ({{ order_by_clause }}){% endif %}
{%- endmacro %}
