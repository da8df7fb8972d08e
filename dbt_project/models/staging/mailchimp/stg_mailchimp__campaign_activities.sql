{{ config(materialized='incremental', incremental_strategy='append', on_schema_change='fail') }}
{#- Events: each file loads once and every line is one event, so the file and line identify it.
    Incremental: an event never changes once loaded, so a run appends the rows of the completed
    loads it has not seen yet instead of re-reading ~10M events (append works on every engine). -#}
with

source as (
    select * from ({{ from_completed_loads('raw_mailchimp', 'campaign_activity') }}) as completed
    {% if is_incremental() %}
    where _dlt_load_id not in (select distinct load_id from {{ this }})
    {% endif %}
),

renamed as (
    select
        ---------- ids
        {{ dbt.hash(dbt.concat(["'mailchimp:'", '_source_file', "':'", 'cast(_source_line as ' ~ dbt.type_string() ~ ')'])) }} as activity_id,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(list_id as {{ dbt.type_string() }}) as list_id,

        ---------- event
        {{ normalize_email('email_address') }} as email,
        lower(trim(action)) as action,
        nullif(trim(url), '') as url,

        ---------- timestamps
        {{ to_utc_timestamp('timestamp') }} as occurred_at,

        ---------- lineage
        _source_file as source_file,
        _source_line as source_line,
        _dlt_load_id as load_id
    from source
)

select * from renamed
