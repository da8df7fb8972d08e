{{ config(unique_key='refund_id', pre_hook="{{ forget_rows_that_left_raw('raw_stripe', 'refunds') }}") }}
with

source as (
    {{ unseen_rows_of_completed_loads('raw_stripe', 'refunds') }}
),

renamed as (
    select
        ---------- ids
        cast(id as {{ dbt.type_string() }}) as refund_id,
        cast(charge as {{ dbt.type_string() }}) as charge_id,

        ---------- numerics
        upper(currency) as currency,
        {{ safe_cast('amount', type_double()) }}
            / case when upper(currency) in ('VND', 'JPY', 'KRW') then 1 else 100 end as amount,

        ---------- status
        lower(reason) as reason,
        lower(status) as status,

        ---------- timestamps
        {{ from_unix_seconds('created') }} as created_at,

        ---------- lineage
        _source_file as source_file,
        _source_line as source_line,
        _dlt_load_id as load_id
    from source
),

latest as (
    {{ latest_per_key(with_stored_versions('renamed', 'refund_id'), 'refund_id', 'load_id desc, source_file desc, source_line desc') }}
)

select * from latest
