"""Guardrail measurements on small hand-made marts: each limit passes at its edge, trips past it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import duckdb
import pytest

from orchestration.guardrails import (
    BEFORE_LATEST_BUILD,
    audience_change,
    largest_customer,
    merges_in_latest_build,
    segment_size,
)


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect() as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.customers as select * from (values "
            "('c1', 3), ('c2', 12), ('c3', 1)) t(customer_id, source_record_count)"
        )
        con.execute(
            "create table marts.customer_id_changes (old_customer_id varchar, "
            "new_customer_id varchar, changed_at timestamp, reason varchar)"
        )
        con.execute(
            "create table marts.segment_memberships as select * from (values "
            "('vip', 'c1'), ('vip', 'c2'), ('lapsed', 'c3')) t(segment, customer_id)"
        )
        yield con


def test_largest_customer_passes_at_limit_and_trips_above(con: duckdb.DuckDBPyConnection) -> None:
    at_limit = largest_customer(con, limit=12)
    assert at_limit.passed and at_limit.observed == 12
    assert "c2" in at_limit.detail
    assert not largest_customer(con, limit=11).passed


def test_largest_customer_with_no_customers_passes(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("delete from marts.customers")
    assert largest_customer(con, limit=1).passed


def _record_changes(con: duckdb.DuckDBPyConnection, rows: list[tuple]) -> None:
    con.executemany("insert into marts.customer_id_changes values (?, ?, ?, ?)", rows)


def _mark_build_start(con: duckdb.DuckDBPyConnection) -> None:
    """What customer_id_changes' pre-hook does: keep the newest change stored before the build."""
    con.execute("create schema if not exists intermediate")
    con.execute(
        f"create or replace table {BEFORE_LATEST_BUILD} as"
        " select max(changed_at) as changed_at from marts.customer_id_changes"
    )


def test_merges_count_only_the_latest_build(con: duckdb.DuckDBPyConnection) -> None:
    earlier, latest = datetime(2026, 11, 1), datetime(2026, 11, 2)
    _mark_build_start(con)
    _record_changes(con, [(f"old{i}", "new", earlier, "merge") for i in range(5)])
    _mark_build_start(con)
    _record_changes(
        con,
        [(f"late{i}", "new", latest, "merge") for i in range(2)]
        + [("split0", "new2", latest, "split")],
    )

    outcome = merges_in_latest_build(con, limit=2)
    assert outcome.passed and outcome.observed == 2
    assert not merges_in_latest_build(con, limit=1).passed


def test_merges_of_a_skipped_build_count_in_the_build_that_records_them(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """Identity ran at T1 and T2 and customer_id_changes was built only after T2: that build
    added both runs' merges, all of which the guardrail must see."""
    recorded, skipped, latest = (datetime(2026, 11, d) for d in (1, 2, 3))
    _record_changes(con, [("old", "new", recorded, "merge")])
    _mark_build_start(con)
    _record_changes(
        con,
        [(f"skipped{i}", "new", skipped, "merge") for i in range(3)]
        + [("late", "new", latest, "merge")],
    )

    outcome = merges_in_latest_build(con, limit=4)
    assert outcome.passed and outcome.observed == 4
    assert not merges_in_latest_build(con, limit=3).passed


def test_a_build_that_adds_no_change_merged_nobody(con: duckdb.DuckDBPyConnection) -> None:
    _record_changes(con, [(f"old{i}", "new", datetime(2026, 11, 1), "merge") for i in range(5)])
    _mark_build_start(con)

    outcome = merges_in_latest_build(con, limit=0)
    assert outcome.passed and outcome.observed == 0


def test_without_the_mark_every_change_counts(con: duckdb.DuckDBPyConnection) -> None:
    _record_changes(con, [(f"old{i}", "new", datetime(2026, 11, i + 1), "merge") for i in range(3)])
    assert merges_in_latest_build(con, limit=3).observed == 3


def test_no_id_changes_yet_passes(con: duckdb.DuckDBPyConnection) -> None:
    outcome = merges_in_latest_build(con, limit=0)
    assert outcome.passed and outcome.observed == 0


@pytest.mark.parametrize(
    ("current", "last", "passed"),
    [
        (150, 100, True),  # +50%: at the limit
        (151, 100, False),  # just past it
        (50, 100, True),  # -50%
        (49, 100, False),
        (0, 100, False),  # an audience that emptied itself
        (5000, None, True),  # first sync: nothing to compare
        (40, 10, True),  # both under the minimum size: not compared
    ],
)
def test_audience_change_limit(current: int, last: int | None, passed: bool) -> None:
    outcome = audience_change("vip", current, last, max_share=0.5, min_size=50)
    assert outcome.passed is passed
    assert outcome.detail.startswith("vip:")


def test_segment_size_counts_current_members(con: duckdb.DuckDBPyConnection) -> None:
    assert segment_size(con, "vip") == 2
    assert segment_size(con, "unknown") == 0
