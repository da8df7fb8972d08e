"""After a failed blocking check, later runs neither republish the serving copy nor sync.

Dagster skips them by itself only in the run where the check failed. Here the check fails in a
run of the marts alone (a dbt run by hand, a partial retry); the serving copy and a sync are then
started the two other ways: by the eager automation (`after_marts_update`) and by hand.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.defs.activation import (
    MEMBERSHIPS_KEY,
    TRAITS_KEY,
    build_activation_defs,
    sync_key,
)
from orchestration.defs.blocking_checks import (
    BLOCKING_CHECKS_RESOURCE,
    FAILED_CHECKS_METADATA,
    BlockingChecks,
)
from orchestration.defs.guardrails import CUSTOMERS_KEY, ID_CHANGES_KEY
from orchestration.defs.resources import CdpPaths
from orchestration.defs.serving import SERVING_KEY, build_serving_defs
from orchestration.guardrail_limits import GuardrailLimits

VIP_KEY = dg.AssetKey(["segments", "vip_customers"])
MARTS = [CUSTOMERS_KEY, ID_CHANGES_KEY, MEMBERSHIPS_KEY, TRAITS_KEY, VIP_KEY]
SYNC_KEY = sync_key("vip_customers_files")
FAILED_TEST = "marts/customers:not_null_customers_customer_id: 3 rows with a null customer_id"


@dataclass
class Graph:
    """The serving copy and one file-drop sync over stand-ins for the dbt models, whose blocking
    dbt test reports `passes` in the next run, or raises when it `crashes`; the build itself
    raises before writing anything when it `breaks`."""

    defs: dg.Definitions
    serving: Path
    drops: Path
    passes: bool = True
    crashes: bool = False
    breaks: bool = False


def _marts(graph: Graph) -> dg.Definitions:
    @dg.multi_asset(specs=[dg.AssetSpec(key) for key in MARTS], name="dbt_build")
    def dbt_build() -> Iterator[dg.MaterializeResult]:
        if graph.breaks:
            raise RuntimeError("dbt could not connect to the warehouse")
        for key in MARTS:
            yield dg.MaterializeResult(asset_key=key)

    @dg.asset_check(asset=CUSTOMERS_KEY, name="not_null_customers_customer_id", blocking=True)
    def not_null_customer_id() -> dg.AssetCheckResult:
        if graph.crashes:
            raise RuntimeError("the test's query was interrupted")
        if graph.passes:
            return dg.AssetCheckResult(passed=True)
        return dg.AssetCheckResult(passed=False, description="3 rows with a null customer_id")

    return dg.Definitions(assets=[dbt_build], asset_checks=[not_null_customer_id])


@pytest.fixture
def graph(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Graph:
    warehouse = tmp_path / "cdp.duckdb"
    monkeypatch.setenv("CDP_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("CDP_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("CDP_RESTRICTED_COPY", raising=False)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.customers as select 'c1' as customer_id")
    config = tmp_path / "activation"
    config.mkdir()
    (config / "destinations.yml").write_text(
        "destinations:\n  marketing_files:\n    type: files\n"
        f"    output_dir: {tmp_path / 'drops'}\n"
    )
    (config / "syncs.yml").write_text(
        "syncs:\n  - name: vip_customers_files\n    segment: vip_customers\n"
        "    destination: marketing_files\n    mode: mirror\n    member_key: customer_id\n"
        "    fields: {customer_id: customer_id}\n"
    )
    monkeypatch.setenv("CDP_ACTIVATION_CONFIG", str(config))
    activation, _ = build_activation_defs({"vip_customers": VIP_KEY})
    serving = build_serving_defs(MARTS, tmp_path / "manifest.json")
    graph = Graph(dg.Definitions(), tmp_path / "serving.duckdb", tmp_path / "drops")
    assets = dg.Definitions.merge(
        _marts(graph),
        activation,
        dg.Definitions(
            assets=[a for a in serving.assets or () if SERVING_KEY in getattr(a, "keys", ())]
        ),
    )
    graph.defs = dg.Definitions.merge(
        assets,
        dg.Definitions(
            resources={
                "paths": CdpPaths(),
                "guardrails": GuardrailLimits.from_file(),
                BLOCKING_CHECKS_RESOURCE: BlockingChecks.of(assets),
            }
        ),
    )
    return graph


def _run(
    graph: Graph, instance: dg.DagsterInstance, keys: list[dg.AssetKey]
) -> dg.ExecuteInProcessResult:
    job = graph.defs.resolve_implicit_global_asset_job_def().get_subset(asset_selection=set(keys))
    return job.execute_in_process(instance=instance, raise_on_error=False)


def _requested(
    graph: Graph, instance: dg.DagsterInstance, cursor: object
) -> tuple[set[dg.AssetKey], object]:
    """What one tick of `after_marts_update` would start, and the cursor for the next tick."""
    result = dg.evaluate_automation_conditions(graph.defs, instance, cursor=cursor)  # type: ignore[arg-type]
    requested = {key for key in (SERVING_KEY, SYNC_KEY) if result.get_requested_partitions(key)}
    return requested, result.cursor


def _failure(result: dg.ExecuteInProcessResult) -> tuple[str, Mapping[str, dg.MetadataValue]]:
    """The description and metadata of the `dg.Failure` of the run's one failed step."""
    (failure,) = [event for event in result.all_events if event.is_step_failure]
    data = failure.step_failure_data.user_failure_data
    assert data is not None
    return data.description or "", data.metadata


def test_marts_updated_after_a_failed_blocking_check_start_neither_copy_nor_sync(
    graph: Graph,
) -> None:
    with dg.instance_for_test() as instance:
        _, cursor = _requested(graph, instance, None)
        _run(graph, instance, MARTS)
        requested, cursor = _requested(graph, instance, cursor)
        assert requested == {SERVING_KEY, SYNC_KEY}
        requested, cursor = _requested(graph, instance, cursor)
        assert requested == set(), "a request is handled once"

        graph.passes = False
        _run(graph, instance, MARTS)
        requested, cursor = _requested(graph, instance, cursor)
        assert requested == set()

        graph.passes = True
        _run(graph, instance, MARTS)
        requested, _ = _requested(graph, instance, cursor)
        assert requested == {SERVING_KEY, SYNC_KEY}


def test_serving_copy_started_by_hand_after_a_failed_check_keeps_the_previous_copy(
    graph: Graph,
) -> None:
    with dg.instance_for_test() as instance:
        assert _run(graph, instance, [*MARTS, SERVING_KEY]).success
        published = hashlib.sha256(graph.serving.read_bytes()).hexdigest()

        graph.passes = False
        _run(graph, instance, MARTS)
        blocked = _run(graph, instance, [SERVING_KEY])

    assert not blocked.success
    assert hashlib.sha256(graph.serving.read_bytes()).hexdigest() == published
    description, metadata = _failure(blocked)
    assert description == (
        f"serving copy not republished, the previous one stays, blocking checks failed: "
        f"{FAILED_TEST}"
    )
    assert metadata[FAILED_CHECKS_METADATA].value == [FAILED_TEST]


def test_sync_started_by_hand_after_a_failed_check_sends_nothing(graph: Graph) -> None:
    with dg.instance_for_test() as instance:
        graph.passes = False
        _run(graph, instance, MARTS)
        blocked = _run(graph, instance, [SYNC_KEY])

    assert not blocked.success
    assert not blocked.get_asset_materialization_events()
    assert not graph.drops.exists()
    description, _ = _failure(blocked)
    assert description == (
        f"sync vip_customers_files not sent, blocking checks failed: {FAILED_TEST}"
    )


def test_serving_copy_started_by_hand_after_a_check_crashed_on_rebuilt_marts_keeps_the_copy(
    graph: Graph,
) -> None:
    with dg.instance_for_test() as instance:
        assert _run(graph, instance, [*MARTS, SERVING_KEY]).success
        published = hashlib.sha256(graph.serving.read_bytes()).hexdigest()

        graph.crashes = True
        crashed = _run(graph, instance, MARTS)
        blocked = _run(graph, instance, [SERVING_KEY])
        kept = hashlib.sha256(graph.serving.read_bytes()).hexdigest()
        graph.crashes = False
        _run(graph, instance, MARTS)
        unblocked = _run(graph, instance, [SERVING_KEY])

    assert not crashed.success
    assert not blocked.success
    assert kept == published
    description, _ = _failure(blocked)
    assert description == (
        "serving copy not republished, the previous one stays, blocking checks failed: "
        f"marts/customers:not_null_customers_customer_id: did not finish in run "
        f"{crashed.run_id}, which rebuilt its asset"
    )
    assert unblocked.success


def test_failed_check_still_holds_back_a_sync_after_a_run_that_failed_before_the_check(
    graph: Graph,
) -> None:
    with dg.instance_for_test() as instance:
        graph.passes = False
        _run(graph, instance, MARTS)
        graph.breaks = True
        broken = _run(graph, instance, MARTS)
        blocked = _run(graph, instance, [SYNC_KEY])

    assert not broken.success
    assert not blocked.success
    assert not graph.drops.exists()
    description, _ = _failure(blocked)
    assert (
        description == f"sync vip_customers_files not sent, blocking checks failed: {FAILED_TEST}"
    )
