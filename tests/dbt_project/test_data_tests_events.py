"""customer_events' tests restricted to the rows a build wrote still fail on what a build writes.

In an incremental `dbt build` after a build that built and tested everything, customer_events'
`unique(event_id)` looks for the ids of the rows stamped at or after the build's start
(`written_at`) among all rows, and `accepted_values(event_type)` checks those rows only
(`meta: {written_at_run_start: written_at}`, dbt_project/macros/tests/tested_builds.sql).

A copy of the built S warehouse gets events as a build writes them: copies of a stored email
activity stamped a day after the newest stored row or now, whichever is later (so after the
build's start too). The selected build's incremental run finds no unseen load and no member with
a new customer, so it leaves email activity alone, planted rows included: the build must fail the
test with the restricted SQL. A defect among untouched rows (an old stamp) is outside what such a
build checks (it cannot write one there) and the build passes; a plain `dbt test` checks every
row and fails on it.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.dbt_project.dbt_invocations import (
    failing_invocation,
    last_build_tested_everything,
    passing_invocation,
    plant_written_rows,
)

pytestmark = pytest.mark.slow

UNIQUE = "unique_customer_events_event_id"
EVENT_TYPES = (
    "accepted_values_customer_events_event_type__order__refund__email_sent__email_open"
    "__email_click__email_bounce__lead__ad_click"
)
RESTRICTION = "written_at >= cast("
PLANTED_ID = "'mailchimp:planted'"


def plant_written_events(
    warehouse: Path, event_ids: list[str], event_type: str = "event_type"
) -> None:
    """A copy of a stored email activity per event id (SQL), with `event_type` (SQL), stamped as
    a build starting after now would stamp it."""
    plant_written_rows(
        warehouse,
        "marts.customer_events",
        "written_at",
        [{"event_id": event_id, "event_type": event_type} for event_id in event_ids],
        order_by="event_id",
        where="source_table = 'campaign_activity'",
    )


@pytest.mark.parametrize(
    "event_ids",
    [["event_id"], [PLANTED_ID] * 2],
    ids=["written-repeats-untouched", "repeated-among-written"],
)
def test_an_incremental_build_fails_on_a_repeated_event_id_it_wrote(
    warehouse_copy: Path, tmp_path: Path, event_ids: list[str]
) -> None:
    assert last_build_tested_everything(warehouse_copy)
    plant_written_events(warehouse_copy, event_ids)

    tests = failing_invocation(
        warehouse_copy, tmp_path / "target", "build", "--select", "customer_events"
    )

    assert tests[UNIQUE]["status"] == "fail"
    assert tests[UNIQUE]["failures"] == 1
    assert RESTRICTION in tests[UNIQUE]["compiled_code"]


def test_an_incremental_build_fails_on_an_event_type_it_wrote_outside_the_list(
    warehouse_copy: Path, tmp_path: Path
) -> None:
    assert last_build_tested_everything(warehouse_copy)
    plant_written_events(warehouse_copy, [PLANTED_ID], event_type="'email_forward'")

    tests = failing_invocation(
        warehouse_copy, tmp_path / "target", "build", "--select", "customer_events"
    )

    assert tests[EVENT_TYPES]["status"] == "fail"
    assert RESTRICTION in tests[EVENT_TYPES]["compiled_code"]


UNTOUCHED_DEFECTS = pytest.mark.parametrize(
    ("test", "planted"),
    [
        (UNIQUE, "select * from marts.customer_events"),
        (
            EVENT_TYPES,
            "select * replace ('email_forward' as event_type) from marts.customer_events",
        ),
    ],
    ids=["repeated-event-id", "event-type-outside-the-list"],
)


def plant_untouched_defect(warehouse: Path, planted: str) -> None:
    """A stored email activity's copy by `planted` (SQL), with its old stamp: written outside
    dbt, not a row a build wrote."""
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            f"insert into marts.customer_events {planted}"
            " where source_table = 'campaign_activity' order by event_id limit 1"
        )


@UNTOUCHED_DEFECTS
def test_a_plain_dbt_test_checks_every_row(
    warehouse_copy: Path, tmp_path: Path, test: str, planted: str
) -> None:
    """A defect written outside dbt, with an old stamp (not a row a build wrote), is found by
    `dbt test`, the audit of the whole warehouse."""
    plant_untouched_defect(warehouse_copy, planted)

    tests = failing_invocation(warehouse_copy, tmp_path / "target", "test", "--select", test)

    assert tests[test]["status"] == "fail"
    assert RESTRICTION not in tests[test]["compiled_code"]


@UNTOUCHED_DEFECTS
def test_an_incremental_build_leaves_a_defect_among_untouched_rows_to_dbt_test(
    warehouse_copy: Path, tmp_path: Path, test: str, planted: str
) -> None:
    """The restriction's documented scope: a build that cannot have written the defect checks
    only the rows it wrote and passes."""
    assert last_build_tested_everything(warehouse_copy)
    plant_untouched_defect(warehouse_copy, planted)

    tests = passing_invocation(
        warehouse_copy, tmp_path / "target", "build", "--select", "customer_events"
    )

    assert tests[test]["status"] == "pass"
    assert RESTRICTION in tests[test]["compiled_code"]
