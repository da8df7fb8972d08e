{#- Timestamp parsing differs per engine. Everything downstream is a UTC `timestamp` without zone. -#}

{#- Text with or without a UTC offset (ISO 8601, `YYYY-MM-DD HH:MM[:SS]`), or an already typed value. -#}
{% macro to_utc_timestamp(expression) -%}
    {{ return(adapter.dispatch('to_utc_timestamp', 'open_cdp')(expression)) }}
{%- endmacro %}

{#- DuckDB casts text, dates and naive or zoned timestamps to timestamptz directly (a naive value
    is read in the session time zone, as its text would be); going through varchar first gave
    the same values but formatted and re-parsed every one (7 s of 10M email events at M). -#}
{% macro duckdb__to_utc_timestamp(expression) -%}
    timezone('UTC', try_cast({{ expression }} as timestamptz))
{%- endmacro %}

{% macro default__to_utc_timestamp(expression) -%}
    to_utc_timestamp(cast({{ expression }} as timestamp), 'UTC')
{%- endmacro %}


{#- Unix seconds (Stripe `created`). -#}
{% macro from_unix_seconds(expression) -%}
    {{ return(adapter.dispatch('from_unix_seconds', 'open_cdp')(expression)) }}
{%- endmacro %}

{% macro duckdb__from_unix_seconds(expression) -%}
    make_timestamp(try_cast({{ expression }} as bigint) * 1000000)
{%- endmacro %}

{% macro default__from_unix_seconds(expression) -%}
    timestamp_seconds(cast({{ expression }} as bigint))
{%- endmacro %}


{#- `yyyyMMddHHmmss` wall-clock time at a fixed UTC offset (VNPay: GMT+7), as UTC. A value the
    loader already typed (a timestamp with time zone) is converted like any other. -#}
{% macro compact_local_timestamp_to_utc(expression, utc_offset_hours) -%}
    {{ return(adapter.dispatch('compact_local_timestamp_to_utc', 'open_cdp')(expression, utc_offset_hours)) }}
{%- endmacro %}

{% macro duckdb__compact_local_timestamp_to_utc(expression, utc_offset_hours) -%}
    coalesce(
        try_strptime(cast({{ expression }} as varchar), '%Y%m%d%H%M%S') - interval '{{ utc_offset_hours }} hours',
        {{ open_cdp.duckdb__to_utc_timestamp(expression) }}
    )
{%- endmacro %}

{% macro default__compact_local_timestamp_to_utc(expression, utc_offset_hours) -%}
    {{ dbt.dateadd('hour', -utc_offset_hours, "to_timestamp(cast(" ~ expression ~ " as string), 'yyyyMMddHHmmss')") }}
{%- endmacro %}
