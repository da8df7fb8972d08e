{#-
    The not_null constraints that stand in for not_null data tests on DuckDB (docs/data-tests.md)
    are declared in the contracts, which every engine reads. On Spark the data tests run instead,
    and only Delta tables can hold the constraint: dbt-spark, reading an unset `file_format` as
    Delta, would `ALTER COLUMN ... SET NOT NULL` the project's plain Parquet tables, which Spark
    refuses (UNSUPPORTED_FEATURE.TABLE_OPERATION), failing the model.

    This overrides dbt-spark's macro of the same name (a root project macro wins): tables whose
    `file_format` is set to Delta keep dbt-spark's behaviour, the others get no constraint.
-#}
{% macro spark__persist_constraints(relation, model) -%}
    {%- if config.get('file_format') == 'delta' -%}
        {{ return(dbt.spark__persist_constraints(relation, model)) }}
    {%- endif -%}
{%- endmacro %}
