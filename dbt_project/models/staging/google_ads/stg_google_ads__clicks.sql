{{ config(unique_key='gclid', pre_hook="{{ forget_rows_that_left_raw('raw_google_ads', 'clicks') }}") }}
with

source as (
    {{ unseen_rows_of_completed_loads('raw_google_ads', 'clicks') }}
),

renamed as (
    select
        ---------- ids
        cast(click_view_gclid as {{ dbt.type_string() }}) as gclid,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        campaign_name,
        cast(ad_group_id as {{ dbt.type_string() }}) as ad_group_id,

        ---------- click
        click_view_keyword_info_text as keyword,
        click_view_keyword_info_match_type as keyword_match_type,
        segments_device as device,
        segments_click_type as click_type,

        ---------- timestamps
        {{ safe_cast('segments_date', 'date') }} as clicked_on,

        ---------- lineage
        _source_file as source_file,
        _source_line as source_line,
        _dlt_load_id as load_id
    from source
),

latest as (
    {{ latest_per_key(with_stored_versions('renamed', 'gclid'), 'gclid', 'load_id desc, source_file desc, source_line desc') }}
)

select * from latest
