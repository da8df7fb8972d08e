from __future__ import annotations

from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from activation.config import ActivationConfig, SyncConfig
from activation.engine import run_sync
from activation.secrets import SecretResolver
from tests.activation.warehouse import Person, build_warehouse, people, query, update


def _config(out: Path, mode: str = "mirror") -> ActivationConfig:
    return ActivationConfig(
        destinations={"files": {"type": "files", "output_dir": str(out), "batch_size": 3}},
        syncs=[
            SyncConfig(
                name="vip_files",
                segment="vip",
                destination="files",
                mode=mode,
                member_key="customer_id",
                fields={
                    "customer_id": "customer_id",
                    "email": "email",
                    "revenue": "lifetime_revenue_usd",
                },
            )
        ],
    )


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return build_warehouse(tmp_path / "wh.duckdb", people(7))


SECRETS = SecretResolver({})


def test_files_sync_writes_snapshot_and_diff_in_csv_and_parquet(warehouse: Path, tmp_path: Path):
    out = tmp_path / "files"
    result = run_sync(warehouse, _config(out), "vip_files", SECRETS)
    assert (result.status, result.added) == ("success", 7)
    snapshot = pq.read_table(out / "vip_files" / "snapshot.parquet")
    assert sorted(snapshot.column("customer_id").to_pylist()) == [f"c{i:05d}" for i in range(7)]
    assert pacsv.read_csv(out / "vip_files" / "snapshot.csv").num_rows == 7
    diffs = sorted((out / "vip_files" / "diffs").glob("*.parquet"))
    assert sum(pq.read_table(p).num_rows for p in diffs) == 7  # batches of 3: 3 + 3 + 1
    assert len(diffs) == 3
    assert not list((out / "vip_files").rglob("*.tmp"))


def test_rerun_without_change_sends_nothing(warehouse: Path, tmp_path: Path):
    config = _config(tmp_path / "files")
    run_sync(warehouse, config, "vip_files", SECRETS)
    again = run_sync(warehouse, config, "vip_files", SECRETS)
    assert (again.added, again.updated, again.removed, again.failed) == (0, 0, 0, 0)
    assert len(list((tmp_path / "files" / "vip_files" / "diffs").glob("*.csv"))) == 3


def test_changed_payload_is_an_update_and_leaver_is_removed_in_mirror_mode(
    warehouse: Path, tmp_path: Path
):
    config = _config(tmp_path / "files")
    run_sync(warehouse, config, "vip_files", SECRETS)
    update(
        warehouse,
        "update marts.customer_traits set lifetime_revenue_usd = 99 where customer_id = 'c00001'",
    )
    update(warehouse, "delete from marts.segment_memberships where customer_id = 'c00002'")
    result = run_sync(warehouse, config, "vip_files", SECRETS)
    assert (result.added, result.updated, result.removed) == (0, 1, 1)
    snapshot = pq.read_table(tmp_path / "files" / "vip_files" / "snapshot.parquet").to_pylist()
    assert "c00002" not in {row["customer_id"] for row in snapshot}
    assert {row["customer_id"]: row["revenue"] for row in snapshot}["c00001"] == 99


def test_upsert_mode_keeps_leavers_and_add_only_sends_no_updates(warehouse: Path, tmp_path: Path):
    upsert = _config(tmp_path / "u", mode="upsert")
    run_sync(warehouse, upsert, "vip_files", SECRETS)
    update(warehouse, "delete from marts.segment_memberships where customer_id = 'c00002'")
    update(warehouse, "update marts.customer_traits set lifetime_revenue_usd = 5")
    result = run_sync(warehouse, upsert, "vip_files", SECRETS)
    assert (result.updated, result.removed) == (6, 0)
    update(warehouse, "delete from activation.sync_state")
    add_only = _config(tmp_path / "a", mode="add_only")
    run_sync(warehouse, add_only, "vip_files", SECRETS)
    update(warehouse, "update marts.customer_traits set lifetime_revenue_usd = 7")
    assert run_sync(warehouse, add_only, "vip_files", SECRETS).updated == 0


def test_dry_run_plans_but_sends_and_stores_nothing(warehouse: Path, tmp_path: Path):
    out = tmp_path / "files"
    result = run_sync(warehouse, _config(out), "vip_files", SECRETS, dry_run=True)
    assert result.planned == {"remove": 0, "add": 7, "update": 0}
    assert result.sample["add"][0]["customer_id"] == "c00000"
    assert not out.exists()
    assert query(
        warehouse,
        "select count(*) from information_schema.schemata where schema_name = 'activation'",
    ) == [(0,)]


def test_missing_member_key_is_counted_not_dropped(tmp_path: Path):
    warehouse = build_warehouse(tmp_path / "wh.duckdb", [*people(2), Person("x1", None)])
    config = ActivationConfig(
        destinations={"files": {"type": "files", "output_dir": str(tmp_path / "o")}},
        syncs=[
            SyncConfig(
                name="by_email",
                segment="vip",
                destination="files",
                member_key="email",
                fields={"email": "email"},
            )
        ],
    )
    result = run_sync(warehouse, config, "by_email", SECRETS)
    assert (result.added, result.skipped_missing_key) == (2, 1)
    runs = query(warehouse, "select added, skipped_missing_key, status from activation.sync_runs")
    assert runs == [(2, 1, "success")]


def test_unknown_mart_column_in_mapping_fails_naming_it(warehouse: Path, tmp_path: Path):
    config = _config(tmp_path / "o")
    config.syncs[0].fields["x"] = "no_such_column"
    with pytest.raises(ValueError, match="no_such_column"):
        run_sync(warehouse, config, "vip_files", SECRETS)
