{#- customers.email_marketing_consent and ads_consent are exactly today's status in
    customer_consent: a row returned here is a customer whose flags disagree with it. It reads two
    models, so the `dagster` meta names the one whose asset check it is: the flags of customers
    are what activation sends on. -#}
{{ config(meta={'dagster': {'ref': {'name': 'customers'}}}) }}
select customers.customer_id, consent.channel
from {{ ref('customers') }} as customers
join {{ ref('customer_consent') }} as consent
    on consent.customer_id = customers.customer_id
where (consent.status = 'granted') <> case consent.channel
        when 'email_marketing' then customers.email_marketing_consent
        else customers.ads_consent
    end
