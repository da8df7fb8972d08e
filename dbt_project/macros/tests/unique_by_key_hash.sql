{#-
    Uniqueness tests on DuckDB, found through a 64-bit hash of the key first.

    Grouping ten million text keys builds a hash table of strings; at M (1M people) the plain
    `group by key having count(*) > 1` of the big tables took 2-4 s each. Sorting one integer
    per row finds the hashes that repeat for about half of that, and only rows with such a hash
    are grouped on their real values. Rows that share a key share its hash, so every failing key
    is among them, and a hash collision only costs a comparison: the result is exactly the
    plain test's. Other adapters keep dbt's own SQL.
-#}

{#- Rows of `model` whose hash of `key_columns` is shared with another row, filtered by `where`. -#}
{% macro rows_with_repeated_key_hash(model, key_columns, where='true') -%}
    {%- set key_hash = 'hash(' ~ key_columns | join(', ') ~ ')' -%}
    with key_hashes as (
        select {{ key_hash }} as key_hash from {{ model }} where {{ where }}
    ),

    repeated_hashes as (
        select key_hash
        from (
            select key_hash, lag(key_hash) over (order by key_hash) as previous_hash
            from key_hashes
        ) as sorted_hashes
        where key_hash = previous_hash
    )

    select * from {{ model }}
    where {{ where }} and {{ key_hash }} in (select key_hash from repeated_hashes)
{%- endmacro %}

{#- dbt's `unique`: same columns as dbt's, NULL values ignored. dbt dispatches `test_unique` in its own
    namespace, where this project's macros come first (as for dbt.safe_cast, macros/spark). -#}
{% macro duckdb__test_unique(model, column_name) %}
    select
        {{ column_name }} as unique_field,
        count(*) as n_records
    from ({{ open_cdp.rows_with_repeated_key_hash(model, [column_name], column_name ~ ' is not null') }}) as candidates
    group by {{ column_name }}
    having count(*) > 1
{% endmacro %}

{#- The project's `unique_combination_of_columns` (tests/generic): NULL keys compared as equal. -#}
{% macro default__test_unique_combination_of_columns(model, combination_of_columns) %}
    select {{ combination_of_columns | join(', ') }}, count(*) as rows_with_key
    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}
    having count(*) > 1
{% endmacro %}

{% macro duckdb__test_unique_combination_of_columns(model, combination_of_columns) %}
    select {{ combination_of_columns | join(', ') }}, count(*) as rows_with_key
    from ({{ open_cdp.rows_with_repeated_key_hash(model, combination_of_columns) }}) as candidates
    group by {{ combination_of_columns | join(', ') }}
    having count(*) > 1
{% endmacro %}
