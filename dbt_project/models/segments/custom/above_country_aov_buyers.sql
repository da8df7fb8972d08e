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
    {#- Summed exactly (macros/portable/exact_sum.sql) and compared without dividing: a double
        average over parallel threads differs in its last bits from run to run, which can move a
        customer whose value equals the average in or out of the segment. -#}
    select
        customer_id,
        cast(average_order_value_usd as {{ dbt.type_numeric() }}) as average_order_value_usd,
        {{ exact_sum('average_order_value_usd') }} over (partition by country) as country_total_usd,
        count(*) over (partition by country) as country_buyers
    from buyers
)

select customer_id
from compared
where average_order_value_usd * country_buyers > country_total_usd
