{#- Every linking identifier and the customer it belongs to. Values that did not link (invalid,
    blocklisted, shared, or refused by a per-customer limit) are not listed: they do not identify
    one customer. -#}
with

linked as (
    select distinct
        links.record_key,
        links.identifier_type,
        links.identifier_key
    from {{ ref('int_identity__links') }} as links
    where links.link_status = 'linked'
),

observations as (
    select
        ids.identifier_type,
        ids.identifier_value,
        assignments.customer_id,
        ids.observed_at,
        ids.source
    from {{ ref('int_identity__record_identifiers') }} as ids
    join linked
        on linked.record_key = ids.record_key
        and linked.identifier_key = {{ dbt.concat(['ids.identifier_type', "'|'", 'ids.identifier_value']) }}
    join {{ ref('int_identity__record_customers') }} as assignments
        on assignments.record_key = ids.record_key
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
