"""The links' uniqueness test, which looks only for the keys a build resolved, still fails.

int_identity__links' `unique_combination_of_columns(record_key, identifier_key)` is configured
with `meta: {written_rows_by: resolved_at}`: in an incremental `dbt build` after a build that
built and tested everything, it looks for the keys of the rows holding the newest `resolved_at`
(every row the build wrote holds it) among all rows (dbt_project/macros/tests/tested_builds.sql).
A copy of the built S warehouse gets rows as a build writes them, copies of a stored link
resolved a day after the newest one: one copy (a key repeated between a written and an untouched
row), or two copies under a new record key (a key repeated among written rows). Their candidate
hash is the stored row's, so the selected build's incremental run of the model finds no change
and leaves them: the build must fail the test with the restricted SQL. A repeat among untouched
rows is outside what such a build checks (it cannot write one there); a plain `dbt test` checks
every row and fails on it.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from orchestration.dbt_runner import run_dbt
from tests.conftest import SAMPLE_AS_OF

pytestmark = pytest.mark.slow

LINKS = "intermediate.int_identity__links"
UNIQUE = "unique_combination_of_columns_int_identity__links_record_key__identifier_key"
NEWEST = "(select max(resolved_at) from"


def plant_written_rows(warehouse_copy: Path, replacements: list[str]) -> None:
    """One copy of a stored link with an identifier per replacement (SQL of `replace`), resolved
    a day after the newest stored row."""
    with duckdb.connect(str(warehouse_copy)) as con:
        (newest,) = con.execute(f"select max(resolved_at) from {LINKS}").fetchone()
        for replacement in replacements:
            con.execute(
                f"insert into {LINKS} select * replace ({replacement}, "
                "cast(? as timestamp) + interval 1 day as resolved_at) "
                f"from {LINKS} where identifier_key is not null order by record_key limit 1",
                [newest],
            )


def build(warehouse_copy: Path, target: Path, command: str = "build") -> dict[str, dict]:
    """dbt's results of the links' data tests, by test name, after a failing `command`."""
    selection = ["--select", "int_identity__links", "--exclude", "test_type:unit"]
    extra = selection if command == "build" else ["--select", UNIQUE]
    result = run_dbt(
        [command, *extra], warehouse_copy, target_dir=target, dbt_vars={"as_of": SAMPLE_AS_OF}
    )
    assert not result.success, result.output[-3000:]
    results = json.loads((target / "run_results.json").read_text())["results"]
    return {r["unique_id"].split(".")[2]: r for r in results if r["unique_id"].startswith("test.")}


def last_build_tested_everything(warehouse_copy: Path) -> bool:
    with duckdb.connect(str(warehouse_copy), read_only=True) as con:
        row = con.execute(
            "select built_and_tested_everything from main.dbt_invocation_log "
            "order by sequence desc limit 1"
        ).fetchone()
    return bool(row and row[0])


@pytest.mark.parametrize(
    "record_key",
    ["record_key", "'hubspot:contacts:planted'"],
    ids=["written-repeats-untouched", "repeated-among-written"],
)
def test_an_incremental_build_fails_on_a_repeated_link_it_wrote(
    warehouse_copy: Path, tmp_path: Path, record_key: str
) -> None:
    assert last_build_tested_everything(warehouse_copy)
    copies = 1 if record_key == "record_key" else 2
    plant_written_rows(warehouse_copy, [f"{record_key} as record_key"] * copies)

    tests = build(warehouse_copy, tmp_path / "target")

    assert tests[UNIQUE]["status"] == "fail"
    assert tests[UNIQUE]["failures"] == 1
    assert NEWEST in tests[UNIQUE]["compiled_code"]


def test_a_plain_dbt_test_checks_every_row(warehouse_copy: Path, tmp_path: Path) -> None:
    """A repeated key written outside dbt (not a row a build wrote) is found by `dbt test`,
    the audit of the whole warehouse."""
    with duckdb.connect(str(warehouse_copy)) as con:
        con.execute(f"insert into {LINKS} select * from {LINKS} limit 1")

    tests = build(warehouse_copy, tmp_path / "target", "test")

    assert tests[UNIQUE]["status"] == "fail"
    assert NEWEST not in tests[UNIQUE]["compiled_code"]
