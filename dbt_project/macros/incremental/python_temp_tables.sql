{#- Post-hook of the incremental Python models. dbt-duckdb writes an incremental Python model's
    new rows to `<model>__dbt_tmp<timestamp>` and appends them from there, but never drops that
    table: it takes it for a temporary table, which the DataFrame it is written from is not. So
    every incremental run left one more table in `main` (the links' new rows at M). This drops
    the model's, its own run's and any an earlier run left. Only DuckDB runs Python models. -#}
{% macro drop_python_temp_tables() -%}
    {{ return(adapter.dispatch('drop_python_temp_tables', 'open_cdp')()) }}
{%- endmacro %}

{% macro default__drop_python_temp_tables() -%}{%- endmacro %}

{% macro duckdb__drop_python_temp_tables() -%}
    {%- if execute and is_incremental() and model.language == 'python' -%}
        {%- set leftovers = run_query(
            "select table_schema, table_name from information_schema.tables"
            ~ " where table_catalog = '" ~ this.database ~ "'"
            ~ " and starts_with(table_name, '" ~ this.identifier ~ "__dbt_tmp')"
        ) -%}
        {%- for row in leftovers %}
        drop table if exists {{ this.incorporate(path={'schema': row[0], 'identifier': row[1]}) }};
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
