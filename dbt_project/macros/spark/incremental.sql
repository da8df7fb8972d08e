{#-
  Keyed incremental models (`delete+insert`, `merge`) on Spark tables without MERGE support.

  dbt-spark offers `merge` only for Delta, Iceberg and Hudi, and refuses `delete+insert`. On plain
  Parquet the upsert is done by rewriting: the new rows are written to a table, the kept old rows
  (keys not among the new ones) and the new rows to a second one, which replaces the model. The
  result is what DuckDB's delete+insert or merge leaves (keys compare with `=`, as there). Delta,
  Iceberg and Hudi tables keep dbt-spark's own strategies.

  These two macros override dbt-spark's macros of the same name (a root project macro wins); every
  other strategy is handed back to dbt-spark's own.
-#}

{% macro dbt_spark_validate_get_incremental_strategy(raw_strategy, file_format) -%}
    {%- if raw_strategy in ('delete+insert', 'merge') and file_format not in ('delta', 'iceberg', 'hudi') -%}
        {{ return('rewrite_upsert') }}
    {%- endif -%}
    {{ return(dbt.dbt_spark_validate_get_incremental_strategy(raw_strategy, file_format)) }}
{%- endmacro %}


{% macro dbt_spark_get_incremental_sql(strategy, source, target, existing, unique_key, incremental_predicates) -%}
    {%- if strategy != 'rewrite_upsert' -%}
        {{ return(dbt.dbt_spark_get_incremental_sql(strategy, source, target, existing, unique_key, incremental_predicates)) }}
    {%- endif -%}
    {%- if not unique_key -%}
        {{ exceptions.raise_compiler_error('a keyed incremental model needs a unique_key') }}
    {%- endif -%}
    {%- set keys = [unique_key] if unique_key is string else unique_key -%}
    {%- set columns = adapter.get_columns_in_relation(target) | map(attribute='quoted') | join(', ') -%}
    {%- set fresh = target.incorporate(path={'identifier': target.identifier ~ '__dbt_fresh'}) -%}
    {%- set next = target.incorporate(path={'identifier': target.identifier ~ '__dbt_next'}) -%}
    {%- set same_key -%}
        {%- for key in keys %}{{ 'fresh.' ~ key }} = {{ 'kept.' ~ key }}{{ ' and ' if not loop.last }}{% endfor -%}
    {%- endset -%}
    {%- do run_query('drop table if exists ' ~ fresh) -%}
    {%- do run_query('create table ' ~ fresh ~ ' as select * from ' ~ source) -%}
    {%- do run_query('drop table if exists ' ~ next) -%}
    {%- do run_query(
        'create table ' ~ next ~ ' as'
        ~ ' select ' ~ columns ~ ' from ' ~ target ~ ' as kept left anti join ' ~ fresh ~ ' as fresh on ' ~ same_key
        ~ ' union all select ' ~ columns ~ ' from ' ~ fresh
    ) -%}
    {%- do run_query('drop table ' ~ target) -%}
    {%- do run_query('drop table ' ~ fresh) -%}
    {{ return('alter table ' ~ next ~ ' rename to ' ~ target) }}
{%- endmacro %}
