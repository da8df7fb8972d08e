{{ config(materialized='label_propagation') }}
{#- Records are linked through the identifiers they carry; the label_propagation materialization
    turns these links into connected components tier by tier (identifier priority) and refuses
    links that would break a per-customer limit. Records with nothing linkable still get a row,
    so every record ends up in exactly one component. The value, its source and when it was
    seen ride along, so customer_identifiers is read from here without matching text keys again. -#}

with

linkable as (
    {#- One row per (record, type, value) already: int_identity__record_identifiers is tested
        unique on those, and its tests run before this model in a build. -#}
    select
        ids.record_key,
        {{ dbt.concat(['ids.identifier_type', "'|'", 'ids.identifier_value']) }} as identifier_key,
        ids.identifier_type,
        rules.priority as tier,
        rules.max_per_customer,
        ids.identifier_value,
        ids.source,
        ids.observed_at
    from {{ ref('int_identity__record_identifiers') }} as ids
    join {{ ref('int_identity__identifier_rules') }} as rules
        on rules.identifier_type = ids.identifier_type and rules.links
    left join {{ ref('int_identity__shared_identifiers') }} as shared
        on shared.identifier_type = ids.identifier_type and shared.identifier_value = ids.identifier_value
    where ids.is_valid and shared.identifier_value is null
),

unlinked_records as (
    select
        records.record_key,
        cast(null as {{ dbt.type_string() }}) as identifier_key,
        cast(null as {{ dbt.type_string() }}) as identifier_type,
        cast(0 as {{ dbt.type_int() }}) as tier,
        cast(null as {{ dbt.type_int() }}) as max_per_customer,
        cast(null as {{ dbt.type_string() }}) as identifier_value,
        cast(null as {{ dbt.type_string() }}) as source,
        cast(null as {{ dbt.type_timestamp() }}) as observed_at
    from {{ ref('int_identity__records') }} as records
    left join linkable on linkable.record_key = records.record_key
    where linkable.record_key is null
)

select * from linkable
union all
select * from unlinked_records
