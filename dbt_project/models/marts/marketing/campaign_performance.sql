{#- Paid campaigns per day (the ad account's local day): delivery and cost from the platforms,
    leads from lead forms, and first-touch attribution: a customer whose first touch was this
    campaign on this day counts as acquired here once they have paid, together with their orders
    and revenue (net of refunds, up to `as_of`). CAC = spend / customers acquired;
    ROAS = attributed revenue / spend. -#}
{%- set offset_hours = var('ad_account_utc_offset_hours', 7) -%}

with

delivery as (
    select
        report_date, 'facebook_ads' as platform, campaign_id, max(campaign_name) as campaign_name,
        {{ exact_sum('spend') }} as spend_usd, sum(impressions) as impressions, sum(clicks) as clicks
    from {{ ref('stg_facebook_ads__insights') }}
    where report_date is not null
    group by report_date, campaign_id
    union all
    select
        report_date, 'google_ads', campaign_id, max(campaign_name),
        {{ exact_sum('spend') }}, sum(impressions), sum(clicks)
    from {{ ref('stg_google_ads__campaign_performances') }}
    where report_date is not null
    group by report_date, campaign_id
),

leads as (
    select
        cast({{ dbt.dateadd('hour', offset_hours, 'created_at') }} as date) as report_date,
        'facebook_ads' as platform,
        campaign_id,
        count(*) as leads
    from {{ ref('stg_facebook_ads__leads') }}
    where created_at is not null
    group by 1, 2, 3
),

customer_value as (
    select
        customer_id,
        orders_count,
        lifetime_revenue_usd
    from {{ ref('customer_traits') }}
    where orders_count > 0
),

attributed as (
    select
        touches.touch_date as report_date,
        touches.platform,
        touches.campaign_id,
        count(*) as customers_acquired,
        sum(customer_value.orders_count) as orders_attributed,
        {{ exact_sum('customer_value.lifetime_revenue_usd') }} as revenue_attributed_usd
    from {{ ref('int_marketing__first_touches') }} as touches
    join customer_value on customer_value.customer_id = touches.customer_id
    where touches.platform in ('facebook_ads', 'google_ads') and touches.touch_date is not null
    group by 1, 2, 3
),

keys as (
    select report_date, platform, campaign_id from delivery
    union
    select report_date, platform, campaign_id from leads
    union
    select report_date, platform, campaign_id from attributed
),

campaign_names as (
    select platform, campaign_id, max(campaign_name) as campaign_name
    from delivery
    group by platform, campaign_id
)

select
    cast(keys.report_date as date) as report_date,
    cast(keys.platform as {{ dbt.type_string() }}) as platform,
    cast(keys.campaign_id as {{ dbt.type_string() }}) as campaign_id,
    cast(campaign_names.campaign_name as {{ dbt.type_string() }}) as campaign_name,
    cast(coalesce(delivery.spend_usd, 0) as {{ type_double() }}) as spend_usd,
    cast(coalesce(delivery.impressions, 0) as {{ dbt.type_bigint() }}) as impressions,
    cast(coalesce(delivery.clicks, 0) as {{ dbt.type_bigint() }}) as clicks,
    cast(delivery.clicks * 1.0 / nullif(delivery.impressions, 0) as {{ type_double() }}) as ctr,
    cast(delivery.spend_usd / nullif(delivery.clicks, 0) as {{ type_double() }}) as cpc_usd,
    cast(coalesce(leads.leads, 0) as {{ dbt.type_bigint() }}) as leads,
    cast(coalesce(attributed.customers_acquired, 0) as {{ dbt.type_bigint() }}) as customers_acquired,
    cast(coalesce(attributed.orders_attributed, 0) as {{ dbt.type_bigint() }}) as orders_attributed,
    cast(coalesce(attributed.revenue_attributed_usd, 0) as {{ type_double() }}) as revenue_attributed_usd,
    cast(delivery.spend_usd / nullif(attributed.customers_acquired, 0) as {{ type_double() }}) as cac_usd,
    cast(attributed.revenue_attributed_usd / nullif(delivery.spend_usd, 0) as {{ type_double() }}) as roas
from keys
left join delivery
    on delivery.report_date = keys.report_date and delivery.platform = keys.platform and delivery.campaign_id = keys.campaign_id
left join leads
    on leads.report_date = keys.report_date and leads.platform = keys.platform and leads.campaign_id = keys.campaign_id
left join attributed
    on attributed.report_date = keys.report_date and attributed.platform = keys.platform and attributed.campaign_id = keys.campaign_id
left join campaign_names
    on campaign_names.platform = keys.platform and campaign_names.campaign_id = keys.campaign_id
