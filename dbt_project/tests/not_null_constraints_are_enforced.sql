{#- On DuckDB a contracted table's not_null constraints replace its not_null data tests: the engine
    refuses a NULL on insert, so the build fails on it (docs/data-tests.md). That holds only if the
    table in the warehouse carries the constraint: an incremental table created before its column
    gained one accepts NULLs until it is rebuilt. A row here is a declared not_null column whose
    warehouse column is nullable or missing; the table needs a `--full-refresh`.
    The refs below order this test after every model with such a constraint (the list is checked
    by tests/dbt_project/test_not_null_constraints.py). -#}
{{ config(enabled=(target.type == 'duckdb'), meta={'dagster': {'ref': {'name': 'customers'}}}) }}
-- depends_on: {{ ref('customers') }}
-- depends_on: {{ ref('customer_traits') }}
-- depends_on: {{ ref('customer_events') }}
-- depends_on: {{ ref('customer_identifiers') }}
-- depends_on: {{ ref('customer_source_records') }}
-- depends_on: {{ ref('identity_refused_links') }}
-- depends_on: {{ ref('customer_consent_history') }}
-- depends_on: {{ ref('customer_consent') }}
-- depends_on: {{ ref('campaign_performance') }}
-- depends_on: {{ ref('channel_summary') }}
-- depends_on: {{ ref('segment_memberships') }}
{%- set declared = [] -%}
{%- if execute -%}
    {%- for node in graph.nodes.values() | sort(attribute='unique_id')
        if node.resource_type == 'model' and node.config.contract.enforced -%}
        {%- for column in node.columns.values()
            if column.constraints | selectattr('type', 'equalto', 'not_null') | list -%}
            {%- do declared.append((node.database, node.schema, node.alias, column.name)) -%}
        {%- endfor -%}
    {%- endfor -%}
{%- endif %}
{%- if declared %}
with declared (database_name, schema_name, table_name, column_name) as (
    values
    {%- for database, schema, table, column in declared %}
        ('{{ database }}', '{{ schema }}', '{{ table }}', '{{ column }}'){{ ',' if not loop.last }}
    {%- endfor %}
)

select declared.*
from declared
left join duckdb_columns() as actual
    on actual.database_name = declared.database_name
    and actual.schema_name = declared.schema_name
    and actual.table_name = declared.table_name
    and actual.column_name = declared.column_name
where actual.is_nullable is distinct from false
{%- else %}
select 1 as nothing_declared where false
{%- endif %}
