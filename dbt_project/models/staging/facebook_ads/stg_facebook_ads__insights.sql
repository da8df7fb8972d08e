{{ config(unique_key='insight_id', pre_hook="{{ forget_rows_that_left_raw('raw_facebook_ads', 'insights') }}") }}
{#- Daily ad-level delivery. Dates are in the ad account's time zone (UTC+7). -#}
with

source as (
    {{ unseen_rows_of_completed_loads('raw_facebook_ads', 'insights') }}
),

renamed as (
    select
        ---------- ids
        {{ dbt.concat(['cast(campaign_id as ' ~ dbt.type_string() ~ ')', "'|'", 'cast(adset_id as ' ~ dbt.type_string() ~ ')', "'|'", 'cast(ad_id as ' ~ dbt.type_string() ~ ')', "'|'", 'cast(date_start as ' ~ dbt.type_string() ~ ')']) }} as insight_id,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        campaign_name,
        cast(adset_id as {{ dbt.type_string() }}) as adset_id,
        cast(ad_id as {{ dbt.type_string() }}) as ad_id,

        ---------- numerics
        {{ safe_cast('impressions', dbt.type_bigint()) }} as impressions,
        {{ safe_cast('clicks', dbt.type_bigint()) }} as clicks,
        {{ safe_cast('spend', type_double()) }} as spend,
        upper(account_currency) as currency,
        cast(actions as {{ dbt.type_string() }}) as actions,

        ---------- timestamps
        {{ safe_cast('date_start', 'date') }} as report_date,

        ---------- lineage
        _source_file as source_file,
        _source_line as source_line,
        _dlt_load_id as load_id
    from source
),

latest as (
    {{ latest_per_key(with_stored_versions('renamed', 'insight_id'), 'insight_id', 'load_id desc, source_file desc, source_line desc') }}
)

select * from latest
