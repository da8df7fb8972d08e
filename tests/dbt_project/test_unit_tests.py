"""dbt unit tests (normalization, linking rules, stable ids, survivorship, attribution) pass."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from orchestration.dbt_runner import run_dbt

pytestmark = pytest.mark.slow


def test_dbt_unit_tests_pass(built_warehouse: Path, tmp_path: Path) -> None:
    warehouse = tmp_path / "cdp.duckdb"
    shutil.copy(built_warehouse, warehouse)
    result = run_dbt(
        ["test", "--select", "test_type:unit", "--exclude", "path:models/segments"],
        warehouse,
        target_dir=tmp_path / "target",
    )
    assert result.success, result.output[-3000:]
    passed = re.search(r"PASS=(\d+)", result.output)
    assert passed is not None
    assert int(passed.group(1)) >= 7
