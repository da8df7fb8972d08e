{{ config(unique_key='deal_id', pre_hook="{{ forget_rows_that_left_raw('raw_hubspot', 'deals') }}") }}
with

source as (
    {{ unseen_rows_of_completed_loads('raw_hubspot', 'deals') }}
),

renamed as (
    select
        ---------- ids
        cast(record_id as {{ dbt.type_string() }}) as deal_id,
        nullif(trim(cast(associated_contact as {{ dbt.type_string() }})), '') as contact_id,

        ---------- deal
        nullif(trim(deal_name), '') as deal_name,
        nullif(trim(deal_stage), '') as deal_stage,
        nullif(trim(pipeline), '') as pipeline,
        nullif(trim(deal_owner), '') as deal_owner,

        ---------- numerics
        {{ safe_cast('amount', type_double()) }} as amount,
        upper(trim(currency)) as currency,

        ---------- timestamps
        {{ safe_cast('close_date', 'date') }} as closed_on,
        {{ to_utc_timestamp('create_date') }} as created_at,
        {{ to_utc_timestamp('last_modified_date') }} as modified_at,

        ---------- lineage
        _source_file as source_file,
        _source_line as source_line,
        _dlt_load_id as load_id
    from source
),

latest as (
    {{ latest_per_key(with_stored_versions('renamed', 'deal_id'), 'deal_id', 'modified_at desc nulls last, load_id desc, source_file desc, source_line desc') }}
)

select * from latest
