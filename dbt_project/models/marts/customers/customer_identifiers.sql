{#- Every linking identifier and the customer it belongs to. Values that did not link (invalid,
    blocklisted, shared, or refused by a per-customer limit) are not listed: they do not identify
    one customer. `sources` is built from one flag per source system (macros/marts/source_systems.sql),
    not a sorted text aggregate. The customer is a grouping key, not an aggregate: every record a
    value linked is in that value's component, so all its records have the same customer, and
    grouping on the id is cheaper than carrying a text `min` per value (5.4M values at M).

    Incremental on DuckDB (Spark rebuilds the table): a customer's rows come from its own records'
    links only, so a run rewrites only the customers whose links or records changed
    (macros/marts/changed_customers.sql). -#}
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
    {%- if is_incremental() %}
        and assignments.customer_id in (select customer_id from {{ changed_customers() }})
    {%- endif %}
),

identifiers as (
    select
        identifier_type,
        identifier_value,
        customer_id,
        min(observed_at) as first_seen_at,
        max(observed_at) as last_seen_at,
        {{ source_system_flags('source') }}
    from observations
    group by identifier_type, identifier_value, customer_id
)

select
    cast(identifier_type as {{ dbt.type_string() }}) as identifier_type,
    cast(identifier_value as {{ dbt.type_string() }}) as identifier_value,
    cast(customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(first_seen_at as {{ dbt.type_timestamp() }}) as first_seen_at,
    cast(last_seen_at as {{ dbt.type_timestamp() }}) as last_seen_at,
    cast({{ source_system_list() }} as {{ dbt.type_string() }}) as sources
from identifiers
