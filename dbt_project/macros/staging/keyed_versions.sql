{#-
  Incremental staging of keyed exports (contacts, members, charges, ...).

  Ingestion keeps one row per key in raw: the latest version, merged on the key. A staging row
  carries its raw row's lineage (`load_id`, `source_file`, `source_line`), so a raw row is already
  normalized exactly when a staging row has its lineage. An incremental run therefore:
    1. forgets staging rows whose lineage left raw (a newer version replaced it, or an erasure
       deleted it), in a pre-hook (not under --empty, where raw reads as empty:
       macros/incremental/empty_refs.sql);
    2. normalizes only the raw rows staging has not seen;
    3. picks the latest version per key among those and the stored rows of the same keys, and
       replaces those keys (`delete+insert`).
  The result is the full rebuild's, row for row: every stored row is the normalization of a row
  still in raw, and every key with an unseen row is decided again from all of its rows.

  Spark builds these models as tables (plain Parquet tables cannot delete), so the macros are
  no-ops there and the models rebuild whole.
-#}

{% macro unseen_rows_of_completed_loads(source_name, table_name) -%}
    select * from ({{ from_completed_loads(source_name, table_name) }}) as loaded
    {%- if is_incremental() %}
    where not exists (
        select 1 from {{ this }} as seen
        where seen.load_id = loaded._dlt_load_id
            and seen.source_file = loaded._source_file
            and seen.source_line = loaded._source_line
    )
    {%- endif %}
{%- endmacro %}


{% macro forget_rows_that_left_raw(source_name, table_name) -%}
    {%- if is_incremental() and not open_cdp.keeps_stored_rows() %}
    delete from {{ this }} as kept
    where not exists (
        select 1 from ({{ from_completed_loads(source_name, table_name) }}) as loaded
        where loaded._dlt_load_id = kept.load_id
            and loaded._source_file = kept.source_file
            and loaded._source_line = kept.source_line
    )
    {%- endif %}
{%- endmacro %}


{#- `relation` (the newly normalized rows) plus the stored versions of the keys it holds: the rows
    `latest_per_key` chooses from. -#}
{% macro with_stored_versions(relation, key) -%}
    {%- if is_incremental() -%}
    (
        select * from {{ relation }}
        union all
        select * from {{ this }} where {{ key }} in (select {{ key }} from {{ relation }})
    ) as versions
    {%- else -%}
    {{ relation }}
    {%- endif -%}
{%- endmacro %}
