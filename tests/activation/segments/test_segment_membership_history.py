"""Membership history kept across dbt runs: entries, exits, preserved entered_at, "who was in S on
date D" as one query, one size row per run date, and idempotent reruns."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from segment_sandbox import dbt_build, members, query, write_sandbox

RUN_1 = "2026-11-01 00:00:00"
RUN_2 = "2026-11-20 00:00:00"

CUSTOMERS = [{"customer_id": customer} for customer in ("leaver", "joiner", "stayer", "never")]
TRAITS = [{"customer_id": customer} for customer in ("leaver", "joiner", "stayer", "never")]
EVENTS = [
    # 17 days before run 1 (in), 36 days before run 2 (out): exits at run 2
    {"event_id": "e1", "customer_id": "leaver", "event_type": "email_open",
     "occurred_at": datetime(2026, 10, 15)},
    # after run 1 (not yet), 10 days before run 2 (in): enters at run 2
    {"event_id": "e2", "customer_id": "joiner", "event_type": "email_open",
     "occurred_at": datetime(2026, 11, 10)},
    # inside both windows: stays, keeps its first entered_at
    {"event_id": "e3", "customer_id": "stayer", "event_type": "email_open",
     "occurred_at": datetime(2026, 10, 25)},
    {"event_id": "e4", "customer_id": "never", "event_type": "email_sent",
     "occurred_at": datetime(2026, 10, 25)},
]  # fmt: skip
SPECS = {
    "openers_30d": {
        "name": "openers_30d",
        "description": "Opened an email in the last 30 days.",
        "owner": "qa",
        "rules": {"did": "email_open", "in_last_days": 30},
    }
}

WHO_WAS_IN = """
    select customer_id from marts.segment_membership_history
    where segment = ? and valid_from <= cast(? as timestamp)
      and (valid_to is null or valid_to > cast(? as timestamp))
"""


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    root = tmp_path_factory.mktemp("segments_history")
    project = write_sandbox(root / "project", SPECS, CUSTOMERS, TRAITS, EVENTS)
    warehouse = root / "warehouse.duckdb"
    dbt_build(project, RUN_1, warehouse)
    after_run_1 = members(warehouse, "openers_30d")
    dbt_build(project, RUN_2, warehouse)
    history_after_run_2 = query(
        warehouse, "select * from marts.segment_membership_history order by all"
    )
    dbt_build(project, RUN_2, warehouse)
    dbt_build(project, RUN_2, warehouse, "--full-refresh")
    return {"warehouse": warehouse, "after_run_1": after_run_1, "history": history_after_run_2}


@pytest.mark.slow
def test_someone_enters_and_someone_exits_between_runs(two_runs: dict) -> None:
    assert two_runs["after_run_1"] == {"leaver", "stayer"}
    assert members(two_runs["warehouse"], "openers_30d") == {"joiner", "stayer"}


@pytest.mark.slow
def test_history_records_entry_and_exit_times(two_runs: dict) -> None:
    rows = query(
        two_runs["warehouse"],
        "select customer_id, valid_from, valid_to from marts.segment_membership_history "
        "where segment = 'openers_30d' order by customer_id",
    )
    run_1, run_2 = datetime(2026, 11, 1), datetime(2026, 11, 20)
    assert rows == [
        ("joiner", run_2, None),
        ("leaver", run_1, run_2),
        ("stayer", run_1, None),
    ]


@pytest.mark.slow
def test_entered_at_is_preserved_while_a_customer_stays(two_runs: dict) -> None:
    rows = query(
        two_runs["warehouse"],
        "select customer_id, entered_at from marts.segment_memberships order by customer_id",
    )
    assert rows == [("joiner", datetime(2026, 11, 20)), ("stayer", datetime(2026, 11, 1))]


@pytest.mark.slow
def test_who_was_in_a_segment_on_a_date_is_one_query(two_runs: dict) -> None:
    def who(at: str) -> set[str]:
        rows = query(two_runs["warehouse"], WHO_WAS_IN, ["openers_30d", at, at])
        return {row[0] for row in rows}

    assert who("2026-10-31") == set()
    assert who("2026-11-10") == {"leaver", "stayer"}
    assert who("2026-11-20") == {"joiner", "stayer"}


@pytest.mark.slow
def test_sizes_keep_one_row_per_run_date(two_runs: dict) -> None:
    rows = query(
        two_runs["warehouse"],
        "select run_date, members from marts.segment_sizes where segment = 'openers_30d' "
        "order by run_date",
    )
    assert rows == [(date(2026, 11, 1), 2), (date(2026, 11, 20), 2)]


@pytest.mark.slow
def test_rerun_and_full_refresh_with_the_same_as_of_change_nothing(two_runs: dict) -> None:
    history = query(
        two_runs["warehouse"], "select * from marts.segment_membership_history order by all"
    )
    assert history == two_runs["history"]
