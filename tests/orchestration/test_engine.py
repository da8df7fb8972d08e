"""The engine switch (CDP_ENGINE): which warehouse ingestion writes and which dbt target builds.

The whole chain on Spark is exercised by tests/spark/; here only what the switch decides.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from orchestration import settings
from orchestration.defs.ingest import build_ingest_defs, raw_keys
from orchestration.defs.resources import CdpPaths
from orchestration.defs.transform import DAGSTER_SPARK_TARGET, DAGSTER_TARGET, cdp_dbt_project


def test_engine_is_duckdb_unless_told(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CDP_ENGINE", raising=False)
    assert settings.engine() == "duckdb"
    monkeypatch.setenv("CDP_ENGINE", "spark")
    assert settings.engine() == "spark"


def test_unknown_engine_fails_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CDP_ENGINE", "snowflake")
    with pytest.raises(ValueError, match="snowflake"):
        settings.engine()


def test_spark_engine_builds_dbt_with_the_spark_target_and_its_own_manifest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CDP_ENGINE", "spark")
    spark = cdp_dbt_project()
    monkeypatch.setenv("CDP_ENGINE", "duckdb")
    duck = cdp_dbt_project()
    assert (spark.target, duck.target) == ("spark", None)
    assert spark.manifest_path.parent.name == DAGSTER_SPARK_TARGET.name
    assert duck.manifest_path.parent.name == DAGSTER_TARGET.name


@pytest.mark.slow
def test_ingestion_on_the_spark_engine_writes_the_lake_and_not_the_warehouse(
    monkeypatch: pytest.MonkeyPatch, landing_copy: Path, tmp_path: Path
) -> None:
    monkeypatch.setenv("CDP_ENGINE", "spark")
    monkeypatch.setenv("CDP_LANDING", str(landing_copy))
    monkeypatch.setenv("CDP_LAKE", str(tmp_path / "lake"))
    monkeypatch.setenv("CDP_WAREHOUSE", str(tmp_path / "warehouse" / "cdp.duckdb"))
    result = dg.materialize(
        build_ingest_defs().assets or [],
        selection=raw_keys(["vnpay"]),
        resources={"paths": CdpPaths()},
    )
    assert result.success
    assert list((tmp_path / "lake" / "raw_vnpay" / "transactions").glob("*.parquet"))
    materialized = {
        event.step_materialization_data.materialization.asset_key
        for event in result.get_asset_materialization_events()
    }
    assert materialized == set(raw_keys(["vnpay"]))
    assert not (tmp_path / "lake" / "raw_hubspot").exists()
    assert not (tmp_path / "warehouse" / "cdp.duckdb").exists()
