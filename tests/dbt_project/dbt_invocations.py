"""Running dbt on a test's warehouse copy and reading what it reported, for the tests of the
data tests: each plants a defect (as a build writes it, or outside dbt), runs an invocation that
must fail (or pass, when the defect is outside what it checks), and inspects the results."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration.dbt_runner import run_dbt
from tests.conftest import SAMPLE_AS_OF


def node_results(target: Path, resource_type: str | None = None) -> dict[str, dict]:
    """dbt's run_results entries by node name (`test`, `model`…: only that type when given)."""
    results = json.loads((target / "run_results.json").read_text())["results"]
    return {
        result["unique_id"].split(".")[2]: result
        for result in results
        if resource_type is None or result["unique_id"].startswith(f"{resource_type}.")
    }


def _invocation(
    warehouse: Path, target: Path, args: tuple[str, ...], succeeds: bool
) -> dict[str, dict]:
    result = run_dbt(
        [*args, "--exclude", "test_type:unit"],
        warehouse,
        target_dir=target,
        dbt_vars={"as_of": SAMPLE_AS_OF},
    )
    assert result.success == succeeds, result.output[-3000:]
    return node_results(target)


def failing_invocation(warehouse: Path, target: Path, *args: str) -> dict[str, dict]:
    """dbt `args` without unit tests, on the sample's date, which must fail; its results."""
    return _invocation(warehouse, target, args, succeeds=False)


def passing_invocation(warehouse: Path, target: Path, *args: str) -> dict[str, dict]:
    """dbt `args` without unit tests, on the sample's date, which must succeed; its results."""
    return _invocation(warehouse, target, args, succeeds=True)


def last_build_tested_everything(warehouse: Path) -> bool:
    """The ledger's latest invocation built every model and passed every data test: the next
    incremental build may check only the rows it writes."""
    return bool(_latest_invocation(warehouse, "built_and_tested_everything"))


def last_invocation_start(warehouse: Path) -> datetime:
    """The start of the latest dbt invocation that wrote to the warehouse: the `written_at` of
    every row it wrote."""
    started_at = _latest_invocation(warehouse, "started_at")
    assert isinstance(started_at, datetime), "the ledger holds no invocation"
    return started_at


def _latest_invocation(warehouse: Path, column: str) -> object:
    """`column` of the ledger's latest invocation (None without one)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        row = con.execute(
            f"select {column} from main.dbt_invocation_log order by sequence desc limit 1"
        ).fetchone()
    return row[0] if row else None


def plant_written_rows(
    warehouse: Path,
    table: str,
    stamp: str,
    replacements: Sequence[Mapping[str, str]],
    order_by: str,
    where: str = "true",
) -> None:
    """Per replacement, a copy of `table`'s first stored row by `order_by` among those matching
    `where`, with the replacement's columns set to its SQL expressions, and `stamp` a day after
    the newest stored stamp or now, whichever is later: a row as a build starting after now
    writes it, whatever the age of the session's warehouse."""
    with duckdb.connect(str(warehouse)) as con:
        (stored,) = con.execute(f"select max({stamp}) from {table}").fetchone()
        now = datetime.now(UTC).replace(tzinfo=None)
        newest = max(stored or now, now)
        for replacement in replacements:
            replaced = "".join(f"{sql} as {column}, " for column, sql in replacement.items())
            con.execute(
                f"insert into {table} select * replace ({replaced}"
                f"cast(? as timestamp) + interval 1 day as {stamp})"
                f" from {table} where {where} order by {order_by} limit 1",
                [newest],
            )
