{#- Every identifier every person record carries, normalized, one row per (record, type, value).
    Record keys that other records point at (a deal's contact, a refund's charge, a charge's
    customer) are identifiers too: that is how those records join their person. -#}



{%- set contacts = ref('stg_hubspot__contacts') -%}
{%- set deals = ref('stg_hubspot__deals') -%}
{%- set members = ref('stg_mailchimp__members') -%}
{%- set customers = ref('stg_stripe__customers') -%}
{%- set charges = ref('stg_stripe__charges') -%}
{%- set refunds = ref('stg_stripe__refunds') -%}
{%- set transactions = ref('stg_vnpay__transactions') -%}
{%- set leads = ref('stg_facebook_ads__leads') -%}
{%- set clicks = ref('stg_google_ads__clicks') -%}
{%- set contact_seen = 'coalesce(modified_at, created_at)' -%}

{{ identifier_observations(contacts, 'hubspot', 'contacts', 'contact_id', 'hubspot_contact_id', 'contact_id', observed_at=contact_seen) }}
union all {{ identifier_observations(contacts, 'hubspot', 'contacts', 'contact_id', 'email', 'email', 'email_is_valid', contact_seen) }}
union all {{ identifier_observations(contacts, 'hubspot', 'contacts', 'contact_id', 'email_canonical', 'email_canonical', observed_at=contact_seen) }}
union all {{ identifier_observations(contacts, 'hubspot', 'contacts', 'contact_id', 'phone', 'phone', 'phone_is_valid', contact_seen) }}
union all {{ identifier_observations(contacts, 'hubspot', 'contacts', 'contact_id', 'gclid', 'gclid', observed_at=contact_seen) }}
union all {{ identifier_observations(deals, 'hubspot', 'deals', 'deal_id', 'hubspot_contact_id', 'contact_id', observed_at='coalesce(modified_at, created_at)') }}
union all {{ identifier_observations(members, 'mailchimp', 'members', 'member_id', 'mailchimp_member_id', 'member_id', observed_at='last_changed_at') }}
union all {{ identifier_observations(members, 'mailchimp', 'members', 'member_id', 'email', 'email', 'email_is_valid', 'last_changed_at') }}
union all {{ identifier_observations(members, 'mailchimp', 'members', 'member_id', 'email_canonical', 'email_canonical', observed_at='last_changed_at') }}
union all {{ identifier_observations(members, 'mailchimp', 'members', 'member_id', 'phone', 'phone', 'phone_is_valid', 'last_changed_at') }}
union all {{ identifier_observations(customers, 'stripe', 'customers', 'customer_id', 'stripe_customer_id', 'customer_id', observed_at='created_at') }}
union all {{ identifier_observations(customers, 'stripe', 'customers', 'customer_id', 'email', 'email', 'email_is_valid', 'created_at') }}
union all {{ identifier_observations(customers, 'stripe', 'customers', 'customer_id', 'email_canonical', 'email_canonical', observed_at='created_at') }}
union all {{ identifier_observations(customers, 'stripe', 'customers', 'customer_id', 'phone', 'phone', 'phone_is_valid', 'created_at') }}
union all {{ identifier_observations(charges, 'stripe', 'charges', 'charge_id', 'stripe_charge_id', 'charge_id', observed_at='created_at') }}
union all {{ identifier_observations(charges, 'stripe', 'charges', 'charge_id', 'stripe_customer_id', 'customer_id', observed_at='created_at') }}
union all {{ identifier_observations(charges, 'stripe', 'charges', 'charge_id', 'email', 'email', 'email_is_valid', 'created_at') }}
union all {{ identifier_observations(charges, 'stripe', 'charges', 'charge_id', 'email_canonical', 'email_canonical', observed_at='created_at') }}
union all {{ identifier_observations(charges, 'stripe', 'charges', 'charge_id', 'phone', 'phone', 'phone_is_valid', 'created_at') }}
union all {{ identifier_observations(charges, 'stripe', 'charges', 'charge_id', 'gclid', 'gclid', observed_at='created_at') }}
union all {{ identifier_observations(refunds, 'stripe', 'refunds', 'refund_id', 'stripe_charge_id', 'charge_id', observed_at='created_at') }}
union all {{ identifier_observations(transactions, 'vnpay', 'transactions', 'transaction_id', 'email', 'email', 'email_is_valid', 'paid_at') }}
union all {{ identifier_observations(transactions, 'vnpay', 'transactions', 'transaction_id', 'email_canonical', 'email_canonical', observed_at='paid_at') }}
union all {{ identifier_observations(transactions, 'vnpay', 'transactions', 'transaction_id', 'phone', 'phone', 'phone_is_valid', 'paid_at') }}
union all {{ identifier_observations(leads, 'facebook_ads', 'leads', 'lead_id', 'facebook_lead_id', 'lead_id', observed_at='created_at') }}
union all {{ identifier_observations(leads, 'facebook_ads', 'leads', 'lead_id', 'email', 'email', 'email_is_valid', 'created_at') }}
union all {{ identifier_observations(leads, 'facebook_ads', 'leads', 'lead_id', 'email_canonical', 'email_canonical', observed_at='created_at') }}
union all {{ identifier_observations(leads, 'facebook_ads', 'leads', 'lead_id', 'phone', 'phone', 'phone_is_valid', 'created_at') }}
union all {{ identifier_observations(clicks, 'google_ads', 'clicks', 'gclid', 'gclid', 'gclid', observed_at='cast(clicked_on as ' ~ dbt.type_timestamp() ~ ')') }}
