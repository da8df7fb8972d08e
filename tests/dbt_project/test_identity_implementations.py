"""The two implementations of int_identity__links give the same rows on the same links.

On DuckDB the model is a Python model (union-find); on Spark it is the `label_propagation`
materialization. A scratch dbt project builds both, on DuckDB, from one input model: hand-made
graphs (a long chain whose smallest key sits in the middle, limits broken at several tiers, an
identifier refused for two types at once, a customer only undone as a whole tier) plus a random
graph with many refusals of both kinds. Every output row must be identical (the DuckDB model's
`candidate_hash` and `resolved_at`, its own bookkeeping, aside).

The DuckDB model is incremental: after a change of its input it recomputes only the components
the change touches. Built on a graph, then incrementally on a changed one, it must equal a full
rebuild on the changed graph row for row (all but `resolved_at`, which only the recomputed
components' rows renew); a run without change must recompute nothing; a run that fails after the
deletion must leave the previous table.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path
from typing import NamedTuple

import duckdb
import pytest
import yaml

from orchestration import settings
from orchestration.dbt_runner import DbtResult, run_dbt

pytestmark = pytest.mark.slow

LIMITS = {"hubspot_contact_id": 1, "stripe_customer_id": 2, "mailchimp_member_id": 1}
TIERS = {
    "hubspot_contact_id": 1,
    "stripe_customer_id": 1,
    "mailchimp_member_id": 1,
    "email": 2,
    "phone": 3,
    "email_canonical": 4,
}

Link = tuple[str, str | None, str | None]


def _chain() -> list[Link]:
    """60 records, record k carrying email k and k+1; the smallest key is in the middle."""
    return [
        (f"chain:{(k * 37 + 30) % 60:03d}", "email", f"c{k + step}@x.vn")
        for k in range(60)
        for step in (0, 1)
    ]


def _limits_at_every_tier() -> list[Link]:
    return [
        # tier 1: one record with two mailchimp ids (limit 1): only undoing the tier helps
        ("both_ids", "mailchimp_member_id", "m1"),
        ("both_ids", "mailchimp_member_id", "m2"),
        ("both_ids", "email", "both@x.vn"),
        # tier 2: a family inbox joins two hubspot contacts (limit 1): the inbox is refused
        ("contact_a", "hubspot_contact_id", "h1"),
        ("contact_b", "hubspot_contact_id", "h2"),
        ("contact_a", "email", "family@x.vn"),
        ("contact_b", "email", "family@x.vn"),
        ("contact_a", "phone", "+84900000001"),
        ("order_a", "phone", "+84900000001"),
        # tier 3: a phone joins 10 mailchimp ids and 3 stripe customers: refused, the reason
        # names the smallest text of the two ("10 mailchimp" sorts before "3 stripe")
        *[(f"member_{k}", "mailchimp_member_id", f"mm{k}") for k in range(10)],
        *[(f"member_{k}", "phone", "+84900000009") for k in range(10)],
        *[(f"payer_{k}", "stripe_customer_id", f"s{k}") for k in range(3)],
        *[(f"payer_{k}", "phone", "+84900000009") for k in range(3)],
        # tier 4: each canonical email alone joins two stripe customers (allowed), together three:
        # no single identifier is to blame, so the customer's tier-4 links are all undone
        ("x1", "stripe_customer_id", "t1"),
        ("x2", "stripe_customer_id", "t2"),
        ("x3", "stripe_customer_id", "t3"),
        ("x1", "email_canonical", "p@x.vn"),
        ("x2", "email_canonical", "p@x.vn"),
        ("x2", "email_canonical", "q@x.vn"),
        ("x3", "email_canonical", "q@x.vn"),
        ("lonely", None, None),
    ]


def _random_graph(seed: int = 7, people: int = 400) -> list[Link]:
    """People with a few records each, shared and mistyped identifiers between them."""
    rng = random.Random(seed)
    links: list[Link] = []
    for person in range(people):
        records = [f"r{person}_{k}" for k in range(rng.randint(1, 4))]
        values = {kind: f"{kind[:2]}{rng.randrange(people)}" for kind in TIERS}
        for record in records:
            kinds = rng.sample(sorted(TIERS), rng.randint(0, 4))
            if not kinds:
                links.append((record, None, None))
            for kind in kinds:
                value = values[kind] if rng.random() < 0.8 else f"{kind[:2]}{rng.randrange(people)}"
                links.append((record, kind, value))
    return sorted(set(links), key=str)


def _candidates_sql(links: list[Link]) -> str:
    rows = []
    for record, kind, value in links:
        if kind is None:
            rows.append(f"('{record}', null, null, 0, null, null)")
        else:
            limit = LIMITS.get(kind, "null")
            rows.append(
                f"('{record}', '{kind}|{value}', '{kind}', {TIERS[kind]}, {limit}, '{value}')"
            )
    return (
        "select record_key, identifier_key, identifier_type, cast(tier as integer) as tier,\n"
        "    cast(max_per_customer as integer) as max_per_customer, identifier_value\n"
        "from (values\n    " + ",\n    ".join(rows) + "\n) as links(record_key, identifier_key, "
        "identifier_type, tier, max_per_customer, identifier_value)\n"
    )


def _project(links: list[Link], root: Path) -> Path:
    """A scratch project: the candidates `links` and both implementations over them."""
    project = root / "project"
    models = project / "models"
    models.mkdir(parents=True)
    real = settings.dbt_project_dir()
    shutil.copytree(real / "macros", project / "macros")
    shutil.copy(real / "profiles.yml", project / "profiles.yml")
    (project / "dbt_project.yml").write_text(
        "name: open_cdp\nversion: '0.1.0'\nconfig-version: 2\nprofile: open_cdp\n"
        "models:\n  open_cdp:\n    +schema: identity\n"
    )
    _write_candidates(project, links)
    identity = real / "models" / "intermediate" / "identity"
    shutil.copy(identity / "on_duckdb" / "int_identity__links.py", models / "links_python.py")
    properties = yaml.safe_load((identity / "_identity__models.yml").read_text())
    links = next(m for m in properties["models"] if m["name"] == "int_identity__links")
    (models / "links_python.yml").write_text(
        yaml.safe_dump(
            {"version": 2, "models": [{"name": "links_python", "config": links["config"]}]}
        )
    )
    (models / "links_sql.sql").write_text(
        "{{ config(materialized='label_propagation') }}\n"
        "select * from {{ ref('int_identity__link_candidates') }}\n"
    )
    return project


def _write_candidates(project: Path, links: list[Link]) -> None:
    (project / "models" / "int_identity__link_candidates.sql").write_text(_candidates_sql(links))


def _run(project: Path, *args: str) -> DbtResult:
    root = project.parent
    return run_dbt(
        ["run", *args], root / "graphs.duckdb", project_dir=project, target_dir=root / "target"
    )


def _build(links: list[Link], root: Path) -> Path:
    """Both implementations built from one input model; returns the warehouse."""
    project = _project(links, root)
    _run(project).raise_on_failure()
    return root / "graphs.duckdb"


@pytest.fixture(scope="module")
def hand_made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(_chain() + _limits_at_every_tier(), tmp_path_factory.mktemp("hand_made"))


@pytest.fixture(scope="module")
def random_graph(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(_random_graph(), tmp_path_factory.mktemp("random"))


@pytest.fixture(params=["hand_made", "random_graph"])
def warehouse(request: pytest.FixtureRequest) -> Path:
    return request.getfixturevalue(request.param)


PYTHON_OUTPUT = "links_python"
PYTHON_ROWS = "(select * exclude (resolved_at) from identity.links_python)"
"""The Python model's rows without when they were resolved, which a rebuild renews."""
RESOLVED = "(select record_key, component_key, resolved_at from identity.links_python)"
PYTHON_AS_SQL = "(select * exclude (candidate_hash, resolved_at) from identity.links_python)"
"""The Python model's rows without its own bookkeeping columns, as the SQL twin writes them."""


def _rows(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[object, ...]]:
    relation = table if table.startswith("(") else f"identity.{table}"
    return con.execute(f"select * from {relation} order by all").fetchall()


def test_python_and_sql_give_identical_components_and_refusals(warehouse: Path) -> None:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        python, sql = _rows(con, PYTHON_AS_SQL), _rows(con, "links_sql")
        columns = [
            con.execute(f"select * from {table} limit 0").description
            for table in (PYTHON_AS_SQL, "identity.links_sql")
        ]
        refusals = dict(
            con.execute(
                "select case when refusal_reason like 'identifier%' then 'identifier' "
                "else 'tier' end, count(*) from identity.links_sql "
                "where refusal_reason is not null group by 1"
            ).fetchall()
        )
    assert [c[0] for c in columns[0]] == [c[0] for c in columns[1]]
    assert python == sql
    assert refusals.get("identifier", 0) > 0
    assert refusals.get("tier", 0) > 0


def test_the_python_model_records_its_run_like_the_materialization(warehouse: Path) -> None:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        runs = con.execute(
            "select p.nodes = s.nodes, p.links = s.links, p.refused_links = s.refused_links, "
            "p.tiers = s.tiers, p.iterations >= p.tiers "
            "from identity.links_python__runs as p, identity.links_sql__runs as s"
        ).fetchall()
    assert runs == [(True, True, True, True, True)]


def test_the_hand_made_graph_resolves_as_the_rules_say(hand_made: Path) -> None:
    with duckdb.connect(str(hand_made), read_only=True) as con:
        rows = con.execute(
            "select record_key, identifier_key, component_key, link_status, refusal_reason "
            "from identity.links_python"
        ).fetchall()
    component = {record: key for record, _, key, _, _ in rows}
    reason = {(record, identifier): why for record, identifier, _, _, why in rows}
    chain = {key for record, key in component.items() if record.startswith("chain:")}
    assert chain == {"chain:000"}
    assert reason[("both_ids", "mailchimp_member_id|m1")] == (
        "customer would exceed a per-customer identifier limit at priority 1"
    )
    assert reason[("contact_a", "email|family@x.vn")] == (
        "identifier would join 2 hubspot_contact_id values (limit 1)"
    )
    assert component["contact_a"] == component["order_a"] != component["contact_b"]
    assert reason[("member_0", "phone|+84900000009")] == (
        "identifier would join 10 mailchimp_member_id values (limit 1)"
    )
    assert reason[("x1", "email_canonical|p@x.vn")] == (
        "customer would exceed a per-customer identifier limit at priority 4"
    )
    assert len({component["x1"], component["x2"], component["x3"]}) == 3
    assert component["lonely"] == "lonely"


def _increment(links: list[Link], seed: int = 11) -> list[Link]:
    """`links` the next day: a record bridging two customers (the chain and contact_a's), a
    typo that splits the chain, a third contact behind the refused family inbox (a new refused
    link, and the reason of the old ones changes), both_ids without its second mailchimp id (its
    refused links become acceptable), x3 erased (x1 and x2 may now merge), a lonely new record,
    the lonely record's first link (into the chain), order_a's only link gone (it is left with
    nothing linkable), and in the random graph a few links dropped, added and moved to new
    records."""
    rng = random.Random(seed)
    random_links = [link for link in links if link[0].startswith("r")]
    dropped = set(rng.sample(random_links, len(random_links) // 20))
    records = sorted({record for record, _, _ in random_links})
    values = sorted({(kind, value) for _, kind, value in random_links if kind is not None})
    added = [(rng.choice(records), *rng.choice(values)) for _ in range(15)]
    added += [(f"new_{k}", *rng.choice(values)) for k in range(5)]
    erased = {
        ("both_ids", "mailchimp_member_id", "m2"),
        ("chain:040", "email", "c11@x.vn"),
        ("lonely", None, None),
        ("order_a", "phone", "+84900000001"),
    }
    kept = [
        link for link in links if link not in dropped and link not in erased and link[0] != "x3"
    ]
    return sorted(
        set(kept)
        | set(added)
        | {
            ("chain:040", "email", "c11.typo@x.vn"),
            ("bridge", "email", "c45@x.vn"),
            ("bridge", "phone", "+84900000001"),
            ("contact_c", "hubspot_contact_id", "h3"),
            ("contact_c", "email", "family@x.vn"),
            ("lonely_new", None, None),
            ("lonely", "email", "c50@x.vn"),
            ("order_a", None, None),
        },
        key=str,
    )


class Increment(NamedTuple):
    """The Python model's rows (and run records: nodes, links) after each step."""

    incremental: list[tuple[object, ...]]
    rerun: list[tuple[object, ...]]
    rebuilt: list[tuple[object, ...]]
    sql_rebuilt: list[tuple[object, ...]]
    runs: list[tuple[int, int]]
    after_failure: list[tuple[object, ...]]
    failure: DbtResult
    resolved: list[list[tuple[object, ...]]]
    """(record, component, resolved_at) after the first build, the increment and the rerun."""


@pytest.fixture(scope="module")
def increment(tmp_path_factory: pytest.TempPathFactory) -> Increment:
    """Built on graph A, then incrementally on A's increment, again with no change, once more
    failing (a new candidate column breaks `on_schema_change='fail'` after the deletion), and
    last fully rebuilt."""
    before = _chain() + _limits_at_every_tier() + _random_graph()
    project = _project(before, tmp_path_factory.mktemp("increment"))
    warehouse = project.parent / "graphs.duckdb"
    snapshots = []
    _run(project).raise_on_failure()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        resolved = [_rows(con, RESOLVED)]
    _write_candidates(project, _increment(before))
    for _ in range(2):
        _run(project).raise_on_failure()
        with duckdb.connect(str(warehouse), read_only=True) as con:
            snapshots.append(_rows(con, PYTHON_ROWS))
            resolved.append(_rows(con, RESOLVED))
            sql_rebuilt = _rows(con, "links_sql")
    candidates = project / "models" / "int_identity__link_candidates.sql"
    changed_sql = candidates.read_text()
    candidates.write_text(f"select *, 1 as added_column from ({changed_sql}) as links")
    failure = _run(project, "--select", "int_identity__link_candidates", PYTHON_OUTPUT)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        after_failure = _rows(con, PYTHON_ROWS)
    candidates.write_text(changed_sql)
    _run(
        project, "--full-refresh", "--select", "int_identity__link_candidates", PYTHON_OUTPUT
    ).raise_on_failure()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rebuilt = _rows(con, PYTHON_ROWS)
        runs = con.execute(
            f"select nodes, links from identity.{PYTHON_OUTPUT}__runs order by finished_at"
        ).fetchall()
    return Increment(*snapshots, rebuilt, sql_rebuilt, runs, after_failure, failure, resolved)


def test_an_incremental_run_equals_a_full_rebuild_row_for_row(increment: Increment) -> None:
    assert increment.incremental == increment.rebuilt


def test_an_incremental_run_equals_the_sql_twin_on_the_changed_graph(
    increment: Increment,
) -> None:
    assert [row[:-1] for row in increment.incremental] == increment.sql_rebuilt


def test_the_increment_merges_splits_refuses_and_accepts(increment: Increment) -> None:
    component = {row[0]: row[-5] for row in increment.incremental}
    status = {(row[0], row[1]): (row[-3], row[-2]) for row in increment.incremental}
    assert component["bridge"] == component["contact_a"] == component["chain:000"]
    assert component["chain:040"] != component["chain:000"]
    three = "identifier would join 3 hubspot_contact_id values (limit 1)"
    assert status[("contact_c", "email|family@x.vn")] == ("refused", three)
    assert status[("contact_a", "email|family@x.vn")] == ("refused", three)
    assert status[("both_ids", "mailchimp_member_id|m1")] == ("linked", None)
    assert component["x1"] == component["x2"]
    assert "x3" not in component
    assert component["lonely_new"] == "lonely_new"


def test_records_gaining_their_first_link_or_losing_their_last_are_recomputed(
    increment: Increment,
) -> None:
    """The incremental run reads the rows of records with nothing linkable apart from the links
    (by their missing identifier type): a record must move between the two both ways."""
    component = {row[0]: row[-5] for row in increment.incremental}
    status = {(row[0], row[1]): row[-3] for row in increment.incremental}
    assert component["lonely"] == component["chain:000"]
    assert status[("lonely", "email|c50@x.vn")] == "linked"
    assert ("lonely", None) not in status
    assert component["order_a"] == "order_a"
    assert status[("order_a", None)] == "none"
    assert component["contact_a"] != "order_a"


def test_an_incremental_run_recomputes_only_the_touched_components(increment: Increment) -> None:
    _, (_, incremental), unchanged, (_, rebuilt) = increment.runs
    assert 0 < incremental < rebuilt
    assert unchanged == (0, 0)
    assert increment.rerun == increment.incremental


def test_only_the_recomputed_components_are_resolved_again(increment: Increment) -> None:
    """int_identity__record_customers reads the rows resolved since it last read the table, and
    relies on them being whole components, every other row as it was."""
    first, incremental, rerun = increment.resolved
    build_time = {resolved_at for _, _, resolved_at in first}
    renewed = [row for row in incremental if row[2] not in build_time]
    kept = [row for row in incremental if row[2] in build_time]
    renewed_components = {component for _, component, _ in renewed}
    assert len(build_time) == 1
    assert renewed and kept
    assert len({resolved_at for _, _, resolved_at in renewed}) == 1
    assert min(row[2] for row in renewed) > max(build_time)
    assert not renewed_components & {component for _, component, _ in kept}
    assert set(kept) <= set(first)
    assert rerun == incremental


def test_a_failed_incremental_run_leaves_the_previous_table(increment: Increment) -> None:
    assert not increment.failure.success
    assert "added_column" in increment.failure.output
    assert increment.after_failure == increment.incremental
