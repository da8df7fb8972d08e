{#- Today's consent of every customer on every channel, and what decided it: the current row of
    customer_consent_history, or, for a customer without any signal on the channel, the default
    of the `consent_defaults` var (rule `no_signal_default`). customers.email_marketing_consent
    and customers.ads_consent are `status = 'granted'` of this table.

    Incremental on DuckDB (Spark rebuilds the table): a customer's rows follow from its current
    signals and the defaults alone, so a run rewrites only the customers whose current signals
    changed, that are new or gone, or all of them when the defaults change
    (macros/marts/changed_customers.sql). -#}
{%- set defaults = var('consent_defaults') -%}

with

customers as (
    select distinct customer_id from {{ ref('int_identity__record_customers') }}
    {%- if is_incremental() %}
    where customer_id in (select customer_id from {{ changed_customers() }})
    {%- endif %}
),

channels as (
    {%- for channel, status in defaults.items() %}
    {% if not loop.first %}union all {% endif %}select '{{ channel }}' as channel, '{{ status }}' as default_status
    {%- endfor %}
),

current_signals as (
    select * from {{ ref('customer_consent_history') }}
    where is_current
    {%- if is_incremental() %}
        and customer_id in (select customer_id from {{ changed_customers() }})
    {%- endif %}
)

select
    cast(customers.customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(channels.channel as {{ dbt.type_string() }}) as channel,
    cast(coalesce(current_signals.status, channels.default_status) as {{ dbt.type_string() }}) as status,
    cast(current_signals.occurred_at as {{ dbt.type_timestamp() }}) as decided_at,
    cast(current_signals.signal as {{ dbt.type_string() }}) as signal,
    cast(current_signals.source as {{ dbt.type_string() }}) as source,
    cast(current_signals.source_table as {{ dbt.type_string() }}) as source_table,
    cast(current_signals.source_record_id as {{ dbt.type_string() }}) as source_record_id,
    cast(coalesce(current_signals.rule, 'no_signal_default') as {{ dbt.type_string() }}) as rule
from customers
cross join channels
left join current_signals
    on current_signals.customer_id = customers.customer_id
    and current_signals.channel = channels.channel
