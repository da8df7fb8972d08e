{#-
  customer_events' events from keyed records (orders, refunds, leads, ad clicks), every one the
  staging tables hold now, in the mart's final columns. The model selects them, and on an
  incremental run its pre-hook compares them with the stored ones (`forget_stale_keyed_events`).
-#}

{#- One row per event, cast as the mart stores it: the pre-hook's comparison with stored rows
    holds only if both sides are built the same way. -#}
{% macro keyed_events() -%}
    with

    stripe_orders as (
        select
            'order' as event_type, 'stripe' as source, 'charges' as source_table,
            charges.charge_id as source_record_id, charges.created_at as occurred_at,
            charges.amount * fx.usd_per_unit as amount_usd,
            cast(null as {{ dbt.type_string() }}) as campaign_id, charges.load_id
        from {{ ref('stg_stripe__charges') }} as charges
        join {{ ref('fx_rates') }} as fx on fx.currency = charges.currency
        where charges.is_succeeded
    ),

    vnpay_orders as (
        select
            'order', 'vnpay', 'transactions', transactions.transaction_id,
            transactions.paid_at, transactions.amount * fx.usd_per_unit,
            cast(null as {{ dbt.type_string() }}), transactions.load_id
        from {{ ref('stg_vnpay__transactions') }} as transactions
        join {{ ref('fx_rates') }} as fx on fx.currency = transactions.currency
        where transactions.is_succeeded
    ),

    stripe_refunds as (
        select
            'refund', 'stripe', 'refunds', refunds.refund_id,
            refunds.created_at, refunds.amount * fx.usd_per_unit,
            cast(null as {{ dbt.type_string() }}), refunds.load_id
        from {{ ref('stg_stripe__refunds') }} as refunds
        join {{ ref('fx_rates') }} as fx on fx.currency = refunds.currency
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

    events as (
        select
            {{ dbt.concat(['source', "':'", 'source_table', "':'", 'source_record_id']) }} as event_id,
            record_events.*
        from record_events
    ),

    {#- An event's id is its record's `record_key` (source:table:id, as int_identity__records
        spells it), and every staged row of these tables is a person record: the assignments
        alone give each event its customer, without reading the 3M records (M) again. The row a
        record no longer ingested leaves in the assignments matches no event: its staged row, the
        event's source, is gone too. #}
    assigned_events as (
        select record_customers.customer_id, events.*
        from events
        join {{ ref('int_identity__record_customers') }} as record_customers
            on record_customers.record_key = events.event_id
    )

    select {{ cast_event_columns('assigned_events') }}
    from assigned_events
    where occurred_at is not null
{%- endmacro %}


{#- Pre-hook of an incremental run: the current keyed events, computed once into a temporary
    table the model then reads (`current_keyed_events`), and the deletion of every stored keyed
    event that differs from them in any column or that they no longer hold (the record was
    withdrawn, deleted, or failed): a stored event without a current one of the same id equal in
    every column. `is not distinct from` counts nulls as equal, which the nullable amount and
    campaign need. An id stored more than once is deleted too, and the model writes it once.
    This is what `except all` of the two sides gave, but DuckDB runs that as a window over all
    ten columns of both (1.3M rows each at M): 3.9 CPU-s, against 1.2 for this join on the id,
    which deleted the same 4,225 ids at M. Under --empty only the temporary table
    (macros/incremental/empty_refs.sql). -#}
{% macro forget_stale_keyed_events() -%}
    create or replace temporary table {{ current_keyed_events() }} as
    {{ keyed_events() }}
    {%- if not open_cdp.keeps_stored_rows() %};
    delete from {{ this }}
    where {{ is_keyed_event() }}
        and event_id in (
            select stored.event_id
            from {{ this }} as stored
            left join {{ current_keyed_events() }} as current_events
                on current_events.event_id = stored.event_id
                {%- for name, type in event_column_types() if name != 'event_id' %}
                and current_events.{{ name }} is not distinct from stored.{{ name }}
                {%- endfor %}
            where {{ is_keyed_event('stored') }} and current_events.event_id is null
            union all
            select event_id from {{ this }}
            where {{ is_keyed_event() }}
            group by event_id
            having count(*) > 1
        )
    {%- endif %}
{%- endmacro %}


{#- The temporary table of the current keyed events (see forget_stale_keyed_events). -#}
{% macro current_keyed_events() -%}
    {{ this.identifier }}__current_keyed_events
{%- endmacro %}


{#- Whether a stored event (of the relation `alias`, when given) comes from a keyed record: every
    event but the email activities. -#}
{% macro is_keyed_event(alias=none) -%}
    {{ alias ~ '.' if alias }}source_table <> 'campaign_activity'
{%- endmacro %}


{#- The mart's columns, in its order, but for `written_at`, each with the type it is stored as:
    one list for the keyed events, the email activities and the pre-hook's comparison, which
    holds only if both sides are built alike. The stamp is the build that wrote a row, not
    part of the event: a stored event equal to its record now in every other column is current
    and stays, with its old stamp. -#}
{% macro event_column_types() -%}
    {{ return([
        ('event_id', dbt.type_string()), ('customer_id', dbt.type_string()),
        ('event_type', dbt.type_string()), ('occurred_at', dbt.type_timestamp()),
        ('amount_usd', type_double()), ('source', dbt.type_string()),
        ('source_table', dbt.type_string()), ('source_record_id', dbt.type_string()),
        ('campaign_id', dbt.type_string()), ('load_id', dbt.type_string()),
    ]) }}
{%- endmacro %}


{#- The columns of event_column_types(), cast from the relation `alias`. -#}
{% macro cast_event_columns(alias) -%}
    {%- for name, type in event_column_types() %}
    cast({{ alias }}.{{ name }} as {{ type }}) as {{ name }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}


{#- The names of event_column_types(), in order: what the model's union lines up. -#}
{% macro keyed_event_columns() -%}
    {%- for name, type in event_column_types() -%}{{ name }}{{ ', ' if not loop.last }}{%- endfor -%}
{%- endmacro %}
