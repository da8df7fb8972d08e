"""The two implementations of int_identity__links give the same rows on the same links.

On DuckDB the model is a Python model (union-find); on Spark it is the `label_propagation`
materialization. A scratch dbt project builds both, on DuckDB, from one input model: hand-made
graphs (a long chain whose smallest key sits in the middle, limits broken at several tiers, an
identifier refused for two types at once, a customer only undone as a whole tier) plus a random
graph with many refusals of both kinds. Every output row must be identical.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration import settings
from orchestration.dbt_runner import run_dbt

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


def _build(links: list[Link], root: Path) -> Path:
    """Both implementations built from one input model; returns the warehouse."""
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
    (models / "int_identity__link_candidates.sql").write_text(_candidates_sql(links))
    shutil.copy(
        real / "models" / "intermediate" / "identity" / "on_duckdb" / "int_identity__links.py",
        models / "links_python.py",
    )
    (models / "links_sql.sql").write_text(
        "{{ config(materialized='label_propagation') }}\n"
        "select * from {{ ref('int_identity__link_candidates') }}\n"
    )
    warehouse = root / "graphs.duckdb"
    run_dbt(["run"], warehouse, project_dir=project, target_dir=root / "target").raise_on_failure()
    return warehouse


@pytest.fixture(scope="module")
def hand_made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(_chain() + _limits_at_every_tier(), tmp_path_factory.mktemp("hand_made"))


@pytest.fixture(scope="module")
def random_graph(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(_random_graph(), tmp_path_factory.mktemp("random"))


@pytest.fixture(params=["hand_made", "random_graph"])
def warehouse(request: pytest.FixtureRequest) -> Path:
    return request.getfixturevalue(request.param)


def _rows(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[object, ...]]:
    return con.execute(f"select * from identity.{table} order by all").fetchall()


def test_python_and_sql_give_identical_components_and_refusals(warehouse: Path) -> None:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        python, sql = _rows(con, "links_python"), _rows(con, "links_sql")
        columns = [
            con.execute(f"select * from identity.{table} limit 0").description
            for table in ("links_python", "links_sql")
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
