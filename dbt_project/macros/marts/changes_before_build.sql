{#- Pre-hook of customer_id_changes: the newest `changed_at` stored before this build, in
    `customer_id_changes__before_build` (one row; null on the first build). The rows changed
    after it are what the build added, which the merges guardrail counts
    (orchestration/guardrails.py): after a build that was skipped these span several identity
    runs, so "the rows at the newest `changed_at`" would miss some, and a build that adds nothing
    added no merges, although the newest rows are still there. Hooks run in the model's
    transaction, so the mark moves only with the rows. DuckDB only (the guardrails read the
    DuckDB warehouse); under --empty the build adds nothing and the mark stays. -#}
{% macro mark_changes_before_build() -%}
    {%- if target.type == 'duckdb' and not open_cdp.keeps_stored_rows() -%}
        create or replace table {{ bookkeeping_relation('before_build') }} as
        {% if is_incremental() -%}
        select max(changed_at) as changed_at from {{ this }}
        {%- else -%}
        select cast(null as {{ dbt.type_timestamp() }}) as changed_at
        {%- endif %}
    {%- endif -%}
{%- endmacro %}
