{{ config(unique_key='performance_id', pre_hook="{{ forget_rows_that_left_raw('raw_google_ads', 'campaign_performance') }}") }}
{#- Daily campaign metrics; cost arrives in micros of the account currency (USD). -#}
with

source as (
    {{ unseen_rows_of_completed_loads('raw_google_ads', 'campaign_performance') }}
),

renamed as (
    select
        ---------- ids
        {{ dbt.concat(['cast(campaign_id as ' ~ dbt.type_string() ~ ')', "'|'", 'cast(segments_date as ' ~ dbt.type_string() ~ ')']) }} as performance_id,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        campaign_name,
        campaign_advertising_channel_type as channel_type,

        ---------- numerics
        {{ safe_cast('metrics_impressions', dbt.type_bigint()) }} as impressions,
        {{ safe_cast('metrics_clicks', dbt.type_bigint()) }} as clicks,
        {{ safe_cast('metrics_cost_micros', type_double()) }} / 1000000 as spend,
        upper(customer_currency_code) as currency,
        {{ safe_cast('metrics_conversions', type_double()) }} as conversions,
        {{ safe_cast('metrics_conversions_value', type_double()) }} as conversions_value,

        ---------- timestamps
        {{ safe_cast('segments_date', 'date') }} as report_date,

        ---------- lineage
        _source_file as source_file,
        _source_line as source_line,
        _dlt_load_id as load_id
    from source
),

latest as (
    {{ latest_per_key(with_stored_versions('renamed', 'performance_id'), 'performance_id', 'load_id desc, source_file desc, source_line desc') }}
)

select * from latest
