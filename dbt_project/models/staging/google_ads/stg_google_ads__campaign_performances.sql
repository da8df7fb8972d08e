{#- Daily campaign metrics; cost arrives in micros of the account currency (USD). -#}
with

source as (
    {{ from_completed_loads('raw_google_ads', 'campaign_performance') }}
),

renamed as (
    select
        ---------- ids
        {{ dbt.concat(['cast(campaign_id as ' ~ dbt.type_string() ~ ')', "'|'", 'cast(segments_date as ' ~ dbt.type_string() ~ ')']) }} as performance_id,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        campaign_name,
        campaign_advertising_channel_type as channel_type,

        ---------- numerics
        cast(metrics_impressions as {{ dbt.type_bigint() }}) as impressions,
        cast(metrics_clicks as {{ dbt.type_bigint() }}) as clicks,
        cast(metrics_cost_micros as {{ type_double() }}) / 1000000 as spend,
        upper(customer_currency_code) as currency,
        cast(metrics_conversions as {{ type_double() }}) as conversions,
        cast(metrics_conversions_value as {{ type_double() }}) as conversions_value,

        ---------- timestamps
        cast(segments_date as date) as report_date,

        ---------- lineage
        _source_file as source_file,
        _source_line as source_line,
        _dlt_load_id as load_id
    from source
),

latest as (
    {{ latest_per_key('renamed', 'performance_id', 'load_id desc, source_file desc, source_line desc') }}
)

select * from latest
