{{ config(materialized='incremental', on_schema_change='fail', full_refresh=false) }}
{#- Every customer id that stopped being used, and the id its records moved to: `merge` when
    its customer was merged into an older one, `split` when some of its records now form a new
    customer. Appended run by run, so the history survives later runs. -#}
select distinct
    cast(previous_customer_id as {{ dbt.type_string() }}) as old_customer_id,
    cast(customer_id as {{ dbt.type_string() }}) as new_customer_id,
    cast(assigned_at as {{ dbt.type_timestamp() }}) as changed_at,
    cast(change_reason as {{ dbt.type_string() }}) as reason
from {{ ref('int_identity__record_customers') }}
where change_reason in ('merge', 'split')
    and assigned_at = (select max(assigned_at) from {{ ref('int_identity__record_customers') }})
    {% if is_incremental() %}
    and assigned_at > (select coalesce(max(changed_at), cast('1900-01-01' as {{ dbt.type_timestamp() }})) from {{ this }})
    {% endif %}
