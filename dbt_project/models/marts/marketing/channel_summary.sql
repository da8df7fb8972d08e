{#- Acquisition channels compared: how many customers each brought (first touch), how many of
    them paid (conversion rate), their orders and net revenue, average order value, and for paid
    channels the spend and cost per paying customer (CAC). -#}
with

customers as (
    select customer_id, acquisition_channel, orders_count, revenue_usd, lifetime_revenue_usd
    from {{ ref('customer_traits') }}
),

by_channel as (
    select
        acquisition_channel,
        count(*) as customers,
        sum(case when orders_count > 0 then 1 else 0 end) as paying_customers,
        sum(orders_count) as orders,
        {{ exact_sum('revenue_usd') }} as gross_revenue_usd,
        {{ exact_sum('lifetime_revenue_usd') }} as net_revenue_usd
    from customers
    group by acquisition_channel
),

spend as (
    select
        case platform when 'facebook_ads' then 'facebook_lead' when 'google_ads' then 'google_click' end as acquisition_channel,
        {{ exact_sum('spend_usd') }} as spend_usd
    from {{ ref('campaign_performance') }}
    group by 1
)

select
    cast(by_channel.acquisition_channel as {{ dbt.type_string() }}) as acquisition_channel,
    cast(by_channel.customers as {{ dbt.type_bigint() }}) as customers,
    cast(by_channel.paying_customers as {{ dbt.type_bigint() }}) as paying_customers,
    cast(by_channel.paying_customers * 1.0 / nullif(by_channel.customers, 0) as {{ type_double() }}) as conversion_rate,
    cast(by_channel.orders as {{ dbt.type_bigint() }}) as orders,
    cast(by_channel.net_revenue_usd as {{ type_double() }}) as revenue_usd,
    cast(by_channel.gross_revenue_usd / nullif(by_channel.orders, 0) as {{ type_double() }}) as average_order_value_usd,
    cast(coalesce(spend.spend_usd, 0) as {{ type_double() }}) as spend_usd,
    cast(spend.spend_usd / nullif(by_channel.paying_customers, 0) as {{ type_double() }}) as cac_usd
from by_channel
left join spend on spend.acquisition_channel = by_channel.acquisition_channel
