{#- The rules of the golden record (models/marts/customers/customers.sql) that its input
    fingerprint (customers_inputs() in macros/marts/customer_mart_inputs.sql) must see the same
    way: each is written once here and both call it, so a changed rule changes the fingerprint too. -#}

{#- Left joins of the values of `records` (a relation alias with `email` and `phone`) that are
    shared or blocklisted (int_identity__shared_identifiers), as `shared_email` and `shared_phone`:
    such a value never wins survivorship. Test a record's value with `is_unshared`. -#}
{% macro join_shared_identifiers(records) -%}
    {%- for kind in ['email', 'phone'] %}
    left join (
        select distinct identifier_value
        from {{ ref('int_identity__shared_identifiers') }}
        where identifier_type = '{{ kind }}'
    ) as shared_{{ kind }}
        on shared_{{ kind }}.identifier_value = {{ records }}.{{ kind }}
    {%- endfor %}
{%- endmacro %}


{#- Whether the record's `kind` ('email' or 'phone') value may win: not shared (needs
    join_shared_identifiers). -#}
{% macro is_unshared(kind) -%}
    shared_{{ kind }}.identifier_value is null
{%- endmacro %}


{#- Per customer of customer_events (only those `changed` selects, a condition on customer_id,
    when given): `has_order`, whether the customer ever ordered (lifecycle `customer`), and
    `last_event_at`, its latest engagement event (it can be later than its last record). Only
    engagement events are read: a customer with none has no row, which the marts read as a row
    of no order and no engagement would be, and the sends and bounces are skipped (8M of the
    11.7M events at M; the read took 2.1-2.7 CPU-s with them, 1.1-1.3 without). -#}
{% macro customer_event_facts(changed=none) -%}
    select
        customer_id,
        {{ dbt.bool_or("event_type = 'order'") }} as has_order,
        max(occurred_at) as last_event_at
    from {{ ref('customer_events') }}
    where event_type in ('order', 'refund', 'email_open', 'email_click', 'lead', 'ad_click')
    {%- if changed %}
        and customer_id {{ changed }}
    {%- endif %}
    group by customer_id
{%- endmacro %}


{#- Per customer of customer_consent (only those `changed` selects, when given), today's consent
    flags: granted email marketing, granted ads, decided by an unsubscribe or opt-out, email decided
    by a bounce or a cleaned address. -#}
{% macro customer_consent_flags(changed=none) -%}
    select
        customer_id,
        {{ dbt.bool_or("channel = 'email_marketing' and status = 'granted'") }} as email_granted,
        {{ dbt.bool_or("channel = 'ads' and status = 'granted'") }} as ads_granted,
        {{ dbt.bool_or("signal in ('unsubscribe', 'opt_out')") }} as is_unsubscribed,
        {{ dbt.bool_or("channel = 'email_marketing' and signal in ('bounce', 'cleaned')") }} as is_bounced
    from {{ ref('customer_consent') }}
    {%- if changed %}
    where customer_id {{ changed }}
    {%- endif %}
    group by customer_id
{%- endmacro %}
