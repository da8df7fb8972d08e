{{ config(unique_key='contact_id', pre_hook="{{ forget_rows_that_left_raw('raw_hubspot', 'contacts') }}") }}
with

source as (
    {{ unseen_rows_of_completed_loads('raw_hubspot', 'contacts') }}
),

renamed as (
    select
        ---------- ids
        cast(record_id as {{ dbt.type_string() }}) as contact_id,
        nullif(trim(cast(google_ad_click_id as {{ dbt.type_string() }})), '') as gclid,

        ---------- person
        {{ name_fields('first_name', 'last_name') }},
        {{ email_fields('email') }},
        {{ phone_fields('phone_number') }},
        nullif(trim(job_title), '') as job_title,
        nullif(trim(associated_company), '') as company,
        nullif(trim(city), '') as city,
        nullif(trim(country_region), '') as country_name,

        ---------- crm
        nullif(trim(contact_owner), '') as contact_owner,
        nullif(trim(lifecycle_stage), '') as lifecycle_stage,
        nullif(trim(lead_status), '') as lead_status,
        nullif(trim(original_source), '') as original_source,
        nullif(trim(utm_source), '') as utm_source,
        nullif(trim(utm_medium), '') as utm_medium,
        nullif(trim(utm_campaign), '') as utm_campaign,

        ---------- consent
        coalesce(lower(cast(unsubscribed_from_all_email as {{ dbt.type_string() }})) in ('true', '1', 'yes'), false)
            as is_unsubscribed_from_all_email,

        ---------- timestamps
        {{ to_utc_timestamp('create_date') }} as created_at,
        {{ to_utc_timestamp('last_modified_date') }} as modified_at,
        {{ to_utc_timestamp('last_activity_date') }} as last_activity_at,

        ---------- lineage
        _source_file as source_file,
        _source_line as source_line,
        _dlt_load_id as load_id
    from source
),

latest as (
    {{ latest_per_key(with_stored_versions('renamed', 'contact_id'), 'contact_id', 'modified_at desc nulls last, load_id desc, source_file desc, source_line desc') }}
)

select * from latest
