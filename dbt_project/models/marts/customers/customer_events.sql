{#- What customers did, one row per event, in USD: the base for traits and for segment rules
    such as "opened an email 3 times in the last 30 days". Orders are successful payments only. -#}
with

record_customers as (
    select records.source, records.source_table, records.source_record_id, assignments.customer_id
    from {{ ref('int_identity__records') }} as records
    join {{ ref('int_identity__record_customers') }} as assignments
        on assignments.record_key = records.record_key
),

fx as (
    select currency, usd_per_unit from {{ ref('fx_rates') }}
),

stripe_orders as (
    select
        'order' as event_type, 'stripe' as source, 'charges' as source_table, charges.charge_id as source_record_id,
        charges.created_at as occurred_at, charges.amount * fx.usd_per_unit as amount_usd,
        cast(null as {{ dbt.type_string() }}) as campaign_id
    from {{ ref('stg_stripe__charges') }} as charges
    join fx on fx.currency = charges.currency
    where charges.is_succeeded
),

vnpay_orders as (
    select
        'order', 'vnpay', 'transactions', transactions.transaction_id,
        transactions.paid_at, transactions.amount * fx.usd_per_unit,
        cast(null as {{ dbt.type_string() }})
    from {{ ref('stg_vnpay__transactions') }} as transactions
    join fx on fx.currency = transactions.currency
    where transactions.is_succeeded
),

stripe_refunds as (
    select
        'refund', 'stripe', 'refunds', refunds.refund_id,
        refunds.created_at, refunds.amount * fx.usd_per_unit,
        cast(null as {{ dbt.type_string() }})
    from {{ ref('stg_stripe__refunds') }} as refunds
    join fx on fx.currency = refunds.currency
    where refunds.status = 'succeeded'
),

leads as (
    select
        'lead', 'facebook_ads', 'leads', lead_id,
        created_at, cast(null as {{ type_double() }}),
        campaign_id
    from {{ ref('stg_facebook_ads__leads') }}
),

ad_clicks as (
    select
        'ad_click', 'google_ads', 'clicks', gclid,
        cast(clicked_on as {{ dbt.type_timestamp() }}), cast(null as {{ type_double() }}),
        campaign_id
    from {{ ref('stg_google_ads__clicks') }}
),

record_events as (
    select * from stripe_orders
    union all select * from vnpay_orders
    union all select * from stripe_refunds
    union all select * from leads
    union all select * from ad_clicks
),

member_by_email as (
    {#- Addresses are unique within an audience; should a re-export ever repeat one, the most
        recently changed member takes the activity. -#}
    {{ latest_per_key(ref('stg_mailchimp__members'), 'email', 'last_changed_at desc nulls last, member_id') }}
),

email_events as (
    {#- Activity reaches a person through the Mailchimp member with that address. -#}
    select
        {{ dbt.concat(["'mailchimp:'", 'activities.activity_id']) }} as event_id,
        record_customers.customer_id,
        'email_' || activities.action as event_type,
        activities.occurred_at,
        cast(null as {{ type_double() }}) as amount_usd,
        'mailchimp' as source,
        'campaign_activity' as source_table,
        activities.activity_id as source_record_id,
        activities.campaign_id
    from {{ ref('stg_mailchimp__campaign_activities') }} as activities
    join member_by_email as members
        on members.email = activities.email
    join record_customers
        on record_customers.source = 'mailchimp'
        and record_customers.source_table = 'members'
        and record_customers.source_record_id = members.member_id
    where activities.action in ('sent', 'open', 'click', 'bounce')
),

all_events as (
    select
        {{ dbt.concat(['record_events.source', "':'", 'record_events.source_table', "':'", 'record_events.source_record_id']) }} as event_id,
        record_customers.customer_id,
        record_events.event_type,
        record_events.occurred_at,
        record_events.amount_usd,
        record_events.source,
        record_events.source_table,
        record_events.source_record_id,
        record_events.campaign_id
    from record_events
    join record_customers
        on record_customers.source = record_events.source
        and record_customers.source_table = record_events.source_table
        and record_customers.source_record_id = record_events.source_record_id
    union all
    select * from email_events
)

select
    cast(event_id as {{ dbt.type_string() }}) as event_id,
    cast(customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(event_type as {{ dbt.type_string() }}) as event_type,
    cast(occurred_at as {{ dbt.type_timestamp() }}) as occurred_at,
    cast(amount_usd as {{ type_double() }}) as amount_usd,
    cast(source as {{ dbt.type_string() }}) as source,
    cast(source_table as {{ dbt.type_string() }}) as source_table,
    cast(source_record_id as {{ dbt.type_string() }}) as source_record_id,
    cast(campaign_id as {{ dbt.type_string() }}) as campaign_id
from all_events
where occurred_at is not null
