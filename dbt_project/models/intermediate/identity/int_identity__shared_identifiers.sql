{#- Identifier values that must not link records: blocklisted junk, and values shared by several
    people (an office phone, a family inbox).

    Sharing is read from who a value is seen with. Among the capped types (emails and phones), a
    value's partners are the distinct values of the other capped types on the same records.
      1. more partners than `frequency_cap`: shared (junk typed by many people).
      2. otherwise, with the values of step 1 set aside: a partner "leads elsewhere" when it has
         partners of its own besides this value. Two or more such partners mean the value bridges
         people who are otherwise unrelated: shared. A person's own email and phone sit on the
         same records, so they see each other and rarely anything else.
    An email counts as shared when its canonical form is. -#}
{%- set rules = var('identity_rules') -%}

with

blocklisted as (
    {%- for identifier_type, values in rules.blocklist.items() %}
    {%- for value in values %}
    select '{{ identifier_type }}' as identifier_type, '{{ value }}' as identifier_value
    {%- if identifier_type == 'email' %}
    union all
    select 'email_canonical', {{ canonical_email("'" ~ value ~ "'") }}
    {%- endif %}
    {%- if not loop.last %} union all{% endif %}
    {%- endfor %}
    {%- if not loop.last %} union all{% endif %}
    {%- endfor %}
),

blocklisted_distinct as (
    select distinct identifier_type, identifier_value from blocklisted
),

{#- No `distinct`: a row repeated here would only repeat pairs that `partners` makes distinct
    anyway, and int_identity__record_identifiers is tested unique on these columns. Making 4.5M
    rows distinct was a fifth of this model's time at M. -#}
candidates as (
    select ids.record_key, ids.identifier_type, ids.identifier_value
    from {{ ref('int_identity__record_identifiers') }} as ids
    join {{ ref('int_identity__identifier_rules') }} as rules
        on rules.identifier_type = ids.identifier_type and rules.is_frequency_capped
    left join blocklisted_distinct as blocked
        on blocked.identifier_type = ids.identifier_type
        and blocked.identifier_value = ids.identifier_value
    where ids.is_valid and blocked.identifier_value is null
),

partners as (
    select distinct
        a.identifier_type, a.identifier_value,
        b.identifier_type as partner_type, b.identifier_value as partner_value
    from candidates as a
    join candidates as b
        on b.record_key = a.record_key and b.identifier_type <> a.identifier_type
),

partner_counts as (
    select identifier_type, identifier_value, count(*) as partner_count
    from partners
    group by identifier_type, identifier_value
),

over_cap as (
    select identifier_type, identifier_value
    from partner_counts
    where partner_count > {{ rules.frequency_cap }}
),

remaining_partners as (
    select p.*
    from partners as p
    left join over_cap as value_cap
        on value_cap.identifier_type = p.identifier_type and value_cap.identifier_value = p.identifier_value
    left join over_cap as partner_cap
        on partner_cap.identifier_type = p.partner_type and partner_cap.identifier_value = p.partner_value
    where value_cap.identifier_value is null and partner_cap.identifier_value is null
),

remaining_counts as (
    select identifier_type, identifier_value, count(*) as partner_count
    from remaining_partners
    group by identifier_type, identifier_value
),

bridging as (
    select p.identifier_type, p.identifier_value, count(*) as bridging_partner_count
    from remaining_partners as p
    join remaining_counts as partner
        on partner.identifier_type = p.partner_type and partner.identifier_value = p.partner_value
    where partner.partner_count > 1
    group by p.identifier_type, p.identifier_value
    having count(*) > 1
),

shared as (
    select identifier_type, identifier_value, 'blocklisted' as reason from blocklisted_distinct
    union all
    select identifier_type, identifier_value, 'seen with more than {{ rules.frequency_cap }} other emails or phones' from over_cap
    union all
    select identifier_type, identifier_value, 'bridges ' || cast(bridging_partner_count as {{ dbt.type_string() }}) || ' otherwise unrelated emails or phones' from bridging
),

{#- In a where clause a null is false anyway, so `coalesce(…, false)` changes no row: it only stops
    DuckDB (2.0) from making the canonical-form comparison a join key, where it computed the
    canonical form of every email (2.6M at M, 2 of the model's 7 CPU-s) instead of only those on
    records whose canonical form is shared. -#}
shared_emails as (
    select distinct ids.identifier_type, ids.identifier_value, shared.reason
    from {{ ref('int_identity__record_identifiers') }} as ids
    join {{ ref('int_identity__record_identifiers') }} as canonical
        on canonical.record_key = ids.record_key and canonical.identifier_type = 'email_canonical'
    join shared
        on shared.identifier_type = 'email_canonical' and shared.identifier_value = canonical.identifier_value
    where ids.identifier_type = 'email'
        and shared.reason <> 'blocklisted'
        and coalesce({{ canonical_email('ids.identifier_value') }} = canonical.identifier_value, false)
),

all_shared as (
    select * from shared
    union all
    select * from shared_emails
)

select identifier_type, identifier_value, min(reason) as reason
from all_shared
group by identifier_type, identifier_value
