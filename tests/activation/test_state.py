from __future__ import annotations

import re
from pathlib import Path

import duckdb

from activation.config import ConsentPurpose, SyncConfig
from activation.state import diff_sql
from activation.suppression import suppress, suppression_hashes
from tests.activation.warehouse import build_warehouse, people

MIRROR = SyncConfig(
    name="s", segment="vip", destination="d", mode="mirror", member_key="email", fields={}
)


def _customer_scans(warehouse: Path, purpose: ConsentPurpose) -> int:
    """How many times the diff's plan reads marts.customers."""
    with duckdb.connect(str(warehouse)) as conn:
        sql, params = diff_sql(conn, MIRROR, purpose)
        plan = conn.execute(f"explain (format json) {sql}", params).fetchall()[0][1]
    return len(re.findall(r'"Table": "[^"]*\bmarts\.customers"', plan))


def test_mirror_leavers_are_looked_up_only_when_consent_or_suppression_can_explain_them(
    tmp_path: Path,
):
    warehouse = build_warehouse(tmp_path / "wh.duckdb", people(3))
    assert _customer_scans(warehouse, ConsentPurpose.NONE) == 1
    assert _customer_scans(warehouse, ConsentPurpose.EMAIL) == 2
    suppress(warehouse, suppression_hashes(emails=["user1@example.com"]), "do not contact")
    assert _customer_scans(warehouse, ConsentPurpose.NONE) == 2
