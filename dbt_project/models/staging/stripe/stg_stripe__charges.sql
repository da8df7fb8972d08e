{{ config(unique_key='charge_id', pre_hook="{{ forget_rows_that_left_raw('raw_stripe', 'charges') }}") }}
{#- Amounts arrive in the currency's minor unit; USD has cents, VND is zero-decimal. -#}
with

source as (
    {{ unseen_rows_of_completed_loads('raw_stripe', 'charges') }}
),

renamed as (
    select
        ---------- ids
        cast(id as {{ dbt.type_string() }}) as charge_id,
        nullif(cast(customer as {{ dbt.type_string() }}), '') as customer_id,
        cast(payment_intent as {{ dbt.type_string() }}) as payment_intent_id,
        cast(metadata__order_id as {{ dbt.type_string() }}) as order_id,
        nullif(trim(cast(metadata__gclid as {{ dbt.type_string() }})), '') as gclid,

        ---------- person (billing details)
        {{ full_name_fields('billing_details__name', "upper(billing_details__address__country) = 'VN'") }},
        {{ email_fields('coalesce(billing_details__email, receipt_email)') }},
        {{ phone_fields('billing_details__phone') }},
        nullif(trim(billing_details__address__city), '') as city,
        upper(nullif(trim(billing_details__address__country), '')) as country_code,

        ---------- numerics
        upper(currency) as currency,
        {{ safe_cast('amount', type_double()) }}
            / case when upper(currency) in ('VND', 'JPY', 'KRW') then 1 else 100 end as amount,
        {{ safe_cast('amount_refunded', type_double()) }}
            / case when upper(currency) in ('VND', 'JPY', 'KRW') then 1 else 100 end as amount_refunded,

        ---------- status
        lower(status) as status,
        lower(status) = 'succeeded' as is_succeeded,
        {{ safe_cast('refunded', 'boolean') }} as is_refunded,
        failure_code,

        ---------- attribution
        nullif(trim(metadata__utm_source), '') as utm_source,
        nullif(trim(metadata__utm_medium), '') as utm_medium,
        nullif(trim(metadata__utm_campaign), '') as utm_campaign,

        ---------- timestamps
        {{ from_unix_seconds('created') }} as created_at,

        ---------- lineage
        _source_file as source_file,
        _source_line as source_line,
        _dlt_load_id as load_id
    from source
),

latest as (
    {{ latest_per_key(with_stored_versions('renamed', 'charge_id'), 'charge_id', 'load_id desc, source_file desc, source_line desc') }}
)

select * from latest
