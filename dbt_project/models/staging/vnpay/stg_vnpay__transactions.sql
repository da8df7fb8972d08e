{{ config(unique_key='transaction_id', pre_hook="{{ forget_rows_that_left_raw('raw_vnpay', 'transactions') }}") }}
{#- VNPay reports amounts ×100 and pay dates as GMT+7 wall-clock time. There is no modified time:
    a later delivery of the same transaction (a pending one that settled) replaces the earlier. -#}
with

source as (
    {{ unseen_rows_of_completed_loads('raw_vnpay', 'transactions') }}
),

renamed as (
    select
        ---------- ids
        cast(vnp_txnref as {{ dbt.type_string() }}) as transaction_id,
        nullif(trim(cast(vnp_transactionno as {{ dbt.type_string() }})), '') as vnpay_transaction_no,
        cast(vnp_tmncode as {{ dbt.type_string() }}) as merchant_code,

        ---------- person (order form)
        {{ name_fields('vnp_bill_firstname', 'vnp_bill_lastname') }},
        {{ email_fields('vnp_bill_email') }},
        {{ phone_fields('vnp_bill_mobile') }},
        nullif(trim(vnp_bill_city), '') as city,
        upper(nullif(trim(vnp_bill_country), '')) as country_code,

        ---------- numerics
        'VND' as currency,
        {{ safe_cast('vnp_amount', type_double()) }} / 100 as amount,

        ---------- status
        cast(vnp_responsecode as {{ dbt.type_string() }}) as response_code,
        cast(vnp_transactionstatus as {{ dbt.type_string() }}) as transaction_status,
        cast(vnp_transactionstatus as {{ dbt.type_string() }}) = '00' as is_succeeded,
        nullif(trim(vnp_bankcode), '') as bank_code,
        nullif(trim(vnp_cardtype), '') as card_type,
        nullif(trim(vnp_orderinfo), '') as order_info,

        ---------- timestamps
        {{ compact_local_timestamp_to_utc('vnp_paydate', 7) }} as paid_at,

        ---------- lineage
        _source_file as source_file,
        _source_line as source_line,
        _dlt_load_id as load_id
    from source
),

latest as (
    {{ latest_per_key(with_stored_versions('renamed', 'transaction_id'), 'transaction_id', 'load_id desc, source_file desc, source_line desc') }}
)

select * from latest
