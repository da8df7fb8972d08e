{{ config(
    materialized=('table' if target.type == 'spark' else 'incremental'),
    unique_key='event_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    pre_hook=[
        "{% if is_incremental() %}{{ forget_stale_keyed_events() }}{% endif %}",
        "{{ create_consumed_mark('assignments_seen', 'assigned_at', is_incremental()) }}",
    ],
    post_hook="{{ move_consumed_mark('assignments_seen', 'assigned_at', ref('int_identity__record_customers'), config.get('materialized') == 'incremental') }}",
) }}
{#- What customers did, one row per event, in USD: the base for traits and for segment rules
    such as "opened an email 3 times in the last 30 days". Orders are successful payments only.

    Incremental. The email activity, nine events in ten, is immutable, so a run adds the
    activities of dlt loads this table has not seen (`load_id`) and re-keys those of members
    whose record got a customer id after the assignments this table last consumed
    (macros/incremental/consumed_marks.sql: not just the latest identity run's, which would miss
    the merges of a run that stopped before the marts).

    Orders, refunds, leads and clicks come from keyed records that a correction can withdraw (a
    charge that turns out failed, a refund withdrawn, a record a corrected re-delivery or an
    erasure deletes), and their `load_id` does not mark what changed: keyed staging re-inserts a
    stored row, old lineage and all, when it stays the newest version of its key. So a run
    computes every keyed event from its record now (macros/events/keyed_events.sql: 1.3M rows at
    M, against the 11.7M of the table) and compares it with the stored ones, every column: the
    pre-hook deletes each stored keyed event that is not among them exactly (its record changed,
    lost its customer's id to a merge or split, failed, or is gone), and the model writes each
    current one whose id is no longer stored (new, or deleted just before). Afterwards the stored
    keyed events are the current ones whatever earlier runs did or missed: the comparison reads no
    mark and no load id, so neither a run that stopped halfway nor an erasure (rows deleted from
    raw, then every model rebuilt with `--full-refresh`, the mark moved to the rebuilt
    assignments) leaves anything it would not see. On Spark, where plain Parquet tables cannot
    delete, the model is rebuilt as a table.

    Every row a build writes, on any engine and in full builds too, carries `written_at`, the
    build's start (`run_start_stamp`, as int_identity__record_customers' `assigned_at`): when the
    CDP wrote the row, not when the event happened. Rows a run leaves keep theirs, so the rows
    stamped at or after a build's start are the rows it wrote, which is all its `unique(event_id)`
    and `accepted_values(event_type)` tests need to look for (macros/tests/tested_builds.sql);
    `load_id` cannot tell them, as a re-keyed activity or a rewritten keyed event keeps its old
    load. -#}
{%- set incremental = is_incremental() -%}
{%- set written_at = run_start_stamp() -%}
{%- set unseen_load = 'not in (select distinct load_id from ' ~ this ~ ' where load_id is not null)' -%}

with

record_customers as (
    {#- Members' customers; the keyed events find theirs in keyed_events(). -#}
    select
        record_key, customer_id,
        {%- if incremental %}
        {{ consumed_since('assigned_at', 'assignments_seen') }}
        {%- else %}
        false
        {%- endif %} as has_new_customer
    from {{ ref('int_identity__record_customers') }}
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
)

{%- if incremental %}
{#- The pre-hook computed the current keyed events and deleted every stored one that differs:
    the ones still stored are current, the missing ones are written. #}
select {{ keyed_event_columns() }}, {{ written_at }} as written_at from {{ current_keyed_events() }}
where event_id not in (select event_id from {{ this }} where {{ is_keyed_event() }})
{%- else %}
select {{ keyed_event_columns() }}, {{ written_at }} as written_at from ({{ keyed_events() }}) as keyed
{%- endif %}
union all
select {{ cast_event_columns('email_events') }}, {{ written_at }} as written_at
from email_events
where occurred_at is not null
