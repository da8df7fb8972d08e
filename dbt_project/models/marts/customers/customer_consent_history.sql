{#- Every consent signal of every customer and channel, with the one that decides today's status
    marked `is_current` and, on each row, the rule that made it current or set it aside.

    Precedence (docs/privacy.md, "Consent provenance"):
      latest_signal          the newest signal wins: an opt-in never overrides a newer unsubscribe,
                             bounce or opt-out, and a newer explicit opt-in does re-grant.
      tie_denial_wins        signals at the same instant: a denial beats a grant (then bounce and
                             cleaned before unsubscribe and opt-out, then source and record id,
                             so the choice is stable).
      bounce_not_lifted      a bounced or cleaned address stays denied for email even when a newer
                             opt-in exists, unless that opt-in `lifts_bounce` (a Mailchimp signup,
                             the only way Mailchimp lets a cleaned address back).
      resubscribed_after_bounce  the current opt-in is such a signup, newer than the bounce.
    Rows that are not current say why: superseded (a newer signal decides), lost_tie (same instant
    as a denial that decides), cannot_lift_bounce (an opt-in newer than a bounce that may not
    re-enable the address).

    Incremental on DuckDB (Spark rebuilds the table): the precedence is decided per customer and
    channel, so a run rewrites only the customers whose signals or records changed
    (macros/marts/changed_customers.sql). -#}
with

record_customers as (
    {#- The person records' customers, joined once already for customer_source_records. -#}
    select source, source_table, source_record_id, customer_id from {{ ref('customer_source_records') }}
    {%- if is_incremental() %}
    where customer_id in (select customer_id from {{ changed_customers() }})
    {%- endif %}
),

signals as (
    select
        signals.*,
        record_customers.customer_id,
        case signals.status when 'denied' then 0 else 1 end as status_order,
        case when signals.signal in ('bounce', 'cleaned') then 1 else 0 end as is_bounce
    from {{ ref('int_consent__signals') }} as signals
    join record_customers
        on record_customers.source = signals.source
        and record_customers.source_table = signals.person_table
        and record_customers.source_record_id = signals.person_record_id
),

running as (
    {#- For each signal: the latest bounce and the latest bounce-lifting opt-in up to its instant.
        The windows share partition and order, so the whole model sorts its rows twice. -#}
    select
        signals.*,
        max(case when is_bounce = 1 then occurred_at end) over (
            partition by customer_id, channel order by occurred_at
            range between unbounded preceding and current row
        ) as bounce_before_at,
        max(case when lifts_bounce then occurred_at end) over (
            partition by customer_id, channel order by occurred_at
            range between unbounded preceding and current row
        ) as lift_before_at,
        {#- Whether a grant shares the signal's instant (a denial that decides then wins a tie). -#}
        max(status_order) over (
            partition by customer_id, channel order by occurred_at
            range between current row and current row
        ) as peer_max_status_order
    from signals
),

eligible as (
    select
        running.*,
        case
            when status = 'granted' and not lifts_bounce and bounce_before_at < occurred_at
                and (lift_before_at is null or lift_before_at < bounce_before_at)
                then 1
            else 0
        end as is_blocked
    from running
),

decided as (
    {#- Precedence and what the deciding signal is, in one pass over one ordering: the first row
        is the current signal, so its time and status are the first values of the partition. -#}
    select
        eligible.*,
        row_number() over (
            partition by customer_id, channel
            order by is_blocked, occurred_at desc, status_order, is_bounce desc, source, source_record_id, signal
        ) as precedence,
        first_value(occurred_at) over (
            partition by customer_id, channel
            order by is_blocked, occurred_at desc, status_order, is_bounce desc, source, source_record_id, signal
            rows between unbounded preceding and unbounded following
        ) as current_at,
        first_value(status_order) over (
            partition by customer_id, channel
            order by is_blocked, occurred_at desc, status_order, is_bounce desc, source, source_record_id, signal
            rows between unbounded preceding and unbounded following
        ) as current_status_order,
        max(case when is_blocked = 1 then occurred_at end) over (
            partition by customer_id, channel
            order by is_blocked, occurred_at desc, status_order, is_bounce desc, source, source_record_id, signal
            rows between unbounded preceding and unbounded following
        ) as last_blocked_at
    from eligible
)

select
    cast(consent_signal_id as {{ dbt.type_string() }}) as consent_signal_id,
    cast(customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(channel as {{ dbt.type_string() }}) as channel,
    cast(status as {{ dbt.type_string() }}) as status,
    cast(signal as {{ dbt.type_string() }}) as signal,
    cast(source as {{ dbt.type_string() }}) as source,
    cast(source_table as {{ dbt.type_string() }}) as source_table,
    cast(source_record_id as {{ dbt.type_string() }}) as source_record_id,
    cast(occurred_at as {{ dbt.type_timestamp() }}) as occurred_at,
    cast(precedence = 1 as boolean) as is_current,
    cast(
        case
            when precedence = 1 and is_bounce = 1 and last_blocked_at > occurred_at then 'bounce_not_lifted'
            when precedence = 1 and status_order = 0 and peer_max_status_order = 1 then 'tie_denial_wins'
            when precedence = 1 and lifts_bounce and bounce_before_at is not null then 'resubscribed_after_bounce'
            when precedence = 1 then 'latest_signal'
            when is_blocked = 1 then 'cannot_lift_bounce'
            when occurred_at = current_at and status_order > current_status_order then 'lost_tie'
            else 'superseded'
        end as {{ dbt.type_string() }}
    ) as rule
from decided
