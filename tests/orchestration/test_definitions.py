"""The asset graph: it loads, joins into one lineage, and does not drift by accident.

`asset_graph.txt` is the expected graph (asset keys, groups, pools, automation, dependencies and
checks). When a change to the graph is intended (a new model, test, source table or sync),
regenerate it and review the diff:

    CDP_UPDATE_GRAPH_SNAPSHOT=1 .venv/bin/pytest tests/orchestration/test_definitions.py -k snapshot
    git diff tests/orchestration/asset_graph.txt
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from orchestration.defs import build_definitions
from orchestration.defs.transform import cdp_dbt_project
from orchestration.instance import WAREHOUSE_POOL

SNAPSHOT = Path(__file__).with_name("asset_graph.txt")
GUARDED_BY = {
    ("marts", "customers"): "largest_customer_within_limit",
    ("marts", "customer_id_changes"): "merges_within_limit",
}


@pytest.fixture(scope="module")
def defs() -> dg.Definitions:
    return build_definitions()


def render_graph(defs: dg.Definitions) -> str:
    graph = defs.resolve_asset_graph()
    lines = []
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        if not node.is_materializable:
            lines.append(f"external {key.to_user_string()}")
            continue
        condition = node.automation_condition.get_label() if node.automation_condition else "-"
        pools = ",".join(sorted(node.pools)) or "-"
        lines.append(
            f"asset {key.to_user_string()}  group={node.group_name}  pool={pools}  "
            f"automation={condition}"
        )
        lines.extend(f"  <- {parent.to_user_string()}" for parent in sorted(node.parent_keys))
        for check_key in sorted(node.check_keys, key=lambda k: k.name):
            blocking = " (blocking)" if graph.get(check_key).blocking else ""
            lines.append(f"  check {check_key.name}{blocking}")
    return "\n".join(lines) + "\n"


def test_definitions_load_the_way_dagster_dev_loads_them() -> None:
    """`dagster definitions validate` imports orchestration.definitions in a fresh process."""
    dagster = Path(sys.executable).with_name("dagster")
    done = subprocess.run(
        [str(dagster), "definitions", "validate", "-m", "orchestration.definitions"],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "DAGSTER_HOME": ""},
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_importing_definitions_reads_no_configuration(tmp_path: Path) -> None:
    """Import only declares: no dbt parse, no warehouse, no environment read."""
    manifest = cdp_dbt_project().manifest_path
    before = manifest.stat().st_mtime_ns if manifest.exists() else None
    warehouse = tmp_path / "never" / "cdp.duckdb"
    done = subprocess.run(
        [sys.executable, "-c", "import orchestration.definitions"],
        capture_output=True,
        text=True,
        env={**os.environ, "CDP_WAREHOUSE": str(warehouse), "CDP_DATA_DIR": str(tmp_path)},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert list(tmp_path.iterdir()) == []
    assert (manifest.stat().st_mtime_ns if manifest.exists() else None) == before


def test_asset_graph_matches_snapshot(defs: dg.Definitions) -> None:
    rendered = render_graph(defs)
    if os.environ.get("CDP_UPDATE_GRAPH_SNAPSHOT"):
        SNAPSHOT.write_text(rendered)
    assert rendered == SNAPSHOT.read_text(), (
        "the asset graph changed; if intended, regenerate (see this module's docstring)"
    )


def test_every_dbt_source_is_loaded_by_an_ingestion_asset(defs: dg.Definitions) -> None:
    graph = defs.resolve_asset_graph()
    raw = [key for key in graph.get_all_asset_keys() if key.path[0].startswith("raw_")]
    assert raw
    unloaded = [key.to_user_string() for key in raw if not graph.get(key).is_materializable]
    assert unloaded == [], "dbt sources no ingestion asset produces (names must match)"
    dbt_parents = {
        parent
        for key in graph.get_all_asset_keys()
        if graph.get(key).group_name in ("staging",)
        for parent in graph.get(key).parent_keys
    }
    assert dbt_parents & set(raw), "staging models do not read the ingestion assets"


def test_every_step_that_opens_the_warehouse_is_in_the_writer_pool(defs: dg.Definitions) -> None:
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if node.is_materializable:
            assert node.pools == {WAREHOUSE_POOL}, key
    for checks_def in defs.asset_checks or []:
        assert checks_def.node_def.pool == WAREHOUSE_POOL, checks_def.check_keys


def test_guardrails_are_blocking_checks_on_what_every_sync_reads(defs: dg.Definitions) -> None:
    graph = defs.resolve_asset_graph()
    for path, check in GUARDED_BY.items():
        check_key = dg.AssetCheckKey(dg.AssetKey(list(path)), check)
        assert graph.get(check_key).blocking, check_key
    syncs = [key for key in graph.get_all_asset_keys() if key.path[0] == "activation"]
    assert syncs, "no activation assets"
    for sync in syncs:
        parents = graph.get(sync).parent_keys
        assert {dg.AssetKey(list(path)) for path in GUARDED_BY} <= parents, sync
        audience_checks = [
            parent
            for parent in parents
            if dg.AssetCheckKey(parent, f"audience_size_stable_{sync.path[-1]}")
            in graph.get(parent).check_keys
        ]
        assert audience_checks, f"{sync} has no audience-size guardrail"
