"""Relative windows are measured from UTC now on a host in another time zone.

`as_of()` without the var is the run's current time. DuckDB's `now()` is a timestamptz, and the
plain timestamp every model compares with (UTC, without zone) is its wall-clock time in the
session's zone, which DuckDB takes from the host: on Asia/Ho_Chi_Minh, 7 h ahead of UTC, so
"the last 30 days" ended 7 h in the future. The profile sets the session to UTC.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from orchestration.dbt_runner import run_dbt

pytestmark = pytest.mark.slow


def _shown_as_of(output: str) -> datetime:
    """The `as_of` value in the ShowNode event of dbt's JSON log."""
    for line in output.splitlines():
        if '"ShowNode"' in line:
            preview = json.loads(json.loads(line)["data"]["preview"])
            return datetime.fromisoformat(preview[0]["as_of"])
    raise AssertionError(f"dbt show printed no rows:\n{output[-3000:]}")


def test_as_of_is_utc_now_on_a_host_east_of_utc(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "Asia/Ho_Chi_Minh")
    show = ["show", "--inline", "select {{ as_of() }} as as_of", "--output", "json"]
    result = run_dbt(
        [*show, "--log-format", "json"],
        tmp_path / "cdp.duckdb",
        target_dir=tmp_path / "target",
    ).raise_on_failure()
    now = datetime.now(UTC).replace(tzinfo=None)
    assert abs(_shown_as_of(result.output) - now) < timedelta(minutes=1)
