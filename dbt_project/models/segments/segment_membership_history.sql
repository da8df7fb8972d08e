{{ config(
    materialized='incremental',
    incremental_strategy='merge',
    unique_key=['segment', 'customer_id', 'valid_from'],
    on_schema_change='fail',
    full_refresh=false,
) }}
-- One row per spell a customer spends in a segment: valid_from = entered, valid_to = exited
-- (null while still a member). Each run compares the segments' current members with the open
-- spells and only inserts entries and closes exits, so history survives every rebuild of the
-- segment models. A run whose as_of is not later than the last recorded change changes nothing,
-- nor does one under --empty, whose segments are empty (macros/incremental/empty_refs.sql).

with

current_members as (
    select distinct segment, customer_id
    from {{ ref('int_segment_members_unioned') }}
)

{% if is_incremental() %}
,

open_spells as (
    select segment, customer_id, valid_from
    from {{ this }}
    where valid_to is null
),

last_change as (
    select max(coalesce(valid_to, valid_from)) as changed_at
    from {{ this }}
),

entered as (
    select
        current_members.segment,
        current_members.customer_id,
        {{ as_of() }} as valid_from,
        cast(null as {{ dbt.type_timestamp() }}) as valid_to
    from current_members
    left join open_spells
        on open_spells.segment = current_members.segment
        and open_spells.customer_id = current_members.customer_id
    where open_spells.customer_id is null
),

exited as (
    select
        open_spells.segment,
        open_spells.customer_id,
        open_spells.valid_from,
        {{ as_of() }} as valid_to
    from open_spells
    left join current_members
        on current_members.segment = open_spells.segment
        and current_members.customer_id = open_spells.customer_id
    where current_members.customer_id is null
),

changes as (
    select * from entered
    union all
    select * from exited
)

select changes.segment, changes.customer_id, changes.valid_from, changes.valid_to
from changes
cross join last_change
where (last_change.changed_at is null or {{ as_of() }} > last_change.changed_at)
    {%- if open_cdp.keeps_stored_rows() %}
    and false
    {%- endif %}

{% else %}

select
    segment,
    customer_id,
    {{ as_of() }} as valid_from,
    cast(null as {{ dbt.type_timestamp() }}) as valid_to
from current_members

{% endif %}
