{{ config(materialized='incremental', unique_key='consent_signal_id', incremental_strategy='delete+insert', on_schema_change='fail', full_refresh=false) }}
{#- Every consent signal the exports carry, one row per signal and channel it speaks for, kept
    across runs: the raw tables hold only the latest version of each record, so a signal that a
    later export replaces (an unsubscribe followed by a new signup, an opt-out lifted in HubSpot)
    stays here with its time. A signal is identified by its record, kind, channel and time; a
    rerun replaces the same signal with itself.

    What the exports say, and what counts as an explicit signal (docs/privacy.md, "Consent
    provenance"):
      Mailchimp audience  every member opted in once (OPTIN_TIME, CONFIRM_TIME once confirmed):
                          `opt_in`. An unsubscribed member also carries `unsubscribe` (UNSUB_TIME),
                          a cleaned one `cleaned` (CLEAN_TIME: the address hard-bounced).
      Mailchimp activity  `bounce` events (and `unsubscribe`, should an export ever carry it).
      HubSpot contacts    "Unsubscribed from all email" = true is an `opt_out` as of the contact's
                          last modification. `false` is everybody's default, not an opt-in, and
                          the lifecycle stage says how far a person is in the funnel, not what
                          they agreed to: neither is a signal. A contact that was logged opted
                          out and now is not was re-subscribed in HubSpot (only the contact can
                          do that): an `opt_in` as of its last modification.
      Stripe, VNPay,      carry no marketing consent field in their exports (the lead form has
      Facebook leads      full name, email and phone only).

    Channels: a marketing opt-in or opt-out speaks for both `email_marketing` and `ads` (no export
    carries an ads-only consent); a bounce or cleaned address only for `email_marketing`.
    `lifts_bounce` marks the opt-ins that may re-enable a bounced address: only Mailchimp's own,
    because Mailchimp lets a cleaned address back only when the person signs up again themselves
    (never by import or API), so a newer Mailchimp opt-in is the person vouching for the address.

    Each signal keeps the record that carries it (`source_table`, `source_record_id`) and the
    person record identity resolution knows it by (`person_table`, `person_record_id`): an email
    event reaches its person through the Mailchimp member with that address. -#}
with

signal_channels as (
    select 'opt_in' as signal, 'email_marketing' as channel, 'granted' as status
    union all select 'opt_in', 'ads', 'granted'
    union all select 'unsubscribe', 'email_marketing', 'denied'
    union all select 'unsubscribe', 'ads', 'denied'
    union all select 'opt_out', 'email_marketing', 'denied'
    union all select 'opt_out', 'ads', 'denied'
    union all select 'cleaned', 'email_marketing', 'denied'
    union all select 'bounce', 'email_marketing', 'denied'
),

members as (
    select * from {{ ref('stg_mailchimp__members') }}
),

member_opt_ins as (
    select
        'opt_in' as signal,
        'mailchimp' as source,
        'members' as source_table,
        member_id as source_record_id,
        'members' as person_table,
        member_id as person_record_id,
        case
            when status = 'subscribed' then coalesce(confirmed_at, opted_in_at, last_changed_at)
            else coalesce(confirmed_at, opted_in_at)
        end as occurred_at
    from members
),

member_exits as (
    select
        case when status = 'cleaned' then 'cleaned' else 'unsubscribe' end,
        'mailchimp',
        'members',
        member_id,
        'members',
        member_id,
        case
            when status = 'cleaned' then coalesce(cleaned_at, last_changed_at)
            else coalesce(unsubscribed_at, last_changed_at)
        end
    from members
    where status in ('unsubscribed', 'cleaned')
),

member_by_email as (
    {#- Addresses are unique within an audience; should a re-export repeat one, the most recently
        changed member takes the activity (as in customer_events). -#}
    {{ latest_per_key('members', 'email', 'last_changed_at desc nulls last, member_id') }}
),

activity_exits as (
    select
        activities.action,
        'mailchimp',
        'campaign_activity',
        activities.activity_id,
        'members',
        member_by_email.member_id,
        activities.occurred_at
    from {{ ref('stg_mailchimp__campaign_activities') }} as activities
    join member_by_email on member_by_email.email = activities.email
    where activities.action in ('bounce', 'unsubscribe')
),

hubspot_opt_outs as (
    select
        'opt_out',
        'hubspot',
        'contacts',
        contact_id,
        'contacts',
        contact_id,
        coalesce(modified_at, created_at)
    from {{ ref('stg_hubspot__contacts') }}
    where is_unsubscribed_from_all_email
),

{%- if is_incremental() %}

hubspot_logged as (
    {#- Per contact: its latest logged opt-out and re-subscription. A profile edit after a
        re-subscription changes the modified date but is no new signal. -#}
    select
        source_record_id as contact_id,
        max(case when signal = 'opt_out' then occurred_at end) as opted_out_at,
        max(case when signal = 'opt_in' then occurred_at end) as resubscribed_at
    from {{ this }}
    where source = 'hubspot'
    group by source_record_id
),

hubspot_resubscribes as (
    select
        'opt_in',
        'hubspot',
        'contacts',
        contacts.contact_id,
        'contacts',
        contacts.contact_id,
        coalesce(contacts.modified_at, contacts.created_at)
    from {{ ref('stg_hubspot__contacts') }} as contacts
    join hubspot_logged as logged on logged.contact_id = contacts.contact_id
    where not contacts.is_unsubscribed_from_all_email
        and logged.opted_out_at < coalesce(contacts.modified_at, contacts.created_at)
        and (logged.resubscribed_at is null or logged.resubscribed_at < logged.opted_out_at)
),
{%- endif %}

signals as (
    select * from member_opt_ins
    union all select * from member_exits
    union all select * from activity_exits
    union all select * from hubspot_opt_outs
    {%- if is_incremental() %}
    union all select * from hubspot_resubscribes
    {%- endif %}
),

signal_rows as (
    select
        cast(
            {{ dbt.concat(['signal_channels.channel', "':'", 'signals.source', "':'", 'signals.source_table', "':'", 'signals.source_record_id', "':'", 'signals.signal', "'@'", 'cast(signals.occurred_at as ' ~ dbt.type_string() ~ ')']) }}
            as {{ dbt.type_string() }}
        ) as consent_signal_id,
        cast(signal_channels.channel as {{ dbt.type_string() }}) as channel,
        cast(signal_channels.status as {{ dbt.type_string() }}) as status,
        cast(signals.signal as {{ dbt.type_string() }}) as signal,
        cast(signals.source as {{ dbt.type_string() }}) as source,
        cast(signals.source_table as {{ dbt.type_string() }}) as source_table,
        cast(signals.source_record_id as {{ dbt.type_string() }}) as source_record_id,
        cast(signals.person_table as {{ dbt.type_string() }}) as person_table,
        cast(signals.person_record_id as {{ dbt.type_string() }}) as person_record_id,
        cast(signals.occurred_at as {{ dbt.type_timestamp() }}) as occurred_at,
        cast(
            signals.signal = 'opt_in' and signals.source = 'mailchimp' and signal_channels.channel = 'email_marketing'
            as boolean
        ) as lifts_bounce
    from signals
    join signal_channels on signal_channels.signal = signals.signal
    where signals.occurred_at is not null
)

{#- A run rewrites only the signals that are new or differ from the kept row (an activity bounce
    can move to another member with that address); almost all signals come back unchanged, and
    deleting and reinserting them was most of the model's incremental time. #}
select * from signal_rows
{%- if is_incremental() %}
except
select
    consent_signal_id, channel, status, signal, source, source_table, source_record_id,
    person_table, person_record_id, occurred_at, lifts_bounce
from {{ this }}
{%- endif %}
