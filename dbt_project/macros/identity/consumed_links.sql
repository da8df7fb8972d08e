{#- Whether int_identity__record_customers reads only the links resolved since the ones it has
    consumed (macros/incremental/consumed_marks.sql, mark `links_consumed`). On DuckDB each link
    row carries `resolved_at`, when the run that computed its component started, and an
    incremental links run rewrites whole components only, so the rows newer than the mark are
    exactly the records whose component was recomputed since. Spark rebuilds the links table
    every run, without `resolved_at`: there every link is read. -#}
{% macro reads_links_since_consumed() -%}
    {{ return(target.type == 'duckdb' and is_incremental()) }}
{%- endmacro %}
