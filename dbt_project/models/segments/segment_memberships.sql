{{ config(materialized='table') }}
-- Current members: the open spells of the history, so entered_at stays the moment a customer
-- entered and does not move while they remain a member.

select
    segment,
    customer_id,
    valid_from as entered_at
from {{ ref('segment_membership_history') }}
where valid_to is null
