{{ config(
    materialized='incremental', on_schema_change='fail', full_refresh=false,
    pre_hook="{{ mark_changes_before_build() }}",
) }}
{#- Every customer id that stopped being used, and the id its records moved to: `merge` when
    its customer was merged into an older one, `split` when some of its records now form a new
    customer. Appended run by run, so the history survives later runs.

    Read from the log int_identity__record_customers appends every merge and split to as it
    writes them (int_identity__record_customers__id_changes, macros/identity/
    customer_id_change_log.sql), not from the model's rows: a record whose id changed twice holds
    only its latest change there, so a run that stopped after the customer ids and before this
    model would lose the earlier one. A run records every logged change after the newest one
    recorded here (all of them on the first build), which can span several identity runs. The
    log is stamped by int_identity__record_customers, which stamps every run after all it stored
    before (macros/incremental/consumed_marks.sql), so nothing logged later falls at or below
    what is recorded here. The pre-hook keeps where this build started
    (macros/marts/changes_before_build.sql) for the merges guardrail. -#}
select old_customer_id, new_customer_id, changed_at, reason
from {{ customer_id_change_log(ref('int_identity__record_customers')) }} as logged
{% if is_incremental() -%}
where changed_at > (select coalesce(max(changed_at), cast('0001-01-01' as {{ dbt.type_timestamp() }})) from {{ this }})
{%- endif %}
