{#-
  `dbt show`, `dbt compile` and `dbt docs generate` render an incremental model as its full build,
  unless the model keeps history.

  The incremental SQL of the customer marts, the person-record models and customer_events reads
  temporary tables that the model's own pre-hooks make at the start of its build (the changed
  customers, the lineage changes, the current keyed events: macros/marts/changed_customers.sql,
  macros/intermediate/staged_lineage.sql, macros/events/keyed_events.sql). Those commands run no
  hooks, so `dbt show --select customers` on a built warehouse failed with "Table ... does not
  exist", and the compiled SQL an analyst copied out of `target/` or the docs could not run
  either. Such a model's table is what a full build from the current inputs gives, so its full
  build is what a preview shows and what the compiled SQL says.

  A model that keeps history (`full_refresh=false`: segment spells, customer id changes, the
  stable record assignments) is the exception: no build from its inputs gives its table, and its
  incremental SQL reads only the table itself, so those commands render it as dbt does.

  This replaces dbt's global `is_incremental()` for the whole project (a root project's macro of
  the same name takes its place); every other command gets dbt's answer, and so does `dbt retry`
  of a run or build, which keeps the command it retries.
-#}
{% macro is_incremental() -%}
    {%- set previews = flags.WHICH in ('show', 'compile', 'generate') and config.get('full_refresh') is not false -%}
    {{ return(not previews and dbt.is_incremental()) }}
{%- endmacro %}
