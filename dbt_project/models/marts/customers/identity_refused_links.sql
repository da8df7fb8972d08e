{#- Audit of links the identity rules refused: a record and an identifier it carries that were
    not joined, because joining them would have given one customer more values of a type than
    `max_per_customer` allows. -#}
{#- A handful of rows (5 at M) from tables of millions: misled by its estimate for the status
    filter, DuckDB joined the 3.1M records with their 3.1M assignments before the refused links
    (2.4 CPU-s). The semi-joins on the refused links' keys make it join only their rows (1.1). -#}
with refused as (
    select record_key, identifier_type, identifier_key, refusal_reason
    from {{ ref('int_identity__links') }}
    where link_status = 'refused'
)

select
    cast(records.source as {{ dbt.type_string() }}) as source,
    cast(records.source_table as {{ dbt.type_string() }}) as source_table,
    cast(records.source_record_id as {{ dbt.type_string() }}) as source_record_id,
    cast(links.identifier_type as {{ dbt.type_string() }}) as identifier_type,
    cast(substr(links.identifier_key, length(links.identifier_type) + 2) as {{ dbt.type_string() }}) as identifier_value,
    cast(assignments.customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(links.refusal_reason as {{ dbt.type_string() }}) as reason
from refused as links
join {{ ref('int_identity__records') }} as records
    on records.record_key = links.record_key
join {{ ref('int_identity__record_customers') }} as assignments
    on assignments.record_key = links.record_key
where records.record_key in (select record_key from refused)
    and assignments.record_key in (select record_key from refused)
