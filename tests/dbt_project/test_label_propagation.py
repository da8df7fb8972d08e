"""The identity materialization on hand-made graphs: a scratch dbt project that reuses the real
project's macros (so the real `label_propagation` materialization runs) builds small link tables."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration import settings
from orchestration.dbt_runner import run_dbt

pytestmark = pytest.mark.slow

CHAIN_LENGTH = 50

CHAIN_MODEL = """
{{ config(materialized='label_propagation') }}
{#- record k carries identifiers k and k+1, so the records form one chain, listed backwards so
    the smallest label has to travel the whole way. -#}
{% for k in range(CHAIN_LENGTH) | reverse %}
select 'r{{ "%03d" % k }}' as record_key, 'email|{{ "%03d" % k }}' as identifier_key,
    'email' as identifier_type, 2 as tier, cast(null as integer) as max_per_customer
union all
select 'r{{ "%03d" % k }}', 'email|{{ "%03d" % (k + 1) }}', 'email', 2, cast(null as integer)
{% if not loop.last %}union all{% endif %}
{% endfor %}
""".replace("CHAIN_LENGTH", str(CHAIN_LENGTH))

LIMIT_MODEL = """
{{ config(materialized='label_propagation') }}
select * from (values
    ('contact_a', 'hubspot_contact_id|1', 'hubspot_contact_id', 1, 1),
    ('contact_b', 'hubspot_contact_id|2', 'hubspot_contact_id', 1, 1),
    ('contact_a', 'email|family@x.vn', 'email', 2, null),
    ('contact_b', 'email|family@x.vn', 'email', 2, null),
    ('contact_a', 'phone|+84900000001', 'phone', 3, null),
    ('order_a', 'phone|+84900000001', 'phone', 3, null),
    ('lonely', null, null, 0, null)
) as links(record_key, identifier_key, identifier_type, tier, max_per_customer)
"""


@pytest.fixture(scope="module")
def graphs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build both scratch models once; returns the warehouse."""
    root = tmp_path_factory.mktemp("label_propagation")
    project = root / "project"
    (project / "models").mkdir(parents=True)
    shutil.copytree(settings.dbt_project_dir() / "macros", project / "macros")
    shutil.copy(settings.dbt_project_dir() / "profiles.yml", project / "profiles.yml")
    (project / "dbt_project.yml").write_text(
        "name: open_cdp\nversion: '0.1.0'\nconfig-version: 2\nprofile: open_cdp\n"
        "models:\n  open_cdp:\n    +schema: identity\n"
    )
    (project / "models" / "chain.sql").write_text(CHAIN_MODEL)
    (project / "models" / "limits.sql").write_text(LIMIT_MODEL)
    warehouse = root / "graphs.duckdb"
    run_dbt(["run"], warehouse, project_dir=project, target_dir=root / "target").raise_on_failure()
    return warehouse


def test_a_fifty_record_chain_becomes_one_customer_in_fewer_passes_than_links(
    graphs: Path,
) -> None:
    with duckdb.connect(str(graphs), read_only=True) as con:
        components = con.execute(
            "select count(distinct component_key), count(distinct record_key) from identity.chain"
        ).fetchone()
        passes = con.execute("select iterations from identity.chain__runs").fetchall()
    assert components == (1, CHAIN_LENGTH)
    assert len(passes) == 1
    assert 1 <= passes[0][0] < CHAIN_LENGTH


def test_a_link_that_breaks_a_per_customer_limit_is_refused_with_its_reason(graphs: Path) -> None:
    with duckdb.connect(str(graphs), read_only=True) as con:
        rows = con.execute(
            "select record_key, identifier_key, component_key, link_status, refusal_reason "
            "from identity.limits order by record_key, identifier_key"
        ).fetchall()
    by_link = {(record, identifier): rest for record, identifier, *rest in rows}
    refused = {link for link, (_, status, _) in by_link.items() if status == "refused"}
    assert refused == {
        ("contact_a", "email|family@x.vn"),
        ("contact_b", "email|family@x.vn"),
    }
    assert all("2 hubspot_contact_id values (limit 1)" in by_link[link][2] for link in refused)
    component = {record: key for (record, _), (key, _, _) in by_link.items()}
    assert component["contact_a"] == component["order_a"]
    assert component["contact_a"] != component["contact_b"]
    assert by_link[("lonely", None)][1] == "none"
    assert component["lonely"] == "lonely"
