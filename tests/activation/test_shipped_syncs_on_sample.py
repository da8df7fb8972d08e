"""The shipped syncs against the dbt-built S sample: every mapped column exists in the marts and
the files sync delivers exactly the consented segment members."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from activation.config import load_config
from activation.engine import run_sync
from activation.secrets import SecretResolver

pytestmark = pytest.mark.slow
SHIPPED = Path(__file__).resolve().parents[2] / "activation" / "config"


def test_every_shipped_sync_plans_against_the_real_marts(warehouse_copy: Path):
    config = load_config(SHIPPED)
    for sync in config.syncs:
        result = run_sync(warehouse_copy, config, sync.name, SecretResolver({}), dry_run=True)
        with duckdb.connect(str(warehouse_copy), read_only=True) as con:
            members = con.execute(
                "select count(*) from marts.segment_memberships where segment = ?", [sync.segment]
            ).fetchone()[0]
        planned = result.planned["add"] + result.skipped_consent + result.skipped_missing_key
        assert planned >= members > 0 or members == 0, sync.name


def test_files_sync_of_the_sample_delivers_the_segment(warehouse_copy: Path, tmp_path: Path):
    config = load_config(SHIPPED)
    config.destinations["marketing_files"]["output_dir"] = str(tmp_path / "files")
    result = run_sync(warehouse_copy, config, "vip_customers_files", SecretResolver({}))
    snapshot = pq.read_table(tmp_path / "files" / "vip_customers_files" / "snapshot.parquet")
    with duckdb.connect(str(warehouse_copy), read_only=True) as con:
        expected = {
            row[0]
            for row in con.execute(
                "select customer_id from marts.segment_memberships where segment = 'vip_customers'"
            ).fetchall()
        }
    assert set(snapshot.column("customer_id").to_pylist()) == expected
    assert result.added == len(expected)
    again = run_sync(warehouse_copy, config, "vip_customers_files", SecretResolver({}))
    assert (again.added, again.updated, again.removed) == (0, 0, 0)
