"""The one ingestion step: a selection of raw tables loads only the systems they belong to, and
each system's counts land on each of its selected tables."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.defs.ingest import DLT_LOADS, build_ingest_defs, raw_key, raw_keys
from orchestration.defs.resources import CdpPaths

pytestmark = pytest.mark.slow


def _materialized(result: dg.ExecuteInProcessResult) -> dict[dg.AssetKey, dict[str, object]]:
    return {
        event.step_materialization_data.materialization.asset_key: {
            name: value.value
            for name, value in event.step_materialization_data.materialization.metadata.items()
        }
        for event in result.get_asset_materialization_events()
    }


def test_selected_tables_load_only_their_systems_and_carry_their_counts(
    monkeypatch: pytest.MonkeyPatch, landing_copy: Path, tmp_path: Path
) -> None:
    warehouse = tmp_path / "warehouse" / "cdp.duckdb"
    monkeypatch.setenv("CDP_ENGINE", "duckdb")
    monkeypatch.setenv("CDP_LANDING", str(landing_copy))
    monkeypatch.setenv("CDP_WAREHOUSE", str(warehouse))
    selection = [*raw_keys(["vnpay"]), raw_key("stripe", "charges")]
    result = dg.materialize(
        build_ingest_defs().assets or [], selection=selection, resources={"paths": CdpPaths()}
    )
    assert result.success
    materialized = _materialized(result)
    assert set(materialized) == set(selection)
    transactions = materialized[raw_key("vnpay", "transactions")]
    assert transactions["files_loaded"] > 0
    assert transactions["rows_read"] == (
        transactions["rows_loaded"]
        + transactions["rows_rejected"]
        + transactions["rows_suppressed"]
    )
    assert materialized[raw_key("vnpay", DLT_LOADS)] == {}
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        schemas = {
            row[0] for row in connection.sql("select schema_name from duckdb_schemas()").fetchall()
        }
        ((loaded,),) = connection.sql("select count(*) from raw_stripe._files").fetchall()
    assert {"raw_vnpay", "raw_stripe"} <= schemas
    assert not {"raw_hubspot", "raw_mailchimp", "raw_facebook_ads", "raw_google_ads"} & schemas
    assert loaded == materialized[raw_key("stripe", "charges")]["files_loaded"]
