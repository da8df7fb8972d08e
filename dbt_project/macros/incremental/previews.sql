{#-
  `dbt show`, `dbt compile` and `dbt docs generate` render an incremental model as its full build.

  The incremental SQL of the customer marts, the person-record models and customer_events reads
  temporary tables that the model's own pre-hooks make at the start of its build (the changed
  customers, the lineage changes, the current keyed events: macros/marts/changed_customers.sql,
  macros/intermediate/staged_lineage.sql, macros/events/keyed_events.sql). Those commands run no
  hooks, so `dbt show --select customers` on a built warehouse failed with "Table ... does not
  exist", and the compiled SQL an analyst copied out of `target/` or the docs could not run
  either. Rendered as the full build instead, a preview shows rows the table holds (computed
  from the current inputs) and the compiled SQL runs anywhere.

  This replaces dbt's global `is_incremental()` for the whole project (a root project's macro of
  the same name takes its place): every other command, `dbt retry` included, gets dbt's answer.
-#}
{% macro is_incremental() -%}
    {{ return(flags.WHICH not in ('show', 'compile', 'generate') and dbt.is_incremental()) }}
{%- endmacro %}
