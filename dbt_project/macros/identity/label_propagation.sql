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
  identifier_type, tier, max_per_customer. Output: the input rows plus component_key (the smallest
  node key of the record's component), identifier_component_key, link_status and refusal_reason.
-#}

{% materialization label_propagation, default %}
    {%- set target_relation = this.incorporate(type='table') -%}
    {%- set existing_relation = load_cached_relation(this) -%}
    {%- set work = {} -%}
    {%- for name in ['input', 'nodes', 'edges', 'typed', 'labels', 'previous', 'adjacency', 'frontier', 'changed', 'violating', 'conflicts'] -%}
        {%- do work.update({name: this.incorporate(path={'identifier': this.identifier ~ '__lp_' ~ name}, type='table')}) -%}
    {%- endfor -%}
    {%- set runs_relation = this.incorporate(path={'identifier': this.identifier ~ '__runs'}, type='table') -%}

    {{ run_hooks(pre_hooks) }}

    {%- do open_cdp.lp_replace(work.input, sql) -%}
    {%- do open_cdp.lp_replace(work.nodes, open_cdp.lp_nodes_sql(work)) -%}
    {%- do open_cdp.lp_replace(work.edges, open_cdp.lp_edges_sql(work)) -%}
    {%- do open_cdp.lp_replace(work.typed, open_cdp.lp_typed_sql(work)) -%}
    {%- do open_cdp.lp_replace(work.labels, 'select node_id, node_id as label from ' ~ work.nodes) -%}
    {%- do open_cdp.lp_replace(work.adjacency, 'select node_id as a, node_id as b from ' ~ work.nodes ~ ' where 1 = 0') -%}

    {%- set tiers = run_query('select distinct tier from ' ~ work.edges ~ ' order by tier').columns[0].values() -%}
    {%- set has_limits = open_cdp.lp_scalar('select count(*) from ' ~ work.typed) > 0 -%}
    {%- set state = {'iterations': 0} -%}

    {%- for tier in tiers -%}
        {%- if has_limits -%}
            {%- do open_cdp.lp_replace(work.previous, 'select node_id, label from ' ~ work.labels) -%}
        {%- endif -%}
        {%- do run_query(open_cdp.lp_add_tier_sql(work, tier)) -%}
        {%- do open_cdp.lp_replace(work.frontier, 'select distinct record_id as node_id from ' ~ work.edges ~ ' where tier = ' ~ tier ~ ' union select distinct identifier_id from ' ~ work.edges ~ ' where tier = ' ~ tier) -%}
        {%- do state.update({'iterations': state.iterations + open_cdp.lp_propagate(work)}) -%}

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
                    {%- do state.update({'iterations': state.iterations + open_cdp.lp_propagate(work)}) -%}
                {%- endif -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endfor -%}

    {%- if existing_relation is not none -%}
        {%- do adapter.drop_relation(existing_relation) -%}
    {%- endif -%}
    {% call statement('main') -%}
        {{ get_create_table_as_sql(False, target_relation, open_cdp.lp_output_sql(work)) }}
    {%- endcall %}

    {%- do open_cdp.lp_record_run(runs_relation, work, tiers | length, state.iterations) -%}
    {%- for name, relation in work.items() -%}
        {%- do adapter.drop_relation(relation) -%}
    {%- endfor -%}
    {{ log('label propagation: ' ~ state.iterations ~ ' passes over ' ~ (tiers | length) ~ ' tiers', info=True) }}

    {{ run_hooks(post_hooks) }}
    {%- do adapter.commit() -%}
    {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}


{% macro lp_scalar(query) -%}
    {{ return(run_query(query).columns[0].values()[0]) }}
{%- endmacro %}


{% macro lp_replace(relation, query) -%}
    {{ return(adapter.dispatch('lp_replace', 'open_cdp')(relation, query)) }}
{%- endmacro %}

{% macro duckdb__lp_replace(relation, query) -%}
    {%- do run_query('create or replace table ' ~ relation ~ ' as ' ~ query) -%}
{%- endmacro %}

{% macro default__lp_replace(relation, query) -%}
    {%- do run_query('drop table if exists ' ~ relation) -%}
    {%- do run_query('create table ' ~ relation ~ ' as ' ~ query) -%}
{%- endmacro %}


{#- Set label := new label for the given (node_id, label) rows. -#}
{% macro lp_apply_labels(labels, changes) -%}
    {{ return(adapter.dispatch('lp_apply_labels', 'open_cdp')(labels, changes)) }}
{%- endmacro %}

{% macro duckdb__lp_apply_labels(labels, changes) -%}
    {%- do run_query('update ' ~ labels ~ ' set label = c.label from ' ~ changes ~ ' as c where ' ~ labels ~ '.node_id = c.node_id') -%}
{%- endmacro %}

{% macro default__lp_apply_labels(labels, changes) -%}
    {%- do run_query('merge into ' ~ labels ~ ' as t using ' ~ changes ~ ' as c on t.node_id = c.node_id when matched then update set label = c.label') -%}
{%- endmacro %}


{% macro lp_nodes_sql(work) -%}
    select node_key, row_number() over (order by node_key) as node_id
    from (
        select record_key as node_key from {{ work.input }}
        union
        select identifier_key from {{ work.input }} where identifier_key is not null
    ) as keys
{%- endmacro %}


{% macro lp_edges_sql(work) -%}
    select distinct
        r.node_id as record_id,
        i.node_id as identifier_id,
        e.tier,
        cast(null as {{ dbt.type_string() }}) as refusal_reason
    from {{ work.input }} as e
    join {{ work.nodes }} as r on r.node_key = e.record_key
    join {{ work.nodes }} as i on i.node_key = e.identifier_key
{%- endmacro %}


{#- Identifier nodes whose type has a per-customer limit. -#}
{% macro lp_typed_sql(work) -%}
    select distinct n.node_id, e.identifier_type, e.max_per_customer
    from {{ work.input }} as e
    join {{ work.nodes }} as n on n.node_key = e.identifier_key
    where e.max_per_customer is not null
{%- endmacro %}


{% macro lp_add_tier_sql(work, tier) -%}
    insert into {{ work.adjacency }}
    select record_id, identifier_id from {{ work.edges }} where tier = {{ tier }} and refusal_reason is null
    union all
    select identifier_id, record_id from {{ work.edges }} where tier = {{ tier }} and refusal_reason is null
{%- endmacro %}


{#- Passes until nothing changes; returns how many passes it took. Each pass reads the nodes
    that changed in the previous one (`frontier`) and writes the ones it changes to the other of
    two tables, which becomes the next frontier. -#}
{% macro lp_propagate(work) -%}
    {%- set passes = namespace(count=0, done=false, current=work.frontier, next=work.changed) -%}
    {%- for _ in range(10000) if not passes.done -%}
        {%- do open_cdp.lp_replace(passes.next, open_cdp.lp_changed_sql(work, passes.current)) -%}
        {%- if open_cdp.lp_scalar('select count(*) from ' ~ passes.next) == 0 -%}
            {%- set passes.done = true -%}
        {%- else -%}
            {%- set passes.count = passes.count + 1 -%}
            {%- do open_cdp.lp_apply_labels(work.labels, passes.next) -%}
            {%- do open_cdp.lp_apply_labels(work.labels, '(select c.node_id, p.label from ' ~ passes.next ~ ' c join ' ~ work.labels ~ ' p on p.node_id = c.label where p.label < c.label)') -%}
            {%- set passes.current, passes.next = passes.next, passes.current -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if not passes.done -%}
        {{ exceptions.raise_compiler_error('label propagation did not converge') }}
    {%- endif -%}
    {{ return(passes.count) }}
{%- endmacro %}


{#- Neighbours of the frontier whose smallest neighbouring label beats their own. -#}
{% macro lp_changed_sql(work, frontier) -%}
    select candidates.node_id, candidates.label
    from (
        select a.b as node_id, min(l.label) as label
        from {{ frontier }} as f
        join {{ work.labels }} as l on l.node_id = f.node_id
        join {{ work.adjacency }} as a on a.a = f.node_id
        group by a.b
    ) as candidates
    join {{ work.labels }} as current on current.node_id = candidates.node_id
    where candidates.label < current.label
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


{% macro lp_output_sql(work) -%}
    select
        i.record_key,
        i.identifier_key,
        i.identifier_type,
        i.tier,
        rn.node_key as component_key,
        inode.node_key as identifier_component_key,
        case
            when i.identifier_key is null then 'none'
            when e.refusal_reason is null then 'linked'
            else 'refused'
        end as link_status,
        e.refusal_reason
    from {{ work.input }} as i
    join {{ work.nodes }} as r on r.node_key = i.record_key
    join {{ work.labels }} as rl on rl.node_id = r.node_id
    join {{ work.nodes }} as rn on rn.node_id = rl.label
    left join {{ work.nodes }} as idn on idn.node_key = i.identifier_key
    left join {{ work.labels }} as il on il.node_id = idn.node_id
    left join {{ work.nodes }} as inode on inode.node_id = il.label
    left join {{ work.edges }} as e on e.record_id = r.node_id and e.identifier_id = idn.node_id
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
