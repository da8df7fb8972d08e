{{ config(materialized='label_propagation', enabled=target.type != 'duckdb') }}
{#- Customers: the links of int_identity__link_candidates turned into connected components by the
    label_propagation materialization (tier by tier, refusing links that break a per-customer
    limit). On DuckDB the same model is on_duckdb/int_identity__links.py, which gives the same
    rows with union-find over integer ids in a fraction of the time and memory; this SQL one is
    for Spark and the other warehouses, where dbt cannot run Python models. -#}
select * from {{ ref('int_identity__link_candidates') }}
