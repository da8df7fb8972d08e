"""The activation side of the graph: audience guardrail memory, destination readiness, paths."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.activation_config import activation_secrets, missing_secret
from orchestration.defs.activation import ActivationResource
from orchestration.guardrail_limits import GuardrailLimits
from orchestration.sync_guardrails import (
    AUDIENCE_METADATA,
    audience_outcome,
    last_synced_audience,
    sync_key,
)

LIMITS = GuardrailLimits(
    max_customer_source_records=10,
    max_merges_per_run=10,
    max_audience_change_share=0.5,
    min_audience_size_for_change_check=50,
)


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect() as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.segment_memberships as "
            "select 'vip' as segment, 'c' || range as customer_id from range(200)"
        )
        yield con


def _synced(instance: dg.DagsterInstance, members: int) -> None:
    instance.report_runless_asset_event(
        dg.AssetMaterialization(sync_key("vip_to_files"), metadata={AUDIENCE_METADATA: members})
    )


def test_first_sync_has_no_audience_to_compare(con: duckdb.DuckDBPyConnection) -> None:
    with dg.instance_for_test() as instance:
        assert last_synced_audience(instance, "vip_to_files") is None
        assert audience_outcome(con, instance, "vip_to_files", "vip", LIMITS).passed


def test_audience_that_doubled_since_its_last_sync_is_held_back(
    con: duckdb.DuckDBPyConnection,
) -> None:
    with dg.instance_for_test() as instance:
        _synced(instance, 100)
        outcome = audience_outcome(con, instance, "vip_to_files", "vip", LIMITS)
    assert not outcome.passed
    assert outcome.observed == 1.0
    assert "100 -> 200" in outcome.detail


def test_audience_compared_with_its_latest_sync_only(con: duckdb.DuckDBPyConnection) -> None:
    with dg.instance_for_test() as instance:
        _synced(instance, 100)
        _synced(instance, 180)
        assert last_synced_audience(instance, "vip_to_files") == 180
        assert audience_outcome(con, instance, "vip_to_files", "vip", LIMITS).passed


def test_destination_without_its_secret_is_not_ready(monkeypatch: pytest.MonkeyPatch) -> None:
    hubspot = {"type": "hubspot", "secret": "destinations.hubspot_test.access_token"}
    monkeypatch.delenv("DESTINATIONS__HUBSPOT_TEST__ACCESS_TOKEN", raising=False)
    secrets = activation_secrets()
    reason = missing_secret(hubspot, secrets)
    assert reason is not None and "DESTINATIONS__HUBSPOT_TEST__ACCESS_TOKEN" in reason

    monkeypatch.setenv("DESTINATIONS__HUBSPOT_TEST__ACCESS_TOKEN", "pat-123")
    assert missing_secret(hubspot, activation_secrets()) is None
    assert missing_secret({"type": "files"}, secrets) is None


def test_file_drops_follow_the_data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CDP_DATA_DIR", str(tmp_path))
    config = ActivationResource().load()
    output_dirs = [d["output_dir"] for d in config.destinations.values() if "output_dir" in d]
    assert output_dirs
    assert all(Path(path).is_relative_to(tmp_path) for path in output_dirs)
