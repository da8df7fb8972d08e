{#-
  The log of customer id changes: every merge and split int_identity__record_customers stamped,
  kept beside it in the intermediate schema (not served) as
  `int_identity__record_customers__id_changes` (old_customer_id, new_customer_id, changed_at,
  reason), appended in the model's own transaction and never rewritten.

  The model keeps one row per record, the latest way it got its id: a record whose id changes
  again (A->B in one run, B->C in the next) loses its row of the first change. customer_id_changes
  appends the changes it has not recorded yet, so if a run stopped after the customer ids and
  before it (a failed test in between), reading the model's rows would miss A->B forever. The
  log holds every change from the moment the model wrote it, and customer_id_changes reads the
  log. Hooks run in the model's transaction, so the log moves only with the rows it records.

  Erasure (orchestration/privacy/) follows the log's ids like customer_id_changes' and deletes the
  rows mentioning the person, like every table's.
-#}


{#- The merges and splits among `rows` (the model's own table), in the log's columns. -#}
{% macro id_changes_in(rows) -%}
    select distinct
        cast(previous_customer_id as {{ dbt.type_string() }}) as old_customer_id,
        cast(customer_id as {{ dbt.type_string() }}) as new_customer_id,
        cast(assigned_at as {{ dbt.type_timestamp() }}) as changed_at,
        cast(change_reason as {{ dbt.type_string() }}) as reason
    from {{ rows }}
    where change_reason in ('merge', 'split')
{%- endmacro %}


{#- Pre-hook of int_identity__record_customers: a table built before the log was kept starts it
    with the changes its rows still hold, before this run overwrites any of them;
    customer_id_changes takes from it only what it has not recorded. A first build starts it
    empty. Under --empty too: starting the log loses nothing, and customer_id_changes reads it. -#}
{% macro create_id_change_log() -%}
    create table if not exists {{ bookkeeping_relation('id_changes') }} as
    {% if is_incremental() -%}
    {{ id_changes_in(this) }}
    {%- else -%}
    select
        cast(null as {{ dbt.type_string() }}) as old_customer_id,
        cast(null as {{ dbt.type_string() }}) as new_customer_id,
        cast(null as {{ dbt.type_timestamp() }}) as changed_at,
        cast(null as {{ dbt.type_string() }}) as reason
    where 1 = 0
    {%- endif %}
{%- endmacro %}


{#- Post-hook of int_identity__record_customers: the changes this run wrote, those stamped after
    the newest logged one. Every run stamps after all the model stored before
    (macros/incremental/consumed_marks.sql) and logged its own changes, so no change stamped
    earlier is unlogged; an erasure that deleted the newest logged changes deleted the model's
    rows of them too, so none is logged twice. Under --empty the run wrote nothing
    (macros/incremental/empty_refs.sql). -#}
{% macro append_id_changes() -%}
    {%- if not open_cdp.keeps_stored_rows() -%}
    {%- set log = bookkeeping_relation('id_changes') -%}
    insert into {{ log }} (old_customer_id, new_customer_id, changed_at, reason)
    {{ id_changes_in(this) }}
        and assigned_at > (select coalesce(max(changed_at), cast('0001-01-01' as {{ dbt.type_timestamp() }})) from {{ log }})
    {%- endif -%}
{%- endmacro %}


{#- The log, for customer_id_changes (`identity`: its ref of int_identity__record_customers). Under
    --empty an empty rendering, as dbt renders refs: the build must read no data. -#}
{% macro customer_id_change_log(identity) -%}
    {%- set log = bookkeeping_relation('id_changes', identity) -%}
    {%- if flags.EMPTY is true -%}
    (select * from {{ log }} where 1 = 0)
    {%- else -%}
    {{ log }}
    {%- endif -%}
{%- endmacro %}
