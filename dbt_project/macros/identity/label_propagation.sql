{#-
  Connected components of the record <-> identifier graph by iterative min-label propagation.

  Why not a recursive CTE: it re-derives every path and explodes on real graphs. Why not a fixed
  number of passes: long chains need as many passes as they are long. Here each pass only starts
  from the nodes whose label changed in the previous pass (the frontier), so settled components are
  never touched again, and pointer jumping (label := label of my label) shortens long chains. The
  loop stops when a pass changes nothing.

  Links are added tier by tier (identifier priority, strongest first). After each tier, a customer
  holding more values of a type than its `max_per_customer` allows is undone to the previous tier:
  first the identifiers that join too many such values are refused, then, if a limit is still
  broken, every link of that tier inside the offending customer. Refused links keep their row in
  the output with the reason, so they can be audited.

  Input (the model's SQL): record_key, identifier_key (null for a record with nothing to link),
  identifier_type, tier, max_per_customer, and any other columns to carry through. Output: the
  input rows (without max_per_customer) plus component_key (the smallest node key of the record's
  component), identifier_component_key, link_status and refusal_reason.
-#}

{% materialization label_propagation, default %}
    {%- set target_relation = this.incorporate(type='table') -%}
    {%- set existing_relation = load_cached_relation(this) -%}
    {%- set work = {} -%}
    {%- for name in ['nodes', 'keyed', 'edges', 'components', 'typed', 'labels', 'previous', 'adjacency', 'frontier', 'changed', 'violating', 'conflicts'] -%}
        {%- do work.update({name: open_cdp.lp_work_relation(this, name)}) -%}
    {%- endfor -%}
    {%- set runs_relation = this.incorporate(path={'identifier': this.identifier ~ '__runs'}, type='table') -%}

    {{ run_hooks(pre_hooks) }}

    {%- do open_cdp.lp_replace(work.keyed, open_cdp.lp_keyed_sql(sql)) -%}
    {%- do open_cdp.lp_replace(work.nodes, open_cdp.lp_nodes_sql(work)) -%}
    {%- set colliding = open_cdp.lp_scalar('select count(*) from ' ~ work.nodes ~ ' where other_node_key <> node_key') -%}
    {%- if colliding > 0 -%}
        {{ exceptions.raise_compiler_error(colliding ~ ' node ids are shared by different identity keys (a 64-bit hash collision); nothing was linked') }}
    {%- endif -%}
    {%- do open_cdp.lp_replace(work.edges, open_cdp.lp_edges_sql(work)) -%}
    {%- do open_cdp.lp_replace(work.typed, open_cdp.lp_typed_sql(work)) -%}
    {%- do open_cdp.lp_replace(work.labels, 'select node_id, node_id as label from ' ~ work.nodes) -%}
    {%- do open_cdp.lp_replace(work.adjacency, 'select node_id as a, node_id as b from ' ~ work.nodes ~ ' where 1 = 0') -%}

    {%- set tiers = run_query('select distinct tier from ' ~ work.edges ~ ' order by tier').columns[0].values() -%}
    {%- set has_limits = open_cdp.lp_scalar('select count(*) from ' ~ work.typed) > 0 -%}
    {%- set state = {'iterations': 0, 'nodes': open_cdp.lp_scalar('select count(*) from ' ~ work.nodes)} -%}

    {%- for tier in tiers -%}
        {%- if has_limits -%}
            {%- do open_cdp.lp_replace(work.previous, 'select node_id, label from ' ~ work.labels) -%}
        {%- endif -%}
        {%- do run_query(open_cdp.lp_add_tier_sql(work, tier)) -%}
        {%- do open_cdp.lp_replace(work.frontier, 'select distinct record_id as node_id from ' ~ work.edges ~ ' where tier = ' ~ tier ~ ' union select distinct identifier_id from ' ~ work.edges ~ ' where tier = ' ~ tier) -%}
        {%- do state.update({'iterations': state.iterations + open_cdp.lp_propagate(work, state.nodes)}) -%}

        {%- if has_limits -%}
            {%- for step in ['identifiers', 'tier'] -%}
                {%- do open_cdp.lp_replace(work.violating, open_cdp.lp_violating_sql(work)) -%}
                {%- if open_cdp.lp_scalar('select count(*) from ' ~ work.violating) > 0 -%}
                    {%- if step == 'identifiers' -%}
                        {%- do open_cdp.lp_replace(work.conflicts, open_cdp.lp_conflicting_identifiers_sql(work, tier)) -%}
                    {%- else -%}
                        {%- do open_cdp.lp_replace(work.conflicts, open_cdp.lp_conflicting_tier_sql(work, tier)) -%}
                    {%- endif -%}
                    {%- do open_cdp.lp_refuse(work) -%}
                    {%- do open_cdp.lp_replace(work.frontier, 'select l.node_id from ' ~ work.labels ~ ' l join ' ~ work.violating ~ ' v on v.label = l.label') -%}
                    {%- do open_cdp.lp_apply_labels(work.labels, '(select p.node_id, p.label from ' ~ work.previous ~ ' p join ' ~ work.frontier ~ ' f on f.node_id = p.node_id)') -%}
                    {%- do state.update({'iterations': state.iterations + open_cdp.lp_propagate(work, state.nodes)}) -%}
                {%- endif -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endfor -%}

    {%- if existing_relation is not none -%}
        {%- do adapter.drop_relation(existing_relation) -%}
    {%- endif -%}
    {%- do open_cdp.lp_replace(work.components, open_cdp.lp_components_sql(work)) -%}
    {%- set input_columns = adapter.get_columns_in_relation(work.keyed) | map(attribute='name') | reject('in', ['lp_record_id', 'lp_identifier_id']) | list -%}
    {% call statement('main') -%}
        {{ get_create_table_as_sql(False, target_relation, open_cdp.lp_output_sql(work, input_columns)) }}
    {%- endcall %}

    {%- do open_cdp.lp_record_run(runs_relation, work, tiers | length, state.iterations) -%}
    {%- for name, relation in work.items() -%}
        {%- do run_query('drop table if exists ' ~ relation) -%}
    {%- endfor -%}
    {{ log('label propagation: ' ~ state.iterations ~ ' passes over ' ~ (tiers | length) ~ ' tiers', info=True) }}

    {{ run_hooks(post_hooks) }}
    {%- do adapter.commit() -%}
    {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}


{% macro lp_scalar(query) -%}
    {{ return(run_query(query).columns[0].values()[0]) }}
{%- endmacro %}


{#- The working tables of one run. On DuckDB they are temporary tables: kept in memory (spilled
    to the temp directory when large), never written to the database file, its log or a
    checkpoint, which cost more than the queries themselves. -#}
{% macro lp_work_relation(model, name) -%}
    {{ return(adapter.dispatch('lp_work_relation', 'open_cdp')(model, name)) }}
{%- endmacro %}

{% macro duckdb__lp_work_relation(model, name) -%}
    {{ return(api.Relation.create(identifier=model.identifier ~ '__lp_' ~ name, type='table')) }}
{%- endmacro %}

{% macro default__lp_work_relation(model, name) -%}
    {{ return(model.incorporate(path={'identifier': model.identifier ~ '__lp_' ~ name}, type='table')) }}
{%- endmacro %}


{% macro lp_replace(relation, query) -%}
    {{ return(adapter.dispatch('lp_replace', 'open_cdp')(relation, query)) }}
{%- endmacro %}

{% macro duckdb__lp_replace(relation, query) -%}
    {%- do run_query('create or replace temp table ' ~ relation ~ ' as ' ~ query) -%}
{%- endmacro %}

{% macro default__lp_replace(relation, query) -%}
    {%- do run_query('drop table if exists ' ~ relation) -%}
    {%- do run_query('create table ' ~ relation ~ ' as ' ~ query) -%}
{%- endmacro %}


{#- Set label := new label for the given (node_id, label) rows. `share` (when known) is the
    fraction of all nodes that change. -#}
{% macro lp_apply_labels(labels, changes, share=none) -%}
    {{ return(adapter.dispatch('lp_apply_labels', 'open_cdp')(labels, changes, share)) }}
{%- endmacro %}

{#- DuckDB updates a few rows in place cheaply, but updating a large share of a table row by row
    costs far more than writing the table anew, which the first passes of a tier do. -#}
{% macro duckdb__lp_apply_labels(labels, changes, share=none) -%}
    {%- if share is not none and share > 0.05 -%}
        {%- do run_query(
            'create or replace temp table ' ~ labels ~ ' as select l.node_id, coalesce(c.label, l.label) as label'
            ~ ' from ' ~ labels ~ ' as l left join ' ~ changes ~ ' as c on c.node_id = l.node_id'
        ) -%}
    {%- else -%}
        {%- do run_query('update ' ~ labels ~ ' set label = c.label from ' ~ changes ~ ' as c where ' ~ labels ~ '.node_id = c.node_id') -%}
    {%- endif -%}
{%- endmacro %}

{% macro default__lp_apply_labels(labels, changes, share=none) -%}
    {%- do run_query('merge into ' ~ labels ~ ' as t using ' ~ changes ~ ' as c on t.node_id = c.node_id when matched then update set label = c.label') -%}
{%- endmacro %}


{#- A node's integer id: a 64-bit hash of its key, so no step ever joins on the (text) keys.
    Two keys sharing an id would wrongly join two customers; lp_nodes_sql keeps the smallest and
    largest key behind every id and the materialization stops rather than build on a collision. -#}
{% macro lp_node_id(key) -%}
    {{ return(adapter.dispatch('lp_node_id', 'open_cdp')(key)) }}
{%- endmacro %}

{% macro duckdb__lp_node_id(key) -%}
    case when {{ key }} is not null then hash({{ key }}) end
{%- endmacro %}

{% macro default__lp_node_id(key) -%}
    case when {{ key }} is not null then xxhash64({{ key }}) end
{%- endmacro %}


{#- The input rows with the integer ids of their two nodes. -#}
{% macro lp_keyed_sql(input_sql) -%}
    select model_rows.*, {{ open_cdp.lp_node_id('model_rows.record_key') }} as lp_record_id,
        {{ open_cdp.lp_node_id('model_rows.identifier_key') }} as lp_identifier_id
    from ({{ input_sql }}) as model_rows
{%- endmacro %}


{% macro lp_nodes_sql(work) -%}
    select node_id, min(node_key) as node_key, max(node_key) as other_node_key
    from (
        select lp_record_id as node_id, record_key as node_key from {{ work.keyed }}
        union all
        select lp_identifier_id, identifier_key from {{ work.keyed }} where lp_identifier_id is not null
    ) as keys
    group by node_id
{%- endmacro %}


{#- Each component's key: the smallest node key in it, whatever the ids, so both engines name a
    component alike. -#}
{% macro lp_components_sql(work) -%}
    select l.label, min(n.node_key) as component_key
    from {{ work.labels }} as l
    join {{ work.nodes }} as n on n.node_id = l.node_id
    group by l.label
{%- endmacro %}


{% macro lp_edges_sql(work) -%}
    select distinct
        lp_record_id as record_id,
        lp_identifier_id as identifier_id,
        tier,
        cast(null as {{ dbt.type_string() }}) as refusal_reason
    from {{ work.keyed }}
    where lp_identifier_id is not null
{%- endmacro %}


{#- Identifier nodes whose type has a per-customer limit. -#}
{% macro lp_typed_sql(work) -%}
    select distinct lp_identifier_id as node_id, identifier_type, max_per_customer
    from {{ work.keyed }}
    where max_per_customer is not null and lp_identifier_id is not null
{%- endmacro %}


{% macro lp_add_tier_sql(work, tier) -%}
    insert into {{ work.adjacency }}
    select record_id, identifier_id from {{ work.edges }} where tier = {{ tier }} and refusal_reason is null
    union all
    select identifier_id, record_id from {{ work.edges }} where tier = {{ tier }} and refusal_reason is null
{%- endmacro %}


{#- Passes until nothing changes; returns how many passes it took. Each pass reads the nodes
    that changed in the previous one (`frontier`) and writes the ones it changes, with their new
    labels, to the other of two tables, which becomes the next frontier. -#}
{% macro lp_propagate(work, node_count) -%}
    {%- set passes = namespace(count=0, done=false, current=work.frontier, next=work.changed) -%}
    {%- for _ in range(10000) if not passes.done -%}
        {%- do open_cdp.lp_replace(passes.next, open_cdp.lp_changed_sql(work, passes.current)) -%}
        {%- set changed = open_cdp.lp_scalar('select count(*) from ' ~ passes.next) -%}
        {%- if changed == 0 -%}
            {%- set passes.done = true -%}
        {%- else -%}
            {%- set passes.count = passes.count + 1 -%}
            {%- do open_cdp.lp_apply_labels(work.labels, passes.next, changed / [node_count, 1] | max) -%}
            {%- set passes.current, passes.next = passes.next, passes.current -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if not passes.done -%}
        {{ exceptions.raise_compiler_error('label propagation did not converge') }}
    {%- endif -%}
    {{ return(passes.count) }}
{%- endmacro %}


{#- Neighbours of the frontier whose smallest neighbouring label beats their own. Two shortcuts
    make labels travel faster than one link per pass, which matters on long chains: the node the
    old label names is handed the new label too (hooking: that node is in the same component), and
    a new label jumps one step further when its own node holds a smaller one after this pass
    (pointer jumping). -#}
{% macro lp_changed_sql(work, frontier) -%}
    with candidates as (
        select a.b as node_id, min(l.label) as label
        from {{ frontier }} as f
        join {{ work.labels }} as l on l.node_id = f.node_id
        join {{ work.adjacency }} as a on a.a = f.node_id
        group by a.b
    ),

    improved as (
        select candidates.node_id, candidates.label, current.label as old_label
        from candidates
        join {{ work.labels }} as current on current.node_id = candidates.node_id
        where candidates.label < current.label
    ),

    proposed as (
        select node_id, min(label) as label
        from (
            select node_id, label from improved
            union all
            select old_label, label from improved
        ) as proposals
        group by node_id
    ),

    changed as (
        select proposed.node_id, proposed.label
        from proposed
        join {{ work.labels }} as current on current.node_id = proposed.node_id
        where proposed.label < current.label
    )

    select
        changed.node_id,
        case when coalesce(hop.label, held.label) < changed.label then coalesce(hop.label, held.label) else changed.label end as label
    from changed
    join {{ work.labels }} as held on held.node_id = changed.label
    left join changed as hop on hop.node_id = changed.label
{%- endmacro %}


{#- Components holding more values of a limited type than allowed. -#}
{% macro lp_violating_sql(work) -%}
    select distinct label
    from (
        select l.label, t.identifier_type, max(t.max_per_customer) as max_per_customer, count(*) as n
        from {{ work.typed }} as t
        join {{ work.labels }} as l on l.node_id = t.node_id
        group by l.label, t.identifier_type
    ) as counted
    where n > max_per_customer
{%- endmacro %}


{#- Identifiers of this tier, inside a violating component, that on their own would join more
    values of a limited type than allowed: every link they make in this tier is refused. -#}
{% macro lp_conflicting_identifiers_sql(work, tier) -%}
    with tier_links as (
        select e.record_id, e.identifier_id
        from {{ work.edges }} as e
        join {{ work.labels }} as l on l.node_id = e.identifier_id
        join {{ work.violating }} as v on v.label = l.label
        where e.tier = {{ tier }} and e.refusal_reason is null
    ),
    reached as (
        select t.identifier_id, p.label from tier_links as t join {{ work.previous }} as p on p.node_id = t.record_id
        union
        select t.identifier_id, p.label from tier_links as t join {{ work.previous }} as p on p.node_id = t.identifier_id
    ),
    counted as (
        select r.identifier_id, ty.identifier_type, max(ty.max_per_customer) as max_per_customer,
            count(distinct ty.node_id) as n
        from reached as r
        join {{ work.previous }} as p on p.label = r.label
        join {{ work.typed }} as ty on ty.node_id = p.node_id
        group by r.identifier_id, ty.identifier_type
    ),
    offenders as (
        select identifier_id, min(
            'identifier would join ' || cast(n as {{ dbt.type_string() }}) || ' ' || identifier_type
            || ' values (limit ' || cast(max_per_customer as {{ dbt.type_string() }}) || ')'
        ) as reason
        from counted where n > max_per_customer
        group by identifier_id
    )
    select t.record_id, t.identifier_id, o.reason
    from tier_links as t join offenders as o on o.identifier_id = t.identifier_id
{%- endmacro %}


{#- Fallback when refusing single identifiers was not enough: undo the whole tier inside the
    component. -#}
{% macro lp_conflicting_tier_sql(work, tier) -%}
    select e.record_id, e.identifier_id,
        'customer would exceed a per-customer identifier limit at priority {{ tier }}' as reason
    from {{ work.edges }} as e
    join {{ work.labels }} as l on l.node_id = e.record_id
    join {{ work.violating }} as v on v.label = l.label
    where e.tier = {{ tier }} and e.refusal_reason is null
{%- endmacro %}


{% macro lp_refuse(work) -%}
    {{ return(adapter.dispatch('lp_refuse', 'open_cdp')(work)) }}
{%- endmacro %}

{% macro default__lp_refuse(work) -%}
    {%- do run_query(
        'update ' ~ work.edges ~ ' set refusal_reason = c.reason from ' ~ work.conflicts ~ ' as c'
        ~ ' where ' ~ work.edges ~ '.record_id = c.record_id and ' ~ work.edges ~ '.identifier_id = c.identifier_id'
    ) -%}
    {%- do run_query(
        'delete from ' ~ work.adjacency ~ ' where exists (select 1 from ' ~ work.conflicts ~ ' as c'
        ~ ' where (c.record_id = ' ~ work.adjacency ~ '.a and c.identifier_id = ' ~ work.adjacency ~ '.b)'
        ~ ' or (c.identifier_id = ' ~ work.adjacency ~ '.a and c.record_id = ' ~ work.adjacency ~ '.b))'
    ) -%}
{%- endmacro %}


{#- Every input column but max_per_customer (a rule, not a fact about the link), then the
    results. -#}
{% macro lp_output_sql(work, input_columns) -%}
    select
        {%- for column in input_columns if column | lower != 'max_per_customer' %}
        i.{{ adapter.quote(column) }},
        {%- endfor %}
        rc.component_key,
        ic.component_key as identifier_component_key,
        case
            when i.identifier_key is null then 'none'
            when e.refusal_reason is null then 'linked'
            else 'refused'
        end as link_status,
        e.refusal_reason
    from {{ work.keyed }} as i
    join {{ work.labels }} as rl on rl.node_id = i.lp_record_id
    join {{ work.components }} as rc on rc.label = rl.label
    left join {{ work.labels }} as il on il.node_id = i.lp_identifier_id
    left join {{ work.components }} as ic on ic.label = il.label
    left join {{ work.edges }} as e on e.record_id = i.lp_record_id and e.identifier_id = i.lp_identifier_id
{%- endmacro %}


{% macro lp_record_run(runs_relation, work, tiers, iterations) -%}
    {%- do run_query(
        'create table if not exists ' ~ runs_relation ~ ' (finished_at timestamp, nodes bigint, links bigint,'
        ~ ' refused_links bigint, tiers integer, iterations integer)'
    ) -%}
    {%- do run_query(
        'insert into ' ~ runs_relation ~ ' select ' ~ dbt.current_timestamp() ~ ', (select count(*) from ' ~ work.nodes ~ '),'
        ~ ' (select count(*) from ' ~ work.edges ~ '), (select count(*) from ' ~ work.edges ~ ' where refusal_reason is not null), '
        ~ tiers ~ ', ' ~ iterations
    ) -%}
{%- endmacro %}
