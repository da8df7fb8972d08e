{#-
  On Spark the raw layer is the lake that `ingestion.lake` writes: `<lake>/raw_<system>/<table>/`,
  Parquet files (dlt's `_dlt_loads` ledger is JSON lines). Before the models run, every `raw_*` source
  of the project becomes an external table over its folder, so staging reads `source()` on both
  engines and no model knows where raw data lives. Tables are re-created each run: new columns in
  newer files (schema evolution) are picked up, and dropping an external table leaves its files.

  The lake is the `lake` var, else CDP_LAKE, else `data/lake` of this repository; a cluster passes
  an object-store URL (`s3a://bucket/lake`). On DuckDB the raw datasets are schemas of the
  warehouse and this does nothing. A missing folder fails the run naming it, as a missing raw
  table does on DuckDB.
-#}
{% macro register_lake_sources() -%}
    {{ return(adapter.dispatch('register_lake_sources', 'open_cdp')()) }}
{%- endmacro %}

{% macro default__register_lake_sources() -%}
    {{ return('') }}
{%- endmacro %}

{% macro spark__register_lake_sources() -%}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set lake = var('lake', none) or env_var('CDP_LAKE', '../data/lake') -%}
    {%- set raw_sources = [] -%}
    {%- for source in graph.sources.values() | sort(attribute='unique_id') if source.schema.startswith('raw_') -%}
        {%- do raw_sources.append(source) -%}
    {%- endfor -%}
    {%- for source in raw_sources -%}
        {%- set location = lake.rstrip('/') ~ '/' ~ source.schema ~ '/' ~ source.identifier -%}
        {%- set format = 'json' if source.identifier == '_dlt_loads' else 'parquet' -%}
        {%- set relation = source.schema ~ '.' ~ source.identifier -%}
        {%- do run_query('create database if not exists ' ~ source.schema) -%}
        {%- do run_query('drop table if exists ' ~ relation) -%}
        {%- do run_query(
            'create table ' ~ relation ~ ' using ' ~ format
            ~ " options (mergeSchema 'true') location '" ~ location ~ "'"
        ) -%}
    {%- endfor -%}
    {{ log('lake: ' ~ (raw_sources | length) ~ ' raw tables registered from ' ~ lake, info=True) }}
    {{ return('') }}
{%- endmacro %}

