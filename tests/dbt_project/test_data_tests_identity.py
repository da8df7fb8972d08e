"""The identity models' uniqueness tests, which look only for the keys a build wrote, still fail.

Two tests of identity models look, in an incremental `dbt build` after a build that built and
tested everything, for the keys of the rows the build wrote among all rows
(dbt_project/macros/tests/tested_builds.sql), found by a stamp every written row carries:
int_identity__links' `unique_combination_of_columns(record_key, identifier_key)` by the newest
`resolved_at` (`meta: {written_rows_by: resolved_at}`), int_identity__record_customers' `unique`
of `record_key` by an `assigned_at` at or after the build's start
(`meta: {written_at_run_start: assigned_at}`).

A copy of the built S warehouse gets rows as a build writes them, copies of a stored row stamped
a day after the newest one: one copy (a key repeated between a written and an untouched row), or
two copies under a new record key (a key repeated among written rows). The selected build's
incremental run of the model finds nothing changed (the links' candidate hashes are the stored
rows', no component was recomputed for the customer ids) and leaves them: the build must fail
the test with the restricted SQL. A repeat among untouched rows is outside what such a build
checks (it cannot write one there); a plain `dbt test` checks every row and fails on it.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import duckdb
import pytest

from tests.dbt_project.dbt_invocations import (
    failing_invocation,
    last_build_tested_everything,
    plant_written_rows,
)

pytestmark = pytest.mark.slow


class Restricted(NamedTuple):
    model: str
    test: str
    stamp: str
    restriction: str
    """Text of the restricted test's SQL."""


LINKS = Restricted(
    "int_identity__links",
    "unique_combination_of_columns_int_identity__links_record_key__identifier_key",
    "resolved_at",
    "(select max(resolved_at) from",
)
RECORD_CUSTOMERS = Restricted(
    "int_identity__record_customers",
    "unique_int_identity__record_customers_record_key",
    "assigned_at",
    "assigned_at >= cast(",
)


def plant_restricted_rows(
    warehouse_copy: Path, restricted: Restricted, record_keys: list[str]
) -> None:
    """A copy of a stored row per record key (SQL), stamped as a build starting after now would
    stamp it: record customers' test looks at rows stamped at or after the build's start."""
    plant_written_rows(
        warehouse_copy,
        f"intermediate.{restricted.model}",
        restricted.stamp,
        [{"record_key": record_key} for record_key in record_keys],
        order_by="record_key",
    )


@pytest.mark.parametrize("restricted", [LINKS, RECORD_CUSTOMERS], ids=lambda r: r.model)
@pytest.mark.parametrize(
    "record_keys",
    [["record_key"], ["'hubspot:contacts:planted'"] * 2],
    ids=["written-repeats-untouched", "repeated-among-written"],
)
def test_an_incremental_build_fails_on_a_repeated_key_it_wrote(
    warehouse_copy: Path, tmp_path: Path, restricted: Restricted, record_keys: list[str]
) -> None:
    assert last_build_tested_everything(warehouse_copy)
    plant_restricted_rows(warehouse_copy, restricted, record_keys)

    tests = failing_invocation(
        warehouse_copy, tmp_path / "target", "build", "--select", restricted.model
    )

    assert tests[restricted.test]["status"] == "fail"
    assert tests[restricted.test]["failures"] == 1
    assert restricted.restriction in tests[restricted.test]["compiled_code"]


@pytest.mark.parametrize("restricted", [LINKS, RECORD_CUSTOMERS], ids=lambda r: r.model)
def test_a_plain_dbt_test_checks_every_row(
    warehouse_copy: Path, tmp_path: Path, restricted: Restricted
) -> None:
    """A repeated key written outside dbt (not a row a build wrote) is found by `dbt test`,
    the audit of the whole warehouse."""
    table = f"intermediate.{restricted.model}"
    with duckdb.connect(str(warehouse_copy)) as con:
        con.execute(f"insert into {table} select * from {table} limit 1")

    tests = failing_invocation(
        warehouse_copy, tmp_path / "target", "test", "--select", restricted.test
    )

    assert tests[restricted.test]["status"] == "fail"
    assert restricted.restriction not in tests[restricted.test]["compiled_code"]
