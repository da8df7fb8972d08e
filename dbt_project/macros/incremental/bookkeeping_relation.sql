{#- Where an incremental model keeps its bookkeeping (`<model>__<what>`: the marks of what it has
    consumed, the fingerprints of its inputs, the log of customer id changes): in the
    intermediate schema, which is not copied to the analysts' serving database, whatever the
    model's own schema. `owner`: the model (a ref) whose bookkeeping another model reads; by
    default the model being built. -#}
{% macro bookkeeping_relation(what, owner=none) -%}
    {%- set owner = owner if owner is not none else this -%}
    {%- set schema = generate_schema_name('intermediate', model) | trim -%}
    {{ return(api.Relation.create(database=owner.database, schema=schema, identifier=owner.identifier ~ '__' ~ what)) }}
{%- endmacro %}
