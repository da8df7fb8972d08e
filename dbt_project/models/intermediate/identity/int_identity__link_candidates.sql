{{ config(materialized='view') }}
{#- The input of identity resolution (int_identity__links): records are linked through the
    identifiers they carry, each link with its tier (identifier priority) and the per-customer
    limit of its type. Records with nothing linkable still get a row, so every record ends up in
    exactly one component. The value, its source and when it was seen ride along, so
    customer_identifiers is read from the links without matching text keys again. A view: both
    implementations of int_identity__links (SQL for Spark, Python on DuckDB) read it once.
    A link always has its type and its key, a record with nothing linkable neither: the Python
    model reads the latter by `identifier_type is null`, which DuckDB can tell the links never
    match (their type comes out of an inner join on it) and so skips reading them. -#}

{#- The links: one row per (record, type, value) already, as int_identity__record_identifiers is
    tested unique on those, and its tests run before this model in a build. Written once, read
    twice below: a CTE read twice would be materialized whole (10M rows at M) only to find the
    records without a link. -#}
{%- set linkable -%}
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
    where ids.is_valid and ids.identifier_value is not null and shared.identifier_value is null
{%- endset %}

with

linkable as (
    {{ linkable }}
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
    where not exists (
        select 1 from ({{ linkable }}) as linked where linked.record_key = records.record_key
    )
)

select * from linkable
union all
select * from unlinked_records
