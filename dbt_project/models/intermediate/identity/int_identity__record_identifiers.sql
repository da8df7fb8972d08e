{#- Every identifier every person record carries, normalized, one row per (record, type, value).
    Record keys that other records point at (a deal's contact, a refund's charge, a charge's
    customer) are identifiers too: that is how those records join their person.

    Incremental on DuckDB (Spark rebuilds the table): each row keeps the lineage of the staging
    row it came from, and a run derives identifiers only from staging rows that are new or
    replaced and drops those whose staging row is gone (macros/intermediate/staged_lineage.sql).
    A staging row without any identifier leaves no row to remember it by and is looked at again
    on every run, to the same empty result. -#}
{%- set contact_seen = 'coalesce(modified_at, created_at)' -%}

{#- On an incremental run each staging model is reduced to its unseen rows once, in a CTE that
    the several identifier columns of the model read (DuckDB materializes a CTE read more than
    once: a few rows here). A full build reads the models themselves: materializing whole staging
    tables would cost more than reading them once per column. -#}
{%- set staged = {
    'contacts': ref('stg_hubspot__contacts'),
    'deals': ref('stg_hubspot__deals'),
    'members': ref('stg_mailchimp__members'),
    'customers': ref('stg_stripe__customers'),
    'charges': ref('stg_stripe__charges'),
    'refunds': ref('stg_stripe__refunds'),
    'transactions': ref('stg_vnpay__transactions'),
    'leads': ref('stg_facebook_ads__leads'),
    'clicks': ref('stg_google_ads__clicks'),
} -%}
{%- set rows_of = {} -%}
{%- for name, relation in staged.items() -%}
    {%- do rows_of.update({name: name if is_incremental() else relation}) -%}
{%- endfor %}

with

{{ unseen_lineage() }}
{%- if is_incremental() %}
{%- for name, relation in staged.items() %}
{{ name }} as (select * from {{ unseen_staged_rows(relation) }} as staged),
{%- endfor %}
{%- endif %}

observations as (
    {{ staged_identifiers(rows_of.contacts, 'hubspot', 'contacts', 'contact_id', 'hubspot_contact_id', 'contact_id', observed_at=contact_seen) }}
    union all {{ staged_identifiers(rows_of.contacts, 'hubspot', 'contacts', 'contact_id', 'email', 'email', 'email_is_valid', contact_seen) }}
    union all {{ staged_identifiers(rows_of.contacts, 'hubspot', 'contacts', 'contact_id', 'email_canonical', 'email_canonical', observed_at=contact_seen) }}
    union all {{ staged_identifiers(rows_of.contacts, 'hubspot', 'contacts', 'contact_id', 'phone', 'phone', 'phone_is_valid', contact_seen) }}
    union all {{ staged_identifiers(rows_of.contacts, 'hubspot', 'contacts', 'contact_id', 'gclid', 'gclid', observed_at=contact_seen) }}
    union all {{ staged_identifiers(rows_of.deals, 'hubspot', 'deals', 'deal_id', 'hubspot_contact_id', 'contact_id', observed_at='coalesce(modified_at, created_at)') }}
    union all {{ staged_identifiers(rows_of.members, 'mailchimp', 'members', 'member_id', 'mailchimp_member_id', 'member_id', observed_at='last_changed_at') }}
    union all {{ staged_identifiers(rows_of.members, 'mailchimp', 'members', 'member_id', 'email', 'email', 'email_is_valid', 'last_changed_at') }}
    union all {{ staged_identifiers(rows_of.members, 'mailchimp', 'members', 'member_id', 'email_canonical', 'email_canonical', observed_at='last_changed_at') }}
    union all {{ staged_identifiers(rows_of.members, 'mailchimp', 'members', 'member_id', 'phone', 'phone', 'phone_is_valid', 'last_changed_at') }}
    union all {{ staged_identifiers(rows_of.customers, 'stripe', 'customers', 'customer_id', 'stripe_customer_id', 'customer_id', observed_at='created_at') }}
    union all {{ staged_identifiers(rows_of.customers, 'stripe', 'customers', 'customer_id', 'email', 'email', 'email_is_valid', 'created_at') }}
    union all {{ staged_identifiers(rows_of.customers, 'stripe', 'customers', 'customer_id', 'email_canonical', 'email_canonical', observed_at='created_at') }}
    union all {{ staged_identifiers(rows_of.customers, 'stripe', 'customers', 'customer_id', 'phone', 'phone', 'phone_is_valid', 'created_at') }}
    union all {{ staged_identifiers(rows_of.charges, 'stripe', 'charges', 'charge_id', 'stripe_charge_id', 'charge_id', observed_at='created_at') }}
    union all {{ staged_identifiers(rows_of.charges, 'stripe', 'charges', 'charge_id', 'stripe_customer_id', 'customer_id', observed_at='created_at') }}
    union all {{ staged_identifiers(rows_of.charges, 'stripe', 'charges', 'charge_id', 'email', 'email', 'email_is_valid', 'created_at') }}
    union all {{ staged_identifiers(rows_of.charges, 'stripe', 'charges', 'charge_id', 'email_canonical', 'email_canonical', observed_at='created_at') }}
    union all {{ staged_identifiers(rows_of.charges, 'stripe', 'charges', 'charge_id', 'phone', 'phone', 'phone_is_valid', 'created_at') }}
    union all {{ staged_identifiers(rows_of.charges, 'stripe', 'charges', 'charge_id', 'gclid', 'gclid', observed_at='created_at') }}
    union all {{ staged_identifiers(rows_of.refunds, 'stripe', 'refunds', 'refund_id', 'stripe_charge_id', 'charge_id', observed_at='created_at') }}
    union all {{ staged_identifiers(rows_of.transactions, 'vnpay', 'transactions', 'transaction_id', 'email', 'email', 'email_is_valid', 'paid_at') }}
    union all {{ staged_identifiers(rows_of.transactions, 'vnpay', 'transactions', 'transaction_id', 'email_canonical', 'email_canonical', observed_at='paid_at') }}
    union all {{ staged_identifiers(rows_of.transactions, 'vnpay', 'transactions', 'transaction_id', 'phone', 'phone', 'phone_is_valid', 'paid_at') }}
    union all {{ staged_identifiers(rows_of.leads, 'facebook_ads', 'leads', 'lead_id', 'facebook_lead_id', 'lead_id', observed_at='created_at') }}
    union all {{ staged_identifiers(rows_of.leads, 'facebook_ads', 'leads', 'lead_id', 'email', 'email', 'email_is_valid', 'created_at') }}
    union all {{ staged_identifiers(rows_of.leads, 'facebook_ads', 'leads', 'lead_id', 'email_canonical', 'email_canonical', observed_at='created_at') }}
    union all {{ staged_identifiers(rows_of.leads, 'facebook_ads', 'leads', 'lead_id', 'phone', 'phone', 'phone_is_valid', 'created_at') }}
    union all {{ staged_identifiers(rows_of.clicks, 'google_ads', 'clicks', 'gclid', 'gclid', 'gclid', observed_at='cast(clicked_on as ' ~ dbt.type_timestamp() ~ ')') }}
)

select * from observations
