{{ config(unique_key='customer_id', pre_hook="{{ forget_rows_that_left_raw('raw_stripe', 'customers') }}") }}
with

source as (
    {{ unseen_rows_of_completed_loads('raw_stripe', 'customers') }}
),

renamed as (
    select
        ---------- ids
        cast(id as {{ dbt.type_string() }}) as customer_id,

        ---------- person
        {{ full_name_fields('name', "upper(address__country) = 'VN'") }},
        {{ email_fields('email') }},
        {{ phone_fields('phone') }},
        nullif(trim(address__city), '') as city,
        upper(nullif(trim(address__country), '')) as country_code,
        upper(currency) as currency,

        ---------- timestamps
        {{ from_unix_seconds('created') }} as created_at,

        ---------- lineage
        _source_file as source_file,
        _source_line as source_line,
        _dlt_load_id as load_id
    from source
),

latest as (
    {{ latest_per_key(with_stored_versions('renamed', 'customer_id'), 'customer_id', 'load_id desc, source_file desc, source_line desc') }}
)

select * from latest
