{#- Every linking identifier and the customer it belongs to. Values that did not link (invalid,
    blocklisted, shared, or refused by a per-customer limit) are not listed: they do not identify
    one customer. -#}
with

observations as (
    select
        links.identifier_type,
        links.identifier_value,
        assignments.customer_id,
        links.observed_at,
        links.source
    from {{ ref('int_identity__links') }} as links
    join {{ ref('int_identity__record_customers') }} as assignments
        on assignments.record_key = links.record_key
    where links.link_status = 'linked'
)

select
    cast(identifier_type as {{ dbt.type_string() }}) as identifier_type,
    cast(identifier_value as {{ dbt.type_string() }}) as identifier_value,
    cast(min(customer_id) as {{ dbt.type_string() }}) as customer_id,
    cast(min(observed_at) as {{ dbt.type_timestamp() }}) as first_seen_at,
    cast(max(observed_at) as {{ dbt.type_timestamp() }}) as last_seen_at,
    cast({{ dbt.listagg('distinct source', "','", 'order by source') }} as {{ dbt.type_string() }}) as sources
from observations
group by identifier_type, identifier_value
