{#- Per customer, the fingerprint of the input rows each incremental customer mart is built from
    (macros/marts/changed_customers.sql): every column the mart reads of every row it reads. A
    column the mart starts reading must be added here, or a change of it alone goes unseen. -#}

{#- customer_source_records: the customer's current records and their first and last sighting. -#}
{% macro customer_source_records_inputs() -%}
    {{ fingerprints_by_record_customer(ref('int_identity__records'), [
        'source', 'source_table', 'source_record_id', 'first_seen_at', 'observed_at',
    ]) }}
{%- endmacro %}


{#- customer_identifiers: the links its records made (a link row is unique per record and
    identifier, so the record's key keeps equal values of two records apart). -#}
{% macro customer_identifiers_inputs() -%}
    {{ fingerprints_by_record_customer(ref('int_identity__links'), [
        'record_key', 'identifier_type', 'identifier_value', 'observed_at', 'source',
    ], where="input_rows.link_status = 'linked'") }}
{%- endmacro %}


{#- The fingerprint of `columns` of the rows of `relation` (keyed by `record_key`) per customer
    of their record. -#}
{% macro fingerprints_by_record_customer(relation, columns, where=none) -%}
    {%- set qualified = [] -%}
    {%- for column in columns -%}
        {%- do qualified.append('input_rows.' ~ column) -%}
    {%- endfor -%}
    select assignments.customer_id, sum({{ row_fingerprint(qualified) }}) as fingerprint
    from {{ relation }} as input_rows
    join {{ ref('int_identity__record_customers') }} as assignments
        on assignments.record_key = input_rows.record_key
    {%- if where %}
    where {{ where }}
    {%- endif %}
    group by assignments.customer_id
{%- endmacro %}


{#- customers: the customer's records with every column survivorship reads and whether their
    email and phone are shared, and the three facts it takes from other marts: whether the
    customer has an order, its last engagement event, and its consent flags, each by the same
    rule as customers.sql (macros/marts/customer_rules.sql). -#}
{% macro customers_inputs() -%}
    with

    records as (
        select
            assignments.customer_id,
            sum({{ row_fingerprint([
                'records.record_key', 'records.source', 'records.source_rank', 'records.first_seen_at',
                'records.observed_at', 'records.email', 'records.email_is_valid',
                is_unshared('email'), 'records.phone', 'records.phone_is_valid',
                is_unshared('phone'), 'records.city', 'records.lifecycle_stage',
                'records.first_name', 'records.last_name', 'records.first_name_match',
                'records.last_name_match', 'records.country_code',
            ]) }}) as fingerprint
        from {{ ref('int_identity__records') }} as records
        join {{ ref('int_identity__record_customers') }} as assignments
            on assignments.record_key = records.record_key
        {{- join_shared_identifiers('records') }}
        group by assignments.customer_id
    ),

    events as (
        select customer_id, {{ row_fingerprint(['has_order', 'last_event_at']) }} as fingerprint
        from ({{ customer_event_facts() }}) as facts
    ),

    consent as (
        select
            customer_id,
            {{ row_fingerprint(['email_granted', 'ads_granted', 'is_unsubscribed', 'is_bounced']) }} as fingerprint
        from ({{ customer_consent_flags() }}) as flags
    )

    select
        records.customer_id,
        cast({{ row_fingerprint(['records.fingerprint', 'events.fingerprint', 'consent.fingerprint']) }} as hugeint) as fingerprint
    from records
    left join events on events.customer_id = records.customer_id
    left join consent on consent.customer_id = records.customer_id
{%- endmacro %}


{#- customer_consent_history: the consent signals of the customer's records. -#}
{% macro customer_consent_history_inputs() -%}
    select
        record_customers.customer_id,
        sum({{ row_fingerprint([
            'signals.consent_signal_id', 'signals.channel', 'signals.status', 'signals.signal',
            'signals.source', 'signals.source_table', 'signals.source_record_id',
            'signals.occurred_at', 'signals.lifts_bounce',
        ]) }}) as fingerprint
    from {{ ref('int_consent__signals') }} as signals
    join {{ ref('customer_source_records') }} as record_customers
        on record_customers.source = signals.source
        and record_customers.source_table = signals.person_table
        and record_customers.source_record_id = signals.person_record_id
    group by record_customers.customer_id
{%- endmacro %}


{#- customer_consent: that the customer exists, its current consent signals (the columns the mart
    copies) and the `consent_defaults` var, which decides every channel without a signal: a
    change of the defaults (passed with --vars, which changes no project file) rewrites every
    customer. -#}
{% macro customer_consent_inputs() -%}
    {%- set defaults = [] -%}
    {%- for channel, status in var('consent_defaults').items() | sort -%}
        {%- do defaults.append(channel ~ '=' ~ status) -%}
    {%- endfor %}
    with

    customers as (
        select distinct customer_id from {{ ref('int_identity__record_customers') }}
    ),

    current_signals as (
        select
            customer_id,
            sum({{ row_fingerprint([
                'channel', 'status', 'occurred_at', 'signal', 'source', 'source_table',
                'source_record_id', 'rule',
            ]) }}) as fingerprint
        from {{ ref('customer_consent_history') }}
        where is_current
        group by customer_id
    )

    select
        customers.customer_id,
        cast({{ row_fingerprint([
            'current_signals.fingerprint', dbt.string_literal(defaults | join(',')),
        ]) }} as hugeint) as fingerprint
    from customers
    left join current_signals on current_signals.customer_id = customers.customer_id
{%- endmacro %}
