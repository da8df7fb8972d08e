{{ config(
    materialized=('table' if target.type == 'spark' else 'incremental'),
    unique_key='event_id',
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
    pre_hook=[
        "{% if is_incremental() %}delete from {{ this }} where source_table <> 'campaign_activity'{% endif %}",
        "{{ create_consumed_mark('assignments_seen', 'assigned_at', is_incremental()) }}",
    ],
    post_hook="{{ move_consumed_mark('assignments_seen', 'assigned_at', ref('int_identity__record_customers'), config.get('materialized') == 'incremental') }}",
) }}
{#- What customers did, one row per event, in USD: the base for traits and for segment rules
    such as "opened an email 3 times in the last 30 days". Orders are successful payments only.

    Incremental, for the email activity only: that is nine events in ten, and each activity is
    immutable, so a run adds the activities of dlt loads this table has not seen (`load_id`) and
    re-keys those of members whose record got a customer id after the assignments this table last
    consumed (macros/incremental/consumed_marks.sql: not just the latest identity run's, which
    would miss the merges of a run that stopped before the marts). Orders, refunds, leads
    and clicks come from keyed records that a correction can withdraw (a charge that turns out
    failed), so they are deleted (pre-hook) and rewritten whole on every run: a few percent of the
    rows, and no event survives its record. On Spark, where plain Parquet tables cannot delete,
    the model is rebuilt as a table. -#}
{%- set incremental = is_incremental() -%}
{#- A table built before events carried `load_id` gains the column empty: no load counts as seen
    then, so the first run rewrites every event once. -#}
{%- set unseen_load = 'not in (select distinct load_id from ' ~ this ~ ' where load_id is not null)' -%}

with

record_customers as (
    {#- An event's id is its record's `record_key` (source:table:id, as int_identity__records
        spells it), and every staged row of these tables is a person record: the assignments
        alone give each event its customer, without reading the 3M records (M) again. The row
        a record no longer ingested leaves in the assignments matches no event: its staged row,
        the event's source, is gone too. -#}
    select
        record_key, customer_id,
        {%- if incremental %}
        {{ consumed_since('assigned_at', 'assignments_seen') }}
        {%- else %}
        false
        {%- endif %} as has_new_customer
    from {{ ref('int_identity__record_customers') }}
),

fx as (
    select currency, usd_per_unit from {{ ref('fx_rates') }}
),

stripe_orders as (
    select
        'order' as event_type, 'stripe' as source, 'charges' as source_table, charges.charge_id as source_record_id,
        charges.created_at as occurred_at, charges.amount * fx.usd_per_unit as amount_usd,
        cast(null as {{ dbt.type_string() }}) as campaign_id, charges.load_id
    from {{ ref('stg_stripe__charges') }} as charges
    join fx on fx.currency = charges.currency
    where charges.is_succeeded
),

vnpay_orders as (
    select
        'order', 'vnpay', 'transactions', transactions.transaction_id,
        transactions.paid_at, transactions.amount * fx.usd_per_unit,
        cast(null as {{ dbt.type_string() }}), transactions.load_id
    from {{ ref('stg_vnpay__transactions') }} as transactions
    join fx on fx.currency = transactions.currency
    where transactions.is_succeeded
),

stripe_refunds as (
    select
        'refund', 'stripe', 'refunds', refunds.refund_id,
        refunds.created_at, refunds.amount * fx.usd_per_unit,
        cast(null as {{ dbt.type_string() }}), refunds.load_id
    from {{ ref('stg_stripe__refunds') }} as refunds
    join fx on fx.currency = refunds.currency
    where refunds.status = 'succeeded'
),

leads as (
    select
        'lead', 'facebook_ads', 'leads', lead_id,
        created_at, cast(null as {{ type_double() }}),
        campaign_id, load_id
    from {{ ref('stg_facebook_ads__leads') }}
),

ad_clicks as (
    select
        'ad_click', 'google_ads', 'clicks', gclid,
        cast(clicked_on as {{ dbt.type_timestamp() }}), cast(null as {{ type_double() }}),
        campaign_id, load_id
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

member_customers as (
    select
        members.email, record_customers.customer_id,
        {%- if incremental %}
        record_customers.has_new_customer or members.load_id {{ unseen_load }}
        {%- else %}
        false
        {%- endif %} as is_changed
    from member_by_email as members
    join record_customers
        on record_customers.record_key = {{ dbt.concat(["'mailchimp:members:'", 'members.member_id']) }}
),

email_events as (
    {#- Activity reaches a person through the Mailchimp member with that address. -#}
    select
        {{ dbt.concat(["'mailchimp:'", 'activities.activity_id']) }} as event_id,
        members.customer_id,
        'email_' || activities.action as event_type,
        activities.occurred_at,
        cast(null as {{ type_double() }}) as amount_usd,
        'mailchimp' as source,
        'campaign_activity' as source_table,
        activities.activity_id as source_record_id,
        activities.campaign_id,
        activities.load_id
    from (
        {#- The activities a run writes are chosen before the join: the new loads and the few
            changed members' activity, not all ten million rows (M). An address names one member,
            so the member's flag is its address's. -#}
        select * from {{ ref('stg_mailchimp__campaign_activities') }}
        where action in ('sent', 'open', 'click', 'bounce')
            {%- if incremental %}
            and (
                load_id {{ unseen_load }}
                or email in (select email from member_customers where is_changed)
            )
            {%- endif %}
    ) as activities
    join member_customers as members
        on members.email = activities.email
),

all_events as (
    select
        record_events.event_id,
        record_customers.customer_id,
        record_events.event_type,
        record_events.occurred_at,
        record_events.amount_usd,
        record_events.source,
        record_events.source_table,
        record_events.source_record_id,
        record_events.campaign_id,
        record_events.load_id
    from (
        select
            {{ dbt.concat(['source', "':'", 'source_table', "':'", 'source_record_id']) }} as event_id,
            record_events.*
        from record_events
    ) as record_events
    join record_customers
        on record_customers.record_key = record_events.event_id
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
    cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
    cast(load_id as {{ dbt.type_string() }}) as load_id
from all_events
where occurred_at is not null
