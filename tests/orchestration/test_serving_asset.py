"""The Dagster serving asset reads at run time whether to publish the raw restricted copy."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration import settings
from orchestration.defs.blocking_checks import BLOCKING_CHECKS_RESOURCE, BlockingChecks
from orchestration.defs.resources import CdpPaths
from orchestration.defs.serving import SERVING_KEY, build_serving_defs
from orchestration.serving import RESTRICTED_NAME


def _materialize_serving(warehouse: Path) -> Mapping[str, dg.MetadataValue]:
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.customers as select 'c1' as customer_id")
    defs = build_serving_defs([], warehouse.parent / "manifest.json")
    serving = next(
        a for a in defs.assets or () if isinstance(a, dg.AssetsDefinition) and SERVING_KEY in a.keys
    )
    result = dg.materialize(
        [serving], resources={"paths": CdpPaths(), BLOCKING_CHECKS_RESOURCE: BlockingChecks({})}
    )
    assert result.success
    return result.asset_materializations_for_node(serving.node_def.name)[0].metadata


@pytest.mark.parametrize(
    ("setting", "published"),
    [(None, False), ("", False), ("0", False), ("no", False), ("1", True), (" TRUE ", True)],
)
def test_the_restricted_copy_is_published_only_when_cdp_restricted_copy_asks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, setting: str | None, published: bool
) -> None:
    warehouse = tmp_path / "cdp.duckdb"
    monkeypatch.setenv("CDP_WAREHOUSE", str(warehouse))
    if setting is None:
        monkeypatch.delenv("CDP_RESTRICTED_COPY", raising=False)
    else:
        monkeypatch.setenv("CDP_RESTRICTED_COPY", setting)

    metadata = _materialize_serving(warehouse)

    assert (tmp_path / "serving.duckdb").exists()
    assert (tmp_path / RESTRICTED_NAME).exists() is published
    restricted = metadata["restricted_path"]
    assert isinstance(restricted, dg.PathMetadataValue) is published


def test_an_unknown_restricted_copy_setting_fails_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CDP_RESTRICTED_COPY", "sometimes")
    with pytest.raises(ValueError, match="CDP_RESTRICTED_COPY='sometimes'"):
        settings.restricted_copy()
