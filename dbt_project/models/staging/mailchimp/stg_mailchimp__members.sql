{{ config(unique_key='member_id', pre_hook="{{ forget_rows_that_left_raw('raw_mailchimp', 'members') }}") }}
with

source as (
    {{ unseen_rows_of_completed_loads('raw_mailchimp', 'members') }}
),

renamed as (
    select
        ---------- ids
        cast(leid as {{ dbt.type_string() }}) as member_id,
        nullif(trim(cast(euid as {{ dbt.type_string() }})), '') as euid,

        ---------- person
        {{ name_fields('first_name', 'last_name') }},
        {{ email_fields('email_address') }},
        {{ phone_fields('phone_number') }},
        upper(nullif(trim(cc), '')) as country_code,
        nullif(trim(region), '') as region,
        nullif(trim(timezone), '') as timezone,

        ---------- audience
        lower(trim(status)) as status,
        {{ safe_cast('member_rating', dbt.type_int()) }} as member_rating,
        nullif(trim(tags), '') as tags,
        nullif(trim(unsub_reason), '') as unsubscribe_reason,

        ---------- timestamps
        {{ to_utc_timestamp('optin_time') }} as opted_in_at,
        {{ to_utc_timestamp('confirm_time') }} as confirmed_at,
        {{ to_utc_timestamp('last_changed') }} as last_changed_at,
        {{ to_utc_timestamp('unsub_time') }} as unsubscribed_at,
        {{ to_utc_timestamp('clean_time') }} as cleaned_at,

        ---------- lineage
        _source_file as source_file,
        _source_line as source_line,
        _dlt_load_id as load_id
    from source
),

latest as (
    {{ latest_per_key(with_stored_versions('renamed', 'member_id'), 'member_id', 'last_changed_at desc nulls last, load_id desc, source_file desc, source_line desc') }}
)

select * from latest
