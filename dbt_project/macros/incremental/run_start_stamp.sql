{#- The stamp of the rows a build writes: dbt's `run_started_at` of the invocation, one value for
    every model it builds, as a timestamp literal (UTC, microseconds). The restricted data tests
    `meta: {written_at_run_start: <column>}` (macros/tests/tested_builds.sql) take the rows
    stamped at or after it as the rows the build wrote. Used by int_identity__record_customers'
    `assigned_at` and customer_events' `written_at`. -#}
{% macro run_start_stamp() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}
