{{ config(materialized='table', schema='segments', tags=['segment']) }}
-- An analyst-written segment: repeat buyers whose average order value beats the average of buyers
-- in their own country, a comparison between customers that YAML rules cannot express.

with

buyers as (
    select
        customers.customer_id,
        customers.country,
        traits.average_order_value_usd
    from {{ ref('customers') }} as customers
    inner join {{ ref('customer_traits') }} as traits
        on traits.customer_id = customers.customer_id
    where traits.orders_count >= 2
        and customers.country is not null
        and traits.average_order_value_usd is not null
),

compared as (
    select
        customer_id,
        average_order_value_usd,
        avg(average_order_value_usd) over (partition by country) as country_average_usd
    from buyers
)

select customer_id
from compared
where average_order_value_usd > country_average_usd
