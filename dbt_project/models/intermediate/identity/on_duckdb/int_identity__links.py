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
Only integer columns (row number, key hashes, tier) cross into Python and back: the 10M links'
text columns stay in DuckDB, under its memory limit, instead of being copied into Arrow twice
(which made this model the chain's memory peak, 6 GB at M). A tier is merged on top of the
previous tier's components (one node per component), so each tier costs its own links, not the
whole graph again.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
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


_ROWS = """
create or replace temp table lp_rows as
select row_number() over () - 1 as lp_row, * from lp_candidates
"""

_KEYS = """
select lp_row,
    hash(record_key) as record_h,
    hash('~' || record_key) as record_check,
    hash(identifier_key) as identifier_h,
    hash('~' || identifier_key) as identifier_check,
    identifier_key is not null as has_identifier,
    tier
from lp_rows
"""

_LIMITED = """
select lp_row, identifier_type, max_per_customer
from lp_rows
where max_per_customer is not null
"""

_JOINED = """
create or replace temp table lp_joined as
select r.*, x.lp_component, x.lp_identifier_component, x.lp_refusal
from lp_rows as r
join lp_result as x on x.lp_row = r.lp_row
"""

_COMPONENT_KEYS = """
create or replace temp table lp_component_keys as
select component, min(node_key) as component_key
from (
    select lp_component as component,
        case
            when lp_identifier_component is null
                then least(record_key, coalesce(identifier_key, record_key))
            else record_key
        end as node_key
    from lp_joined
    union all
    select lp_identifier_component, identifier_key
    from lp_joined
    where lp_identifier_component is not null
) as nodes
group by component
"""

_OUTPUT = """
select
    r.* exclude (lp_row, max_per_customer, lp_component, lp_identifier_component, lp_refusal),
    k.component_key,
    case
        when r.identifier_key is null then null
        when r.lp_identifier_component is null then k.component_key
        else ik.component_key
    end as identifier_component_key,
    case
        when r.identifier_key is null then 'none'
        when r.lp_refusal is null then 'linked'
        else 'refused'
    end as link_status,
    cast(r.lp_refusal as varchar) as refusal_reason
from lp_joined as r
join lp_component_keys as k on k.component = r.lp_component
left join lp_component_keys as ik on ik.component = r.lp_identifier_component
"""


class Nodes(NamedTuple):
    """A dense integer id per distinct key: of each row's record and identifier (-1: none)."""

    count: int
    record: np.ndarray
    identifier: np.ndarray


def _in_row_order(keys: pa.Table) -> dict[str, np.ndarray]:
    """The key columns (never null) as arrays indexed by `lp_row`: DuckDB returns rows in any
    order."""
    position = keys["lp_row"].to_numpy()
    arrays = {}
    for name in keys.column_names:
        if name == "lp_row":
            continue
        values = keys[name].to_numpy(zero_copy_only=False)
        arrays[name] = np.empty(len(values), dtype=values.dtype)
        arrays[name][position] = values
    return arrays


def _nodes(keys: dict[str, np.ndarray], has_identifier: np.ndarray) -> Nodes:
    """Ids from the 64-bit hash of each key; a second hash of every key must agree within an
    id, else two keys share a hash and would wrongly join two customers."""
    ids, distinct = pd.factorize(
        np.concatenate([keys["record_h"], keys["identifier_h"][has_identifier]])
    )
    checks = np.concatenate([keys["record_check"], keys["identifier_check"][has_identifier]])
    seen = np.zeros(len(distinct), dtype=checks.dtype)
    seen[ids] = checks
    if (seen[ids] != checks).any():
        raise ValueError("two identity keys share a 64-bit hash; nothing was linked")
    rows = len(keys["record_h"])
    identifier = np.full(rows, -1, dtype=np.int64)
    identifier[has_identifier] = ids[rows:]
    return Nodes(len(distinct), ids[:rows], identifier)


def _limits(limited: pa.Table, identifier: np.ndarray) -> list[Limit]:
    """The limited rows (`_LIMITED`), by type: the most allowed and the type's nodes."""
    types = pc.dictionary_encode(limited["identifier_type"]).combine_chunks()
    codes = types.indices.to_numpy()
    most = limited["max_per_customer"].to_numpy()
    nodes = identifier[limited["lp_row"].to_numpy()]
    return [
        Limit(name, int(most[codes == code].max()), np.unique(nodes[codes == code]))
        for code, name in sorted(enumerate(types.dictionary.to_pylist()), key=lambda pair: pair[1])
    ]


def _nullable(values: np.ndarray, valid: np.ndarray) -> pa.Array:
    return pa.array(values, mask=~valid)


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


def model(dbt: Any, session: Any) -> Any:
    """A DuckDB relation over temporary tables on `session`, which dbt-duckdb writes as the
    table on that same connection. Only integer columns (row number, key hashes, tier) travel to
    Python and back; the text columns stay in DuckDB, within its memory limit."""
    session.register("lp_candidates", dbt.ref("int_identity__link_candidates"))
    session.execute(_ROWS)
    keys = _in_row_order(session.sql(_KEYS).to_arrow_table())
    has_identifier = keys["has_identifier"]
    nodes = _nodes(keys, has_identifier)
    link_rows = np.flatnonzero(has_identifier)
    result = resolve(
        nodes.count,
        nodes.record[link_rows],
        nodes.identifier[link_rows],
        keys["tier"][link_rows],
        _limits(session.sql(_LIMITED).to_arrow_table(), nodes.identifier),
    )
    row_count = len(nodes.record)
    tiers = len(np.unique(keys["tier"][link_rows]))
    del keys

    refused_rows = link_rows[np.fromiter(result.reasons, dtype=np.int64, count=len(result.reasons))]
    is_refused = np.zeros(row_count, dtype=bool)
    is_refused[refused_rows] = True
    reasons = {reason: index for index, reason in enumerate(sorted(set(result.reasons.values())))}
    reason_index = np.zeros(row_count, dtype=np.int32)
    reason_index[refused_rows] = [reasons[reason] for reason in result.reasons.values()]
    identifier_component = result.component[np.maximum(nodes.identifier, 0)]
    session.register(
        "lp_result",
        pa.table(
            {
                "lp_row": pa.array(np.arange(row_count, dtype=np.int64)),
                "lp_component": pa.array(result.component[nodes.record]),
                "lp_identifier_component": _nullable(identifier_component, is_refused),
                "lp_refusal": pa.DictionaryArray.from_arrays(
                    _nullable(reason_index, is_refused), pa.array(list(reasons), type=pa.string())
                ),
            }
        ),
    )
    session.execute(_JOINED)
    session.execute(_COMPONENT_KEYS)
    counts = [nodes.count, len(link_rows), len(refused_rows), tiers]
    _record_run(session, f"{dbt.this.schema}.{dbt.this.identifier}__runs", counts, result.passes)
    return session.sql(_OUTPUT)
