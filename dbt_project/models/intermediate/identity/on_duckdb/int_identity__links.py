"""Customers as connected components of the record <-> identifier graph, on DuckDB.

The same rules and the same output as the `label_propagation` materialization
(macros/identity/label_propagation.sql, which builds this model on Spark and the other
warehouses): links are added tier by tier in priority order; after a tier, a customer holding
more values of a type than its `max_per_customer` is undone to the previous tier, first by
refusing the identifiers that on their own join too many such values, then, if a limit is still
broken, every link of that tier inside the customer. `component_key` is the smallest node key of
the component. tests/dbt_project/test_identity_implementations.py builds both on the same graphs
and requires identical rows.

Why Python on DuckDB: SQL label propagation needs a query per pass (24-28 at M) and rewrites
the label table each time (60 s and 10 GB at M), while union-find over integer ids
(scipy's connected components) settles a whole tier at once. DuckDB still does what it is good
at: hashing the text keys, the smallest key per component, the joins and writing the table.
Only integers cross into Python (key hashes, tier, limited type) and back (each record's
component and the few refused links, keyed by the same hashes): the 10M links' text stays in
DuckDB, under its memory limit (copied into Arrow it made this model the chain's memory peak,
6 GB at M). Nor is it copied inside DuckDB: the candidates view is read three times (hashes,
smallest key per component, the output dbt writes), which at M cost less than numbering its
rows into a temporary table and joining the result back, twice; only the records with nothing
linkable, found once, are kept in a temporary table (see `_CANDIDATES`). A tier is merged on top
of the previous tier's components (one node per component), so each tier costs its own links,
not the whole graph again.

The table is stored with its text uncompressed: DuckDB's dictionary and FSST compression
(DICT_FSST) of the 10M links' text was most of the final write. See `_STORE_TEXT_PLAIN`.

Incremental (the SQL twin always rebuilds): an increment changes about 1% of the records, and
recomputing and rewriting all 10M links for it took 22 s at M. `resolve` only ever looks inside
one connected component of the whole candidate graph (links made or refused), so recomputing
exactly the components that hold a changed candidate row, and keeping every other row, gives
the rows a full rebuild gives (at M the increment recomputed 0.16M of the 10.2M links: 6.1 s
against 21.2-21.8 s for the full computation, measured in the same minutes). Each row keeps
the hash of its candidate row (`candidate_hash`), which is how a run finds the change without
comparing text; see `_forget_affected`. The deletion of the affected rows and dbt's append of
their new rows are one transaction (see `model`), so a failed run leaves the previous table.
Each row also keeps when it was resolved (`resolved_at`, see `_RUN`): only the recomputed
components' rows get a new one, above every stored one, which is how
int_identity__record_customers reads only those. The first build and `--full-refresh` compute
everything (and stamp it above the stored rows too).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


class Limit(NamedTuple):
    """At most `most` nodes of `identifier_type` (the limited nodes, by id) in one customer."""

    identifier_type: str
    most: int
    nodes: np.ndarray


class Resolution(NamedTuple):
    """Each node's component (an integer, equal within a component), the refused links (by
    position) with their reasons, and how many times components were computed."""

    component: np.ndarray
    reasons: dict[int, str]
    passes: int


def merge(previous: np.ndarray, records: np.ndarray, identifiers: np.ndarray) -> np.ndarray:
    """Components after adding links to `previous` (a component per node): the graph whose
    nodes are the previous components, so a tier only costs its own links."""
    size = len(previous)
    graph = coo_matrix(
        (np.ones(len(records), dtype=np.int8), (previous[records], previous[identifiers])),
        shape=(size, size),
    ).tocsr()
    _, merged = connected_components(graph, directed=False)
    return merged[previous]


def _limit_counts(component: np.ndarray, limit: Limit) -> np.ndarray:
    return np.bincount(component[limit.nodes], minlength=len(component))


def _violating(component: np.ndarray, limits: list[Limit]) -> np.ndarray:
    """Per component id: does it hold more values of a limited type than allowed?"""
    broken = np.zeros(len(component), dtype=bool)
    for limit in limits:
        broken |= _limit_counts(component, limit) > limit.most
    return broken


def _offending_identifiers(
    links: np.ndarray,
    records: np.ndarray,
    identifiers: np.ndarray,
    previous: np.ndarray,
    limits: list[Limit],
) -> dict[int, str]:
    """Identifiers among `links` (this tier's, inside a violating customer) that on their own
    would join more values of a limited type than allowed, with the reason: the customers before
    this tier that the identifier and its records were in, counted together."""
    linked = identifiers[links]
    pairs = np.unique(
        np.stack(
            [np.concatenate([linked, linked]), previous[np.concatenate([records[links], linked])]]
        ),
        axis=1,
    )
    candidates = np.unique(linked)
    reasons: dict[int, str] = {}
    for limit in limits:
        joined = np.zeros(len(previous), dtype=np.int64)
        np.add.at(joined, pairs[0], _limit_counts(previous, limit)[pairs[1]])
        for node in candidates[joined[candidates] > limit.most].tolist():
            reason = (
                f"identifier would join {joined[node]} {limit.identifier_type} values "
                f"(limit {limit.most})"
            )
            reasons[node] = min(reasons.get(node, reason), reason)
    return reasons


def resolve(
    node_count: int,
    records: np.ndarray,
    identifiers: np.ndarray,
    tiers: np.ndarray,
    limits: list[Limit],
) -> Resolution:
    """Components of `node_count` nodes linked by (records[k], identifiers[k]) at tiers[k]."""
    component = np.arange(node_count, dtype=np.int64)
    refused = np.zeros(len(records), dtype=bool)
    reasons: dict[int, str] = {}
    passes = 0

    def tier_components(previous: np.ndarray, in_tier: np.ndarray) -> np.ndarray:
        nonlocal passes
        passes += 1
        accepted = in_tier[~refused[in_tier]]
        return merge(previous, records[accepted], identifiers[accepted])

    for tier in np.unique(tiers).tolist():
        in_tier = np.flatnonzero(tiers == tier)
        previous = component
        component = tier_components(previous, in_tier)
        broken = _violating(component, limits)
        if broken.any():
            open_links = in_tier[~refused[in_tier]]
            inside = open_links[broken[component[identifiers[open_links]]]]
            offenders = _offending_identifiers(inside, records, identifiers, previous, limits)
            undone = inside[np.isin(identifiers[inside], list(offenders))]
            refused[undone] = True
            reasons.update(
                (link, offenders[node])
                for link, node in zip(undone.tolist(), identifiers[undone].tolist(), strict=True)
            )
            component = tier_components(previous, in_tier)
            broken = _violating(component, limits)
        if broken.any():
            open_links = in_tier[~refused[in_tier]]
            undone = open_links[broken[component[records[open_links]]]]
            refused[undone] = True
            reason = f"customer would exceed a per-customer identifier limit at priority {tier}"
            reasons.update((link, reason) for link in undone.tolist())
            component = tier_components(previous, in_tier)
    return Resolution(component, reasons, passes)


_STORE_TEXT_PLAIN = "set disabled_compression_methods = 'dict_fsst'"
"""Measured at M: one key column of the 10M links was written in 8 s with DICT_FSST and in 2-2.5 s
without; the table takes 2.3 GB on disk instead of 0.7 GB, and its readers (a distinct over record
and component, the linked identifiers) are no slower. DuckDB has this setting only for the whole
database, so the model sets it just before dbt writes the table, and its post-hook resets it for
the models after it (a model built at the same time, with CDP_DBT_THREADS above 1, would also
store its text plain)."""

_UNLINKED = """
create or replace temp table lp_unlinked as
select * from lp_candidates where identifier_type is null
"""
"""The view's rows of records with nothing linkable. They are told apart by the type, not the
key: a linkable row's type comes out of an inner join on it, so DuckDB's statistics prove the
linkable branch empty and skip it, while on `identifier_key is null` (a concatenation) it read
all 10M identifiers for no row (at M, on a loaded machine: 2.7 s of CPU against 3.5 s). The view
gives a type exactly to the rows that have a key (int_identity__link_candidates.sql)."""

_CANDIDATES = """(
    select * from lp_candidates where identifier_type is not null
    union all
    select * from lp_unlinked
)"""
"""The candidates without the view's anti-join (all records against all links, for the records
with nothing linkable: two thirds of a read of the view at M). On this filter DuckDB skips that
branch of the view, and lp_unlinked holds its rows, found once. Not for the output: over this
union DuckDB estimates so few rows that it builds its joins' hash tables on the 10M rows of
text instead of on the records' components, which ran out of memory at M."""

_CURRENT = f"""
create or replace temp table lp_current as
select
    hash(c) as candidate_hash,
    hash(c.record_key) as record_h,
    case when c.identifier_key is not null then hash(c.identifier_key) end as identifier_h
from {_CANDIDATES} as c
"""
"""The hash of every candidate row (`hash(c)`: all its columns, as `_OUTPUT` stores it) and of
its keys (no identifier: null, not the hash of null): integers only, so the comparison with the
table never holds the links' text. A new candidate row whose 64-bit hash equals a stored row's
would go unseen: about one chance in 10^7 per run at M (10^5 new rows against 10^7 stored);
`--full-refresh` recomputes everything."""

_CHANGED = """
create or replace temp table lp_changed as
select
    coalesce(candidate.record_h, hash(stored.record_key)) as record_h,
    case
        when candidate.candidate_hash is not null then candidate.identifier_h
        when stored.identifier_key is not null then hash(stored.identifier_key)
    end as identifier_h,
    stored.component_key,
    stored.identifier_component_key
from lp_current as candidate
full join {this} as stored on stored.candidate_hash = candidate.candidate_hash
where candidate.candidate_hash is null or stored.candidate_hash is null
"""
"""The keys of the candidate rows the table lacks and of the stored rows the candidates lack (a
changed row is both), with the stored rows' components for `_SEEDS`. One full join rather than
two anti joins, each of which built a hash table of 10M hashes (alone at M: 2.1 s against 3.9 s;
inside the model about the same CPU time). The stored keys are hashed after the join, so only
those of the few stored rows the candidates lack (hashing all 20M keys first cost a second at
M)."""

_SEEDS = """
select distinct component
from (
    select unnest([component_key, identifier_component_key]) as component
    from {this}
    where candidate_hash in (
        select candidate_hash
        from lp_current
        where record_h in (select record_h from lp_changed)
            or identifier_h in (select identifier_h from lp_changed where identifier_h is not null)
    )
    union all
    select unnest([component_key, identifier_component_key]) from lp_changed
)
where component is not null
"""
"""The stored components of the changed rows' records and identifiers. A stored row of such a
record or identifier is either changed itself (its components came out of `_CHANGED`) or equal
to a candidate row, found by its hash among the candidates of those keys: no text of the 10M
stored keys is hashed to find them (at M, loaded: 0.5 s of CPU against 1.4 s)."""

_REFUSED_BETWEEN = """
select component_key, identifier_component_key from {this} where link_status = 'refused'
"""

_AFFECTED_RECORDS = """
create or replace temp table lp_affected as
select hash(record_key) as record_h
from {this}
where component_key in (select component from lp_components)
union
select record_h from lp_changed
"""
"""The records of the affected components and of the changed rows (new records too), by the
hash of their key: two keys sharing one only add a record to recompute, as the deletion and the
candidates to recompute are chosen by the same hashes."""

_FORGET_AFFECTED = "delete from {this} where hash(record_key) in (select record_h from lp_affected)"

_AFFECTED_CANDIDATES = f"""
create or replace temp table lp_affected_candidates as
select * from {_CANDIDATES} as c where hash(c.record_key) in (select record_h from lp_affected)
"""

_LIMITED_TYPES = """
select identifier_type, max(max_per_customer) as most
from lp_candidates
where max_per_customer is not null
group by identifier_type
order by identifier_type
"""

_EDGES = f"""
select
    hash(record_key) as record_h,
    hash('~' || record_key) as record_check,
    hash(identifier_key) as identifier_h,
    hash('~' || identifier_key) as identifier_check,
    identifier_key is not null as has_identifier,
    tier,
    coalesce(list_position(?, identifier_type), 0) as limited_type
from {_CANDIDATES}
"""

_COMPONENT_KEYS = f"""
create or replace temp table lp_component_keys as
select
    records.component,
    min(
        case
            when refused.record_h is null
                then least(c.record_key, coalesce(c.identifier_key, c.record_key))
            else c.record_key
        end
    ) as component_key
from {_CANDIDATES} as c
join lp_records as records on records.record_h = hash(c.record_key)
left join lp_refused as refused
    on refused.record_h = records.record_h and refused.identifier_h = hash(c.identifier_key)
group by records.component
"""

_OUTPUT = """
select
    c.* exclude (max_per_customer),
    k.component_key,
    case
        when c.identifier_key is null then null
        when refused.record_h is null then k.component_key
        else coalesce(ik.component_key, c.identifier_key)
    end as identifier_component_key,
    case
        when c.identifier_key is null then 'none'
        when refused.record_h is null then 'linked'
        else 'refused'
    end as link_status,
    refused.reason as refusal_reason,
    hash(c) as candidate_hash,
    (select resolved_at from lp_run) as resolved_at
from lp_candidates as c
join lp_records as records on records.record_h = hash(c.record_key)
join lp_component_keys as k on k.component = records.component
left join lp_refused as refused
    on refused.record_h = records.record_h and refused.identifier_h = hash(c.identifier_key)
left join lp_component_keys as ik on ik.component = refused.identifier_component
"""


class Nodes(NamedTuple):
    """A dense integer id per distinct key, of each row's record and identifier (-1: none); the
    records take the ids below `records`, and `hashes[id]` is the key's 64-bit hash."""

    hashes: np.ndarray
    records: int
    record: np.ndarray
    identifier: np.ndarray


def _nodes(edges: dict[str, np.ndarray]) -> Nodes:
    """Ids from the 64-bit hash of each key; a second hash of every key must agree within an
    id, else two keys share a hash and would wrongly join two customers. The hashes are also
    how DuckDB finds each row's component again, so no text key crosses into Python."""
    has_identifier = edges["has_identifier"]
    ids, hashes = pd.factorize(
        np.concatenate([edges["record_h"], edges["identifier_h"][has_identifier]])
    )
    checks = np.concatenate([edges["record_check"], edges["identifier_check"][has_identifier]])
    seen = np.zeros(len(hashes), dtype=checks.dtype)
    seen[ids] = checks
    if (seen[ids] != checks).any():
        raise ValueError("two identity keys share a 64-bit hash; nothing was linked")
    rows = len(has_identifier)
    identifier = np.full(rows, -1, dtype=ids.dtype)
    identifier[has_identifier] = ids[rows:]
    record = ids[:rows]
    return Nodes(hashes, int(record.max(initial=-1)) + 1, record, identifier)


def _limits(
    types: list[tuple[str, int]], limited_type: np.ndarray, identifier: np.ndarray, node_count: int
) -> list[Limit]:
    """Per limited type (position in `types`, from 1, in `limited_type`): its most and its nodes,
    marked in an array of all nodes rather than sorted out of millions of links."""
    limits = []
    for position, (name, most) in enumerate(types, start=1):
        limited = np.zeros(node_count, dtype=bool)
        limited[identifier[limited_type == position]] = True
        limits.append(Limit(name, most, np.flatnonzero(limited)))
    return limits


_RUN = "create or replace temp table lp_run as select {resolved_at} as resolved_at"
"""When this build resolved the rows it writes (UTC): later than every stored row's, so
int_identity__record_customers finds the records whose component was recomputed since it last
read the table (`resolved_at` above the newest one it consumed) without reading all 10M links.
Every build takes the clock or, should the clock have gone back, just after the newest stored
row (macros/incremental/consumed_marks.sql, `stamp_after_stored`). Full builds too: an erasure
rebuilds this model with `--full-refresh` while int_identity__record_customers keeps its mark,
and a build stamped below that mark would go unread until the clock passed it."""

_NOW = "cast(get_current_timestamp() at time zone 'UTC' as timestamp)"

_AFTER_STORED = (
    "greatest(" + _NOW + ", (select max(resolved_at) from {this}) + interval 1 microsecond)"
)

_STORES_STAMPS = """
select count(*) > 0
from duckdb_columns()
where database_name = ? and schema_name = ? and table_name = ? and column_name = 'resolved_at'
"""
"""Whether the model's table exists with its stamps. dbt-duckdb builds a full refresh into a
new table and swaps it in afterwards, so the old table is still there to read; a table built
before the model stamped its rows, or none (the first build), holds no stamp to stay above."""


def _stamp(session: Any, dbt: Any) -> str:
    """The expression of `resolved_at` for this build (see `_RUN`)."""
    stored = [dbt.this.database, dbt.this.schema, dbt.this.identifier]
    if dbt.is_incremental or session.execute(_STORES_STAMPS, stored).fetchone()[0]:
        return _AFTER_STORED.format(this=dbt.this)
    return _NOW


def _record_run(session: Any, runs: str, counts: list[int], passes: int) -> None:
    """One row per build, as the materialization writes it (nodes, links, refused links, tiers):
    `iterations` is the number of times components were computed, which the benchmark reads."""
    session.execute(
        f"create table if not exists {runs} (finished_at timestamp, nodes bigint, links bigint,"
        " refused_links bigint, tiers integer, iterations integer)"
    )
    session.execute(
        f"insert into {runs} select current_timestamp, ?, ?, ?, ?, ?", [*counts, passes]
    )


def affected_components(seeds: np.ndarray, refused: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """The `seeds` and every stored component a chain of refused links joins to one, both ways
    (a refused link joins its record's component to its identifier's): a component of the whole
    candidate graph is the stored components its refused links join."""
    keys, ids = np.unique(np.concatenate([seeds, *refused]), return_inverse=True)
    seed_ids, record_side, identifier_side = np.split(
        ids, [len(seeds), len(seeds) + len(refused[0])]
    )
    graph = coo_matrix(
        (np.ones(len(record_side), dtype=np.int8), (record_side, identifier_side)),
        shape=(len(keys), len(keys)),
    )
    _, label = connected_components(graph, directed=False)
    return keys[np.isin(label, label[seed_ids])]


def _forget_affected(session: Any, this: str) -> None:
    """Deletes the stored rows of every component the change touches and leaves their records'
    candidates in `lp_affected_candidates`, to be resolved and appended as on a full build."""
    session.execute(_CURRENT)
    session.execute(_CHANGED.format(this=this))
    seeds = session.sql(_SEEDS.format(this=this)).fetchnumpy()["component"]
    refused = session.sql(_REFUSED_BETWEEN.format(this=this)).fetchnumpy()
    components = affected_components(
        np.asarray(seeds, dtype=object),
        (
            np.asarray(refused["component_key"], dtype=object),
            np.asarray(refused["identifier_component_key"], dtype=object),
        ),
    )
    session.register("lp_components", pa.table({"component": pa.array(components, pa.string())}))
    session.execute(_AFFECTED_RECORDS.format(this=this))
    session.execute(_FORGET_AFFECTED.format(this=this))
    session.execute(_AFFECTED_CANDIDATES)


def model(dbt: Any, session: Any) -> Any:
    """A DuckDB relation over the candidates view and small temporary tables on `session`, which
    dbt-duckdb writes as the table on that same connection, so the 10M links' text is read
    three times (hashes, the smallest key of each component, the output) and written once.
    Python receives integers only (key hashes, tier, limited type) and returns each record's
    component and the refused links, keyed by the same hashes. A refused identifier none of whose
    links was made is a component of its own, named by its own key (no record's row names it).

    dbt-duckdb runs a Python model in no transaction, so an incremental run's deletion would be
    committed before dbt appends the new rows: on an incremental run the pre-hook opens the
    transaction they share (a full build keeps running as before, without one). The hook is in
    _identity__models.yml: a Python model's own config takes no Jinja.

    Under --empty the candidates view was just rebuilt empty, so every stored link would seem to
    have left: an incremental run then deletes, appends and records nothing
    (macros/incremental/empty_refs.sql)."""
    dbt.config(
        materialized="incremental",
        incremental_strategy="append",
        on_schema_change="fail",
        post_hook="reset disabled_compression_methods",
    )
    this = str(dbt.this)
    if dbt.is_incremental and dbt.empty_refs:
        return session.sql(f"select * from {this} limit 0")
    session.execute(_RUN.format(resolved_at=_stamp(session, dbt)))
    session.register("lp_candidates", dbt.ref("int_identity__link_candidates"))
    session.execute(_UNLINKED)
    if dbt.is_incremental:
        _forget_affected(session, this)
        session.register("lp_candidates", session.table("lp_affected_candidates"))
        session.execute(_UNLINKED)
    types = [(name, int(most)) for name, most in session.sql(_LIMITED_TYPES).fetchall()]
    edges = session.execute(_EDGES, [[name for name, _ in types]]).fetchnumpy()
    edges = {name: np.asarray(values) for name, values in edges.items()}
    nodes = _nodes(edges)
    link_rows = np.flatnonzero(edges["has_identifier"])
    tiers = edges["tier"][link_rows]
    result = resolve(
        len(nodes.hashes),
        nodes.record[link_rows],
        nodes.identifier[link_rows],
        tiers,
        _limits(
            types, edges["limited_type"][link_rows], nodes.identifier[link_rows], len(nodes.hashes)
        ),
    )
    del edges

    refused = link_rows[np.fromiter(result.reasons, dtype=np.int64, count=len(result.reasons))]
    session.register(
        "lp_records",
        pa.table(
            {
                "record_h": nodes.hashes[: nodes.records],
                "component": result.component[: nodes.records],
            }
        ),
    )
    session.register(
        "lp_refused",
        pa.table(
            {
                "record_h": nodes.hashes[nodes.record[refused]],
                "identifier_h": nodes.hashes[nodes.identifier[refused]],
                "identifier_component": pa.array(
                    result.component[nodes.identifier[refused]], type=pa.int64()
                ),
                "reason": pa.array(list(result.reasons.values()), type=pa.string()),
            }
        ),
    )
    session.execute(_COMPONENT_KEYS)
    counts = [len(nodes.hashes), len(link_rows), len(refused), len(np.unique(tiers))]
    _record_run(session, f"{dbt.this.schema}.{dbt.this.identifier}__runs", counts, result.passes)
    session.execute(_STORE_TEXT_PLAIN)
    return session.sql(_OUTPUT)
