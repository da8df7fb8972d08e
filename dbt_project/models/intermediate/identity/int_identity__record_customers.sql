{{ config(
    materialized='incremental', unique_key='record_key', incremental_strategy='delete+insert', on_schema_change='fail', full_refresh=false,
    pre_hook=[
        "{{ create_consumed_mark('links_consumed', 'resolved_at', reads_links_since_consumed()) }}",
        "{{ create_id_change_log() }}",
    ],
    post_hook=[
        "{{ move_consumed_mark('links_consumed', 'resolved_at', ref('int_identity__links'), target.type == 'duckdb') }}",
        "{{ append_id_changes() }}",
    ],
) }}
{#- Stable customer ids. Components are recomputed from scratch on every run; this table carries
    the ids over from the previous run (its own previous state):
      - a previous id goes to the new component that holds most of its records;
      - a component that receives several previous ids keeps the oldest (merge), the others are
        retired and recorded as changed into it;
      - a component that receives none gets a new id: either a brand-new person, or a part that
        split off a previous customer (recorded as a split from the old id).
    Only records whose id changed are written (`new`, `merge`, `split`), so each row tells how its
    record got its current id and when (`assigned_at`, the run that wrote it: its start, or just
    after the newest stored `assigned_at` should the clock have gone back, so that customer_events
    and customer_id_changes, which read the rows stamped after what they consumed, see them;
    macros/incremental/consumed_marks.sql): an unchanged record keeps its row, and a run rewrites
    a handful of rows instead of every record (3.1M at M). The newest `assigned_at` is thus the
    latest run that changed any id, and its rows are what that run changed (a run that changes
    nothing writes nothing). Rows of records no longer ingested stay as history but never take
    part again.

    A record whose id changes again loses its row of the earlier change, so the changes are
    logged as they are written, in int_identity__record_customers__id_changes, the history
    customer_id_changes is built from (macros/identity/customer_id_change_log.sql).

    On an incremental DuckDB run only the components that can change are read (at M about 0.2M
    of the 10M links and of the 3.1M previous rows, instead of all of them). A component
    int_identity__links has not recomputed since this model last read it (macros/incremental/
    consumed_marks.sql) holds the same records as then, all with the one id this model gave it,
    and no other component holds a record of that id: it keeps its id and writes nothing, unless
    a record that id once had (history of a record no longer ingested, now ingested again) sits
    in a recomputed component and claims the id too. So the model reads the recomputed records
    (`resolved`, whole components, as links rewrites whole components), every previous row of
    the ids those records had (`previous`), and the component of each of those rows' records
    (`components`): every component where an id can be claimed, with all its records and every
    claim on those ids, which is all the rules below look at. -#}
{%- set run_at = run_start_stamp() -%}

with

{% if reads_links_since_consumed() -%}
resolved as (
    select distinct record_key, component_key
    from {{ ref('int_identity__links') }}
    where {{ consumed_since('resolved_at', 'links_consumed') }}
),

previous as (
    select record_key, customer_id, customer_created_at
    from {{ this }}
    where record_key in (select record_key from resolved)
        or customer_id in (
            select customer_id from {{ this }} where record_key in (select record_key from resolved)
        )
),

components as (
    select record_key, component_key from resolved
    union
    select record_key, component_key
    from {{ ref('int_identity__links') }}
    where record_key in (
        select record_key from previous where record_key not in (select record_key from resolved)
    )
),
{%- else -%}
components as (
    select distinct record_key, component_key
    from {{ ref('int_identity__links') }}
),

previous as (
    {% if is_incremental() %}
    select record_key, customer_id, customer_created_at from {{ this }}
    {% else %}
    select
        cast(null as {{ dbt.type_string() }}) as record_key,
        cast(null as {{ dbt.type_string() }}) as customer_id,
        cast(null as {{ dbt.type_timestamp() }}) as customer_created_at
    where 1 = 0
    {% endif %}
),
{%- endif %}

overlap as (
    select
        components.component_key,
        previous.customer_id,
        min(previous.customer_created_at) as customer_created_at,
        count(*) as shared_records
    from components
    join previous on previous.record_key = components.record_key
    group by components.component_key, previous.customer_id
),

claims as (
    select
        *,
        row_number() over (partition by customer_id order by shared_records desc, component_key) as claim_rank
    from overlap
),

won as (
    select
        component_key,
        customer_id,
        customer_created_at,
        row_number() over (partition by component_key order by customer_created_at, customer_id) as age_rank
    from claims
    where claim_rank = 1
),

split_from as (
    {#- For a component that won nothing: the previous id most of its records had. -#}
    select component_key, customer_id
    from (
        select
            component_key,
            customer_id,
            row_number() over (partition by component_key order by shared_records desc, customer_id) as rank_in_component
        from claims
    ) as ranked
    where rank_in_component = 1
),

component_ids as (
    select
        keys.component_key,
        coalesce(
            kept.customer_id,
            'cus_' || substr({{ dbt.hash(dbt.concat(['keys.component_key', "'|'", "coalesce(split_from.customer_id, '')"])) }}, 1, 20)
        ) as customer_id,
        coalesce(kept.customer_created_at, {{ run_at }}) as customer_created_at
    from (select distinct component_key from components) as keys
    left join won as kept on kept.component_key = keys.component_key and kept.age_rank = 1
    left join split_from on split_from.component_key = keys.component_key
)

select
    components.record_key,
    component_ids.customer_id,
    component_ids.customer_created_at,
    previous.customer_id as previous_customer_id,
    case
        when previous.customer_id is null then 'new'
        when retired.customer_id is not null then 'merge'
        else 'split'
    end as change_reason,
    {{ stamp_after_stored(run_at, 'assigned_at') }} as assigned_at
from components
join component_ids on component_ids.component_key = components.component_key
left join previous on previous.record_key = components.record_key
left join won as retired
    on retired.component_key = components.component_key and retired.customer_id = previous.customer_id
where previous.customer_id is null or previous.customer_id <> component_ids.customer_id
