{#- Which customer every ingested person record belongs to; spelled like the generator's truth
    file so identity quality can be measured against it.

    Incremental on DuckDB (Spark rebuilds the table): a run rewrites only the customers whose
    records or assignments changed (macros/marts/changed_customers.sql). -#}
select
    cast(records.source as {{ dbt.type_string() }}) as source,
    cast(records.source_table as {{ dbt.type_string() }}) as source_table,
    cast(records.source_record_id as {{ dbt.type_string() }}) as source_record_id,
    cast(assignments.customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(records.first_seen_at as {{ dbt.type_timestamp() }}) as first_seen_at,
    cast(records.observed_at as {{ dbt.type_timestamp() }}) as last_seen_at
from {{ ref('int_identity__records') }} as records
join {{ ref('int_identity__record_customers') }} as assignments
    on assignments.record_key = records.record_key
{%- if is_incremental() %}
where assignments.customer_id in (select customer_id from {{ changed_customers() }})
{%- endif %}
