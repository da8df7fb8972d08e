{#- Each customer's first touch (up to `as_of`): a Facebook lead, a Google ad click, or joining
    the email list; the campaign and the ad account's local day of that touch, for first-touch
    attribution. Customers without any touch are organic and have no row here. -#}
{%- set as_of = as_of() -%}
{%- set offset_hours = var('ad_account_utc_offset_hours', 7) -%}

with

touches as (
    select
        customer_id, occurred_at, 1 as tie_break, 'facebook_lead' as channel, 'facebook_ads' as platform,
        campaign_id,
        cast({{ dbt.dateadd('hour', offset_hours, 'occurred_at') }} as date) as touch_date
    from {{ ref('customer_events') }}
    where event_type = 'lead'
    union all
    select
        customer_id, occurred_at, 2, 'google_click', 'google_ads',
        campaign_id,
        cast(occurred_at as date)
    from {{ ref('customer_events') }}
    where event_type = 'ad_click'
    union all
    select
        assignments.customer_id, coalesce(members.opted_in_at, members.last_changed_at), 3, 'email', 'mailchimp',
        cast(null as {{ dbt.type_string() }}),
        cast(coalesce(members.opted_in_at, members.last_changed_at) as date)
    from {{ ref('stg_mailchimp__members') }} as members
    join {{ ref('int_identity__record_customers') }} as assignments
        on assignments.record_key = {{ dbt.concat(["'mailchimp:members:'", 'members.member_id']) }}
)

select customer_id, channel, platform, campaign_id, occurred_at as touched_at, touch_date
from (
    select
        *,
        row_number() over (partition by customer_id order by occurred_at, tie_break, campaign_id) as touch_order
    from touches
    where occurred_at <= {{ as_of }}
) as ordered
where touch_order = 1
