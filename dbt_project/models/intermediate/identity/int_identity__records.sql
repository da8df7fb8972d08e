{#- Every ingested record that refers to a person, with the profile attributes it carries.
    `source`, `source_table` and `source_record_id` are spelled as in the generator's truth file.
    `source_rank` orders sources by how much their profile data is trusted (survivorship): the CRM
    is curated by people, payment details are typed by the customer, lead forms are the least
    checked.

    Incremental on DuckDB (Spark rebuilds the table): each row keeps the lineage of the staging
    row it came from, and a run rewrites only the records whose staging row is new or replaced
    and drops those whose staging row is gone (macros/intermediate/staged_lineage.sql). A change
    of the country_codes seed changes the project's fingerprint, which makes the next build a full
    refresh (orchestration/built_project.py). -#}
{%- set person_columns = ['first_name', 'last_name', 'first_name_match', 'last_name_match', 'email', 'email_is_valid', 'phone', 'phone_is_valid', 'city', 'country_code'] -%}

with

{{ unseen_lineage() }}

hubspot_contacts as (
    select
        'hubspot' as source, 'contacts' as source_table, contact_id as source_record_id, 1 as source_rank,
        created_at as first_seen_at, coalesce(modified_at, created_at) as observed_at,
        first_name, last_name, first_name_match, last_name_match, email, email_is_valid, phone, phone_is_valid,
        contacts.city, coalesce(countries.country_code, contacts.country_name) as country_code,
        lifecycle_stage,
        contacts.load_id, contacts.source_file, contacts.source_line
    from {{ unseen_staged_rows(ref('stg_hubspot__contacts')) }} as contacts
    left join {{ ref('country_codes') }} as countries
        on lower(countries.country_name) = lower(contacts.country_name)
),

hubspot_deals as (
    select
        'hubspot', 'deals', deal_id, 9,
        created_at, coalesce(modified_at, created_at),
        {% for column in person_columns %}cast(null as {{ 'boolean' if column.endswith('is_valid') else dbt.type_string() }}), {% endfor %}
        cast(null as {{ dbt.type_string() }}),
        load_id, source_file, source_line
    from {{ unseen_staged_rows(ref('stg_hubspot__deals')) }}
),

mailchimp_members as (
    select
        'mailchimp', 'members', member_id, 3,
        coalesce(opted_in_at, last_changed_at), coalesce(last_changed_at, opted_in_at),
        first_name, last_name, first_name_match, last_name_match, email, email_is_valid, phone, phone_is_valid,
        cast(null as {{ dbt.type_string() }}), country_code,
        cast(null as {{ dbt.type_string() }}),
        load_id, source_file, source_line
    from {{ unseen_staged_rows(ref('stg_mailchimp__members')) }}
),

stripe_customers as (
    select
        'stripe', 'customers', customer_id, 2,
        created_at, created_at,
        first_name, last_name, first_name_match, last_name_match, email, email_is_valid, phone, phone_is_valid,
        city, country_code,
        cast(null as {{ dbt.type_string() }}),
        load_id, source_file, source_line
    from {{ unseen_staged_rows(ref('stg_stripe__customers')) }}
),

stripe_charges as (
    select
        'stripe', 'charges', charge_id, 5,
        created_at, created_at,
        first_name, last_name, first_name_match, last_name_match, email, email_is_valid, phone, phone_is_valid,
        city, country_code,
        cast(null as {{ dbt.type_string() }}),
        load_id, source_file, source_line
    from {{ unseen_staged_rows(ref('stg_stripe__charges')) }}
),

stripe_refunds as (
    select
        'stripe', 'refunds', refund_id, 9,
        created_at, created_at,
        {% for column in person_columns %}cast(null as {{ 'boolean' if column.endswith('is_valid') else dbt.type_string() }}), {% endfor %}
        cast(null as {{ dbt.type_string() }}),
        load_id, source_file, source_line
    from {{ unseen_staged_rows(ref('stg_stripe__refunds')) }}
),

vnpay_transactions as (
    select
        'vnpay', 'transactions', transaction_id, 4,
        paid_at, paid_at,
        first_name, last_name, first_name_match, last_name_match, email, email_is_valid, phone, phone_is_valid,
        city, country_code,
        cast(null as {{ dbt.type_string() }}),
        load_id, source_file, source_line
    from {{ unseen_staged_rows(ref('stg_vnpay__transactions')) }}
),

facebook_leads as (
    select
        'facebook_ads', 'leads', lead_id, 6,
        created_at, created_at,
        first_name, last_name, first_name_match, last_name_match, email, email_is_valid, phone, phone_is_valid,
        cast(null as {{ dbt.type_string() }}), cast(null as {{ dbt.type_string() }}),
        cast(null as {{ dbt.type_string() }}),
        load_id, source_file, source_line
    from {{ unseen_staged_rows(ref('stg_facebook_ads__leads')) }}
),

google_clicks as (
    select
        'google_ads', 'clicks', gclid, 9,
        cast(clicked_on as {{ dbt.type_timestamp() }}), cast(clicked_on as {{ dbt.type_timestamp() }}),
        {% for column in person_columns %}cast(null as {{ 'boolean' if column.endswith('is_valid') else dbt.type_string() }}), {% endfor %}
        cast(null as {{ dbt.type_string() }}),
        load_id, source_file, source_line
    from {{ unseen_staged_rows(ref('stg_google_ads__clicks')) }}
),

unioned as (
    select * from hubspot_contacts
    union all select * from hubspot_deals
    union all select * from mailchimp_members
    union all select * from stripe_customers
    union all select * from stripe_charges
    union all select * from stripe_refunds
    union all select * from vnpay_transactions
    union all select * from facebook_leads
    union all select * from google_clicks
)

select
    {{ dbt.concat(['source', "':'", 'source_table', "':'", 'source_record_id']) }} as record_key,
    *
from unioned
