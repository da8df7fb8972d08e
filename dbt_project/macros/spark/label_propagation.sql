{#-
  Spark versions of the label propagation steps that change rows in place (see
  macros/identity/label_propagation.sql). Spark's own Parquet tables have no UPDATE, DELETE or
  MERGE, so each step writes the changed table anew and swaps it in. Every pass still starts only
  from the frontier, so the number of passes, and the components, are the same as on DuckDB.
-#}

{#- Replace `relation` by the rows of `query`, which may read `relation` itself. -#}
{% macro spark_rewrite_table(relation, query) -%}
    {%- set next = relation.incorporate(path={'identifier': relation.identifier ~ '__next'}) -%}
    {%- do run_query('drop table if exists ' ~ next) -%}
    {%- do run_query('create table ' ~ next ~ ' as ' ~ query) -%}
    {%- do run_query('drop table ' ~ relation) -%}
    {%- do run_query('alter table ' ~ next ~ ' rename to ' ~ relation) -%}
{%- endmacro %}


{% macro spark__lp_apply_labels(labels, changes, share=none) -%}
    {%- do open_cdp.spark_rewrite_table(labels,
        'select l.node_id, coalesce(c.label, l.label) as label from ' ~ labels ~ ' as l'
        ~ ' left join ' ~ changes ~ ' as c on c.node_id = l.node_id'
    ) -%}
{%- endmacro %}


{% macro spark__lp_refuse(work) -%}
    {%- set conflicts = '(select record_id, identifier_id, min(reason) as reason from ' ~ work.conflicts ~ ' group by record_id, identifier_id)' -%}
    {%- do open_cdp.spark_rewrite_table(work.edges,
        'select e.record_id, e.identifier_id, e.tier,'
        ~ ' case when c.record_id is null then e.refusal_reason else c.reason end as refusal_reason'
        ~ ' from ' ~ work.edges ~ ' as e left join ' ~ conflicts ~ ' as c'
        ~ ' on c.record_id = e.record_id and c.identifier_id = e.identifier_id'
    ) -%}
    {%- do open_cdp.spark_rewrite_table(work.adjacency,
        'select x.a, x.b from ' ~ work.adjacency ~ ' as x'
        ~ ' left anti join ' ~ work.conflicts ~ ' as forward on forward.record_id = x.a and forward.identifier_id = x.b'
        ~ ' left anti join ' ~ work.conflicts ~ ' as backward on backward.identifier_id = x.a and backward.record_id = x.b'
    ) -%}
{%- endmacro %}
