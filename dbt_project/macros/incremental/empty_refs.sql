{#-
  `--empty` (`dbt build --empty`, `dbt run --empty`) renders every ref and source as an empty
  relation, to check the SQL and the contracts without reading data. dbt rebuilds table and view
  models empty, which the next build undoes. An incremental model is another matter: its hooks
  compare the stored rows with the inputs and forget what left, and against empty inputs every
  stored row has left. An --empty build of a built warehouse deleted every row of staging,
  identity and the customer marts, emptied the marts' input fingerprints and reset the marks of
  what was consumed; with a later as_of it also closed every segment spell. Some of that is
  history no full refresh brings back.

  So an incremental run under --empty keeps the model's stored rows and bookkeeping: the hooks
  still run their comparisons, which is what --empty checks, but not the statements that delete
  or rewrite, and the model's own SQL, over empty inputs, adds nothing. A first build or a
  `--full-refresh` under --empty builds the model empty, as dbt does.
-#}

{#- Whether this run must leave the model's stored rows and bookkeeping as they are: an
    incremental run whose refs are empty. -#}
{% macro keeps_stored_rows() -%}
    {{ return(is_incremental() and flags.EMPTY is true) }}
{%- endmacro %}


{#- dbt's own hook at the end of every compiled Python model: gives the model `dbt.empty_refs`,
    the --empty flag. dbt hands a Python model its refs whole even under --empty (it cannot
    load an empty rendering), but the models it reads were rebuilt empty (a view, such as
    int_identity__link_candidates, or a table), and what it writes must follow the same rules. -#}
{% macro py_script_comment() -%}
dbtObj.empty_refs = {{ flags.EMPTY is true }}
{%- endmacro %}
