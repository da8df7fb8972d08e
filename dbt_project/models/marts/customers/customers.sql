{#- One row per customer: the golden record.

    Survivorship (which record's value wins):
      email, phone  valid and not shared/blocklisted; from the most trusted source (HubSpot
                    contact > Stripe customer > Mailchimp member > VNPay > Stripe charge > lead),
                    then the most recently seen.
      names         the spelling most records agree on once accents and case are ignored (a
                    one-off typo loses), written with diacritics when any record has them
                    (Nguyễn beats Nguyen), then by source trust and recency.
      country       the ISO-2 code most records carry, then source trust.
      city          from the most trusted, most recent record that has one.
      lifecycle     the furthest funnel stage any record shows: HubSpot's stage, `customer` once
                    a payment succeeded, `lead` for a lead form, `subscriber` for a list member.
    Consent: email_marketing_consent and ads_consent are today's status of marts.customer_consent
    (latest explicit signal wins, a bounce stays until the person signs up again; rules in
    customer_consent_history and docs/privacy.md). is_unsubscribed: that status was decided by an
    unsubscribe or opt-out; is_bounced: email was decided by a bounce or cleaned address.

    Incremental on DuckDB (Spark rebuilds the table): a customer's row depends on its own records,
    events and consent (and on which values are shared), so a run rewrites only the customers whose
    inputs changed (macros/marts/changed_customers.sql, macros/marts/customer_mart_inputs.sql). The
    rules that fingerprint must see too (shared values, orders, engagement events, consent flags)
    are written once in macros/marts/customer_rules.sql. -#}
{%- set changed = 'in (select customer_id from ' ~ changed_customers() ~ ')' if is_incremental() else none %}
with

records as (
    select records.*, assignments.customer_id
    from {{ ref('int_identity__records') }} as records
    join {{ ref('int_identity__record_customers') }} as assignments
        on assignments.record_key = records.record_key
    {%- if changed %}
    where assignments.customer_id {{ changed }}
    {%- endif %}
),

customer_records as (
    {#- Everything chosen from single records, in one pass over them instead of one window and
        one join per choice: each `first_by` is the first record by source trust, then recency,
        then value (a valid email or phone is never null, so it can be a sort key). -#}
    select
        records.customer_id,
        min(records.first_seen_at) as first_seen_at,
        max(records.observed_at) as last_seen_at,
        count(*) as source_record_count,
        {{ first_by(
            [('source_rank', 'records.source_rank'), ('observed', newest_first('records.observed_at')), ('email', 'records.email')],
            where='records.email_is_valid and ' ~ is_unshared('email'),
        ) }} as best_email,
        {{ first_by(
            [('source_rank', 'records.source_rank'), ('observed', newest_first('records.observed_at')), ('phone', 'records.phone')],
            where='records.phone_is_valid and ' ~ is_unshared('phone'),
        ) }} as best_phone,
        {{ first_by(
            [('source_rank', 'records.source_rank'), ('observed', newest_first('records.observed_at')), ('city', 'records.city')],
            where='records.city is not null',
        ) }} as best_city,
        max(
            case lower(records.lifecycle_stage)
                when 'subscriber' then 1
                when 'lead' then 2
                when 'marketing qualified lead' then 3
                when 'sales qualified lead' then 4
                when 'opportunity' then 5
                when 'customer' then 6
                when 'evangelist' then 7
                else case
                    when records.source = 'mailchimp' then 1
                    when records.source = 'facebook_ads' then 2
                    else 0
                end
            end
        ) as stage_rank
    from records
    {{- join_shared_identifiers('records') }}
    group by records.customer_id
),

spellings as (
    {#- Each spelling of a customer's name once, with its most trusted, most recent record: the
        votes below add up records per spelling and per match key over these rows (1.2M at M)
        instead of counting over every record (2.6M) in two windows. -#}
    select
        customer_id,
        first_name,
        last_name,
        first_name_match,
        last_name_match,
        count(*) as spelling_records,
        {{ first_by([('source_rank', 'source_rank'), ('observed', newest_first('observed_at'))]) }} as best_record
    from records
    where first_name is not null or last_name is not null
    group by customer_id, first_name, last_name, first_name_match, last_name_match
),

names as (
    select
        customer_id,
        first_name,
        last_name,
        best_record,
        sum(spelling_records) over (partition by customer_id, first_name_match, last_name_match) as agreeing_records,
        {#- The match keys are a function of the spelling (name_match_key of the same normalized
            name), so a spelling is one row here and its records are already counted. -#}
        spelling_records as same_spelling_records,
        case
            when coalesce(first_name, '') || coalesce(last_name, '')
                <> {{ unaccent("coalesce(first_name, '') || coalesce(last_name, '')") }}
                then 1
            else 0
        end as has_diacritics
    from spellings
),

best_name as (
    select customer_id, first_name, last_name
    from (
        select
            customer_id,
            first_name,
            last_name,
            row_number() over (
                partition by customer_id
                order by agreeing_records desc, has_diacritics desc, same_spelling_records desc,
                    best_record.source_rank, best_record.observed, first_name nulls last, last_name nulls last
            ) as choice
        from names
    ) as ranked
    where choice = 1
),

countries as (
    select customer_id, country_code, count(*) as country_records, min(source_rank) as source_rank
    from records
    where length(country_code) = 2
    group by customer_id, country_code
),

best_country as (
    select
        customer_id,
        {{ first_by([('country_records', '-country_records'), ('source_rank', 'source_rank'), ('country_code', 'country_code')]) }} as choice
    from countries
    group by customer_id
),

events as (
    {{ customer_event_facts(changed) }}
),

consent as (
    {{ customer_consent_flags(changed) }}
)

select
    cast(customer_records.customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(customer_records.best_email.email as {{ dbt.type_string() }}) as email,
    cast(customer_records.best_phone.phone as {{ dbt.type_string() }}) as phone,
    cast(best_name.first_name as {{ dbt.type_string() }}) as first_name,
    cast(best_name.last_name as {{ dbt.type_string() }}) as last_name,
    cast(best_country.choice.country_code as {{ dbt.type_string() }}) as country,
    cast(customer_records.best_city.city as {{ dbt.type_string() }}) as city,
    cast(
        case
            when events.has_order and customer_records.stage_rank < 6 then 'customer'
            when customer_records.stage_rank = 1 then 'subscriber'
            when customer_records.stage_rank = 2 then 'lead'
            when customer_records.stage_rank = 3 then 'marketing_qualified_lead'
            when customer_records.stage_rank = 4 then 'sales_qualified_lead'
            when customer_records.stage_rank = 5 then 'opportunity'
            when customer_records.stage_rank = 6 then 'customer'
            when customer_records.stage_rank = 7 then 'evangelist'
            else 'other'
        end as {{ dbt.type_string() }}
    ) as lifecycle_stage,
    cast(customer_records.first_seen_at as {{ dbt.type_timestamp() }}) as first_seen_at,
    cast(
        case
            when events.last_event_at > customer_records.last_seen_at then events.last_event_at
            else coalesce(customer_records.last_seen_at, events.last_event_at)
        end as {{ dbt.type_timestamp() }}
    ) as last_seen_at,
    cast(coalesce(consent.email_granted, false) as boolean) as email_marketing_consent,
    cast(coalesce(consent.ads_granted, false) as boolean) as ads_consent,
    cast(coalesce(consent.is_unsubscribed, false) as boolean) as is_unsubscribed,
    cast(coalesce(consent.is_bounced, false) as boolean) as is_bounced,
    cast(customer_records.source_record_count as {{ dbt.type_bigint() }}) as source_record_count
from customer_records
left join best_name on best_name.customer_id = customer_records.customer_id
left join best_country on best_country.customer_id = customer_records.customer_id
left join events on events.customer_id = customer_records.customer_id
left join consent on consent.customer_id = customer_records.customer_id
