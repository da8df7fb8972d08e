{#- Where an incremental model keeps its bookkeeping (`<model>__<what>`: the marks of what it has
    consumed, the fingerprints of its inputs): in the intermediate schema, which is not copied
    to the analysts' serving database, whatever the model's own schema. -#}
{% macro bookkeeping_relation(what) -%}
    {%- set schema = generate_schema_name('intermediate', model) | trim -%}
    {{ return(api.Relation.create(database=this.database, schema=schema, identifier=this.identifier ~ '__' ~ what)) }}
{%- endmacro %}
