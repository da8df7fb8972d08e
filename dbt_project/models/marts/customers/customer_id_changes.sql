{{ config(
    materialized='incremental', on_schema_change='fail', full_refresh=false,
    pre_hook="{{ mark_changes_before_build() }}",
) }}
{#- Every customer id that stopped being used, and the id its records moved to: `merge` when
    its customer was merged into an older one, `split` when some of its records now form a new
    customer. Appended run by run, so the history survives later runs.

    A run records every change int_identity__record_customers stamped after the newest one
    recorded here (all of them on the first build), not only the latest identity run's: a run
    that stopped after the customer ids and before this model leaves its changes to the next
    run, which may stamp changes of its own. int_identity__record_customers stamps every run
    after all it stored before (macros/incremental/consumed_marks.sql), so nothing it writes
    later falls at or below what is recorded here. The pre-hook keeps where this build started
    (macros/marts/changes_before_build.sql) for the merges guardrail. -#}
select distinct
    cast(previous_customer_id as {{ dbt.type_string() }}) as old_customer_id,
    cast(customer_id as {{ dbt.type_string() }}) as new_customer_id,
    cast(assigned_at as {{ dbt.type_timestamp() }}) as changed_at,
    cast(change_reason as {{ dbt.type_string() }}) as reason
from {{ ref('int_identity__record_customers') }}
where change_reason in ('merge', 'split')
    {% if is_incremental() %}
    and assigned_at > (select coalesce(max(changed_at), cast('0001-01-01' as {{ dbt.type_timestamp() }})) from {{ this }})
    {% endif %}
