{{ config(unique_key='lead_id', pre_hook="{{ forget_rows_that_left_raw('raw_facebook_ads', 'leads') }}") }}
{#- Lead Ads objects: the loader spreads the form answers (`field_data`) into one column each. -#}
with

source as (
    {{ unseen_rows_of_completed_loads('raw_facebook_ads', 'leads') }}
),

renamed as (
    {%- set is_vietnamese_phone = normalize_phone('field_data__phone_number') ~ " like '+84%'" %}
    select
        ---------- ids
        cast(id as {{ dbt.type_string() }}) as lead_id,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        campaign_name,
        cast(adset_id as {{ dbt.type_string() }}) as adset_id,
        cast(ad_id as {{ dbt.type_string() }}) as ad_id,
        cast(form_id as {{ dbt.type_string() }}) as form_id,
        platform,

        ---------- person
        {{ full_name_fields('field_data__full_name', 'coalesce(' ~ is_vietnamese_phone ~ ', false)') }},
        {{ email_fields('field_data__email') }},
        {{ phone_fields('field_data__phone_number') }},

        ---------- timestamps
        {{ to_utc_timestamp('created_time') }} as created_at,

        ---------- lineage
        _source_file as source_file,
        _source_line as source_line,
        _dlt_load_id as load_id
    from source
),

latest as (
    {{ latest_per_key(with_stored_versions('renamed', 'lead_id'), 'lead_id', 'load_id desc, source_file desc, source_line desc') }}
)

select * from latest
