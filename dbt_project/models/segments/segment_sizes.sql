{{ config(
    materialized='incremental',
    incremental_strategy='merge',
    unique_key=['segment', 'run_date'],
    on_schema_change='fail',
    full_refresh=false,
) }}
-- Members per segment per run date (a rerun on the same date replaces that date's row). Every
-- defined segment gets a row, so an empty segment shows 0 rather than disappearing.

with

members as (
    select segment, count(distinct customer_id) as members
    from {{ ref('int_segment_members_unioned') }}
    group by segment
)

select
    definitions.segment,
    cast({{ as_of() }} as date) as run_date,
    cast(coalesce(members.members, 0) as {{ dbt.type_bigint() }}) as members,
    {{ as_of() }} as refreshed_at
from {{ ref('segment_definitions') }} as definitions
left join members
    on members.segment = definitions.segment
