{#- Behavioural traits per customer, measured at `as_of` (var; default: now). Only events up to
    `as_of` count, so a rerun with the same `as_of` gives the same traits.

    RFM scores are quintiles (5 = best) among customers with at least one order: recency by days
    since the last order, frequency by order count, monetary by net revenue. Segment names follow
    the usual RFM grid. Acquisition channel is the first touch: a Facebook lead, a Google ad click,
    joining the email list; without any of those, organic. -#}
{%- set as_of = as_of() -%}

with

{#- Each aggregate reads customer_events with its own filter, which DuckDB applies in the scan;
    one shared CTE of every event up to `as_of` was stored whole (11M rows at M) before any of them. #}
orders as (
    select
        customer_id,
        count(*) as orders_count,
        {{ exact_sum('amount_usd') }} as revenue_usd,
        min(occurred_at) as first_order_at,
        max(occurred_at) as last_order_at
    from {{ ref('customer_events') }}
    where event_type = 'order' and occurred_at <= {{ as_of }}
    group by customer_id
),

refunds as (
    select customer_id, count(*) as refunds_count, {{ exact_sum('amount_usd') }} as refunded_usd
    from {{ ref('customer_events') }}
    where event_type = 'refund' and occurred_at <= {{ as_of }}
    group by customer_id
),

email as (
    {%- set windows = [30, 90] %}
    select
        customer_id
        {%- for days in windows %}
        {%- for action, name in [('email_sent', 'sends'), ('email_open', 'opens'), ('email_click', 'clicks')] %},
        sum(case when event_type = '{{ action }}' and occurred_at > {{ dbt.dateadd('day', -days, as_of) }} then 1 else 0 end)
            as email_{{ name }}_{{ days }}d
        {%- endfor %}
        {%- endfor %}
    from {{ ref('customer_events') }}
    where event_type like 'email_%' and occurred_at <= {{ as_of }}
        {#- Older activity counts in no window: such a customer's zeros come from the coalesce
            below, and the grouping reads a fraction of the ten million email events (M). #}
        and occurred_at > {{ dbt.dateadd('day', -(windows | max), as_of) }}
    group by customer_id
),

buyers as (
    select
        orders.customer_id,
        orders.orders_count,
        orders.revenue_usd - coalesce(refunds.refunded_usd, 0) as net_revenue_usd,
        {{ dbt.datediff('orders.last_order_at', as_of, 'day') }} as days_since_last_order
    from orders
    left join refunds on refunds.customer_id = orders.customer_id
),

rfm as (
    select
        customer_id,
        ntile(5) over (order by days_since_last_order desc, customer_id) as rfm_recency_score,
        ntile(5) over (order by orders_count, customer_id) as rfm_frequency_score,
        ntile(5) over (order by net_revenue_usd, customer_id) as rfm_monetary_score
    from buyers
)

select
    cast(customers.customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(coalesce(orders.orders_count, 0) as {{ dbt.type_bigint() }}) as orders_count,
    cast(coalesce(orders.revenue_usd, 0) as {{ type_double() }}) as revenue_usd,
    cast(orders.revenue_usd / nullif(orders.orders_count, 0) as {{ type_double() }}) as average_order_value_usd,
    cast(orders.first_order_at as {{ dbt.type_timestamp() }}) as first_order_at,
    cast(orders.last_order_at as {{ dbt.type_timestamp() }}) as last_order_at,
    cast(buyers.days_since_last_order as {{ dbt.type_int() }}) as days_since_last_order,
    cast(coalesce(refunds.refunds_count, 0) as {{ dbt.type_bigint() }}) as refunds_count,
    cast(coalesce(refunds.refunded_usd, 0) as {{ type_double() }}) as refunded_usd,
    cast(rfm.rfm_recency_score as {{ dbt.type_int() }}) as rfm_recency_score,
    cast(rfm.rfm_frequency_score as {{ dbt.type_int() }}) as rfm_frequency_score,
    cast(rfm.rfm_monetary_score as {{ dbt.type_int() }}) as rfm_monetary_score,
    cast(
        case
            when rfm.customer_id is null then 'prospect'
            when rfm.rfm_recency_score >= 4 and rfm.rfm_frequency_score >= 4 then 'champions'
            when rfm.rfm_recency_score >= 3 and rfm.rfm_frequency_score >= 3 then 'loyal'
            when rfm.rfm_recency_score >= 4 and rfm.rfm_frequency_score <= 2 then 'new'
            when rfm.rfm_recency_score = 3 then 'potential_loyalist'
            when rfm.rfm_recency_score <= 2 and rfm.rfm_frequency_score >= 3 then 'at_risk'
            else 'hibernating'
        end as {{ dbt.type_string() }}
    ) as rfm_segment,
    {%- for days in [30, 90] %}
    {%- for name in ['sends', 'opens', 'clicks'] %}
    cast(coalesce(email.email_{{ name }}_{{ days }}d, 0) as {{ dbt.type_bigint() }}) as email_{{ name }}_{{ days }}d,
    {%- endfor %}
    {%- endfor %}
    cast(customers.is_unsubscribed as boolean) as is_unsubscribed,
    cast(customers.is_bounced as boolean) as is_bounced,
    cast(coalesce(first_touch.channel, 'organic') as {{ dbt.type_string() }}) as acquisition_channel,
    cast(coalesce(orders.revenue_usd, 0) - coalesce(refunds.refunded_usd, 0) as {{ type_double() }}) as lifetime_revenue_usd
from {{ ref('customers') }} as customers
left join orders on orders.customer_id = customers.customer_id
left join refunds on refunds.customer_id = customers.customer_id
left join email on email.customer_id = customers.customer_id
left join {{ ref('int_marketing__first_touches') }} as first_touch
    on first_touch.customer_id = customers.customer_id
left join buyers on buyers.customer_id = customers.customer_id
left join rfm on rfm.customer_id = customers.customer_id
