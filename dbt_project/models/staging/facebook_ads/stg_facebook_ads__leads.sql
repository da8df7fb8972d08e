{#- Lead Ads objects keep the form answers as a list of {name, values}; dlt stores that list as
    child tables, pivoted back here into one row per lead. -#}
with

source as (
    {{ from_completed_loads('raw_facebook_ads', 'leads') }}
),

answers as (
    select
        field_data._dlt_parent_id as lead_row_id,
        field_data.name as field_name,
        answer.value as field_value
    from {{ source('raw_facebook_ads', 'leads__field_data') }} as field_data
    join {{ source('raw_facebook_ads', 'leads__field_data__values') }} as answer
        on answer._dlt_parent_id = field_data._dlt_id
    where answer._dlt_list_idx = 0
),

form as (
    select
        lead_row_id,
        max(case when field_name = 'full_name' then field_value end) as full_name,
        max(case when field_name = 'email' then field_value end) as email,
        max(case when field_name = 'phone_number' then field_value end) as phone_number
    from answers
    group by lead_row_id
),

renamed as (
    {%- set is_vietnamese_phone = normalize_phone('form.phone_number') ~ " like '+84%'" %}
    select
        ---------- ids
        cast(source.id as {{ dbt.type_string() }}) as lead_id,
        cast(source.campaign_id as {{ dbt.type_string() }}) as campaign_id,
        source.campaign_name,
        cast(source.adset_id as {{ dbt.type_string() }}) as adset_id,
        cast(source.ad_id as {{ dbt.type_string() }}) as ad_id,
        cast(source.form_id as {{ dbt.type_string() }}) as form_id,
        source.platform,

        ---------- person
        {{ full_name_fields('form.full_name', 'coalesce(' ~ is_vietnamese_phone ~ ', false)') }},
        {{ email_fields('form.email') }},
        {{ phone_fields('form.phone_number') }},

        ---------- timestamps
        {{ to_utc_timestamp('source.created_time') }} as created_at,

        ---------- lineage
        source._source_file as source_file,
        source._source_line as source_line,
        source._dlt_load_id as load_id
    from source
    left join form on form.lead_row_id = source._dlt_id
),

latest as (
    {{ latest_per_key('renamed', 'lead_id', 'load_id desc, source_file desc, source_line desc') }}
)

select * from latest
