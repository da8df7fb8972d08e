"""Incremental event models against a full rebuild: a copy of the built S warehouse takes two
change sets through plain incremental builds, then a second copy rebuilds the event models from
scratch (`--full-refresh`), and both must hold the same rows.

Change set 1: a new day of email activity, 1% of Mailchimp members re-delivered with a new change
time, and a late VNPay payment carrying one customer's email and another's phone, which merges
the two, and a second payment. Change set 2: the first payment corrected without the phone,
which splits them again, and the second one corrected to failed, which withdraws its order.
Each incremental build stamps the rows it writes (`written_at`) and leaves the others' stamps.
"""

from __future__ import annotations

import csv
import json
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from test_stable_customer_ids import write_vnpay_delivery

from ingestion.pipelines import load_all
from orchestration.dbt_runner import run_dbt
from tests.dbt_project.dbt_invocations import last_invocation_start
from tests.dbt_project.stored_events import StoredEvent, stored_events

pytestmark = pytest.mark.slow

AS_OF = {"as_of": "2026-11-05"}
EVENT_MODELS = [
    "stg_mailchimp__campaign_activities",
    "customer_events",
    "customers",
    "customer_traits",
]
LATE_PAYMENT = "DH2026110300077"
WITHDRAWN_PAYMENT = "DH2026110300078"
REDELIVERED_AT = "2026-11-03 09:00:00"


@dataclass(frozen=True)
class IncrementalBuild:
    """customer_events around one incremental build."""

    before: dict[str, StoredEvent]
    after: dict[str, StoredEvent]
    started_at: datetime
    rewritten_unchanged: frozenset[str]
    """The email activities of members the build's loads re-delivered, which it rewrites as
    they were: the member's load is new to customer_events."""


@dataclass(frozen=True)
class Builds:
    incremental: Path
    full: Path
    merged_customers: tuple[str, str]
    change_sets: tuple[IncrementalBuild, IncrementalBuild]


def _pick_two_customers(warehouse: Path, buyer_first: bool = False) -> tuple[str, str, str, str]:
    """A customer with email activity (its email) and a buyer who is no Mailchimp member (its
    phone): joining them breaks no per-customer limit, so the late payment merges them. With
    `buyer_first`, the buyer's id sorts first, so among ids created in the same run it is the one
    a merge keeps."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            """
            with openers as (
                select distinct customer_id from marts.customer_events
                where event_type = 'email_open'
            ),
            buyers as (
                select distinct customer_id from marts.customer_events where event_type = 'order'
                except
                select customer_id from marts.customer_identifiers
                where identifier_type = 'mailchimp_member_id'
            )
            select e.customer_id, e.identifier_value, p.customer_id, p.identifier_value
            from marts.customer_identifiers as e
            join openers on openers.customer_id = e.customer_id
            join marts.customer_identifiers as p
                on p.identifier_type = 'phone' and p.identifier_value like '+84%'
            join buyers on buyers.customer_id = p.customer_id
            where e.identifier_type = 'email' and p.customer_id <> e.customer_id
                and (not ? or p.customer_id < e.customer_id)
            order by e.customer_id, p.customer_id
            limit 1
            """,
            [buyer_first],
        ).fetchall()
    return rows[0]


def _write_email_day(landing: Path, emails: list[str]) -> None:
    folder = landing / "mailchimp"
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "campaign_activity_20261103.jsonl").open("w", encoding="utf-8") as handle:
        for minute, email in enumerate(emails):
            event = {
                "campaign_id": "inc0000001",
                "list_id": "48915e0e8d",
                "email_address": email,
                "action": "open",
                "timestamp": f"2026-11-03T08:{minute:02d}:00+00:00",
                "url": None,
                "ip": None,
            }
            handle.write(json.dumps(event) + "\n")


def _redeliver_members(sample_landing: Path, landing: Path) -> None:
    """Every 100th subscribed member again, with a new LAST_CHANGED."""
    source = sorted((sample_landing / "mailchimp").glob("subscribed_*.csv"))[0]
    with source.open(encoding="utf-8", newline="") as src:
        reader = csv.DictReader(src)
        rows = [row for index, row in enumerate(reader) if index % 100 == 0]
        header = reader.fieldnames or []
    out = landing / "mailchimp" / "subscribed_20261103.csv"
    with out.open("w", encoding="utf-8", newline="") as dst:
        writer = csv.DictWriter(dst, fieldnames=header, quoting=csv.QUOTE_ALL)
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, "LAST_CHANGED": REDELIVERED_AT})


def _redelivered_activities(warehouse: Path) -> frozenset[str]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select 'mailchimp:' || activity_id from staging.stg_mailchimp__campaign_activities"
            " where email in (select email from staging.stg_mailchimp__members"
            " where last_changed_at = cast(? as timestamp))",
            [REDELIVERED_AT],
        ).fetchall()
    return frozenset(event_id for (event_id,) in rows)


def _incremental_build(warehouse: Path, target: Path, redelivers_members: bool) -> IncrementalBuild:
    before = stored_events(warehouse)
    _build(warehouse, target)
    after = stored_events(warehouse)
    redelivered = _redelivered_activities(warehouse) if redelivers_members else frozenset()
    return IncrementalBuild(
        before=before,
        after=after,
        started_at=last_invocation_start(warehouse),
        rewritten_unchanged=redelivered & after.keys(),
    )


def _build(warehouse: Path, target: Path, *extra: str) -> None:
    run_dbt(
        ["build", "--exclude", "test_type:data", *extra],
        warehouse,
        target_dir=target,
        dbt_vars=AS_OF,
    ).raise_on_failure()


@pytest.fixture(scope="module")
def builds(
    built_warehouse: Path, sample_exports: Path, tmp_path_factory: pytest.TempPathFactory
) -> Builds:
    root = tmp_path_factory.mktemp("incremental_events")
    warehouse = root / "incremental.duckdb"
    shutil.copy(built_warehouse, warehouse)
    first, email, second, phone = _pick_two_customers(warehouse)

    landing = root / "landing_1"
    _write_email_day(landing, [email])
    _redeliver_members(sample_exports / "landing", landing)
    national_phone = "0" + phone.removeprefix("+84")
    write_vnpay_delivery(landing, "transactions_20261103.csv", LATE_PAYMENT, email, national_phone)
    write_vnpay_delivery(landing, "transactions_20261103_b.csv", WITHDRAWN_PAYMENT, email, "")
    load_all(landing, warehouse, systems=["mailchimp", "vnpay"])
    first_change_set = _incremental_build(warehouse, root / "target", redelivers_members=True)

    correction = root / "landing_2"
    write_vnpay_delivery(correction, "transactions_20261104.csv", LATE_PAYMENT, email, "")
    write_vnpay_delivery(
        correction, "transactions_20261104_b.csv", WITHDRAWN_PAYMENT, email, "", response_code="24"
    )
    load_all(correction, warehouse, systems=["vnpay"])
    second_change_set = _incremental_build(warehouse, root / "target", redelivers_members=False)

    full = root / "full.duckdb"
    shutil.copy(warehouse, full)
    _build(full, root / "target_full", "--full-refresh", "--select", *EVENT_MODELS)
    return Builds(
        incremental=warehouse,
        full=full,
        merged_customers=(first, second),
        change_sets=(first_change_set, second_change_set),
    )


def _rows(warehouse: Path, query: str, *params: object) -> list[tuple[object, ...]]:
    """Rows in a fixed order; floats rounded, as sums of the same amounts may differ in the last
    bits with the order DuckDB's threads add them in."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(query, list(params)).fetchall()
    rounded = [tuple(round(v, 6) if isinstance(v, float) else v for v in row) for row in rows]
    return sorted(rounded, key=repr)


def test_the_change_sets_merged_two_customers_and_split_them_again(builds: Builds) -> None:
    first, second = builds.merged_customers
    changes = _rows(
        builds.incremental,
        "select old_customer_id, new_customer_id, reason from marts.customer_id_changes",
    )
    assert any(reason == "merge" and {old, new} == {first, second} for old, new, reason in changes)
    assert any(reason == "split" and old in (first, second) for old, _, reason in changes)


def _comparable_rows(model: str) -> str:
    """Every column of the mart but the build that wrote the row (customer_events' `written_at`),
    which a rebuild renews by design."""
    written_at = " exclude (written_at)" if model == "customer_events" else ""
    return f"select *{written_at} from marts.{model}"


@pytest.mark.parametrize("model", ["customer_events", "customers", "customer_traits"])
def test_incremental_runs_leave_the_same_rows_as_a_full_rebuild(builds: Builds, model: str) -> None:
    query = _comparable_rows(model)
    incremental = _rows(builds.incremental, query)
    assert incremental == _rows(builds.full, query)
    assert incremental


@pytest.mark.parametrize("change_set", [0, 1], ids=["change-set-1", "change-set-2"])
def test_an_incremental_build_stamps_the_rows_it_writes_and_leaves_the_others(
    builds: Builds, change_set: int
) -> None:
    build = builds.change_sets[change_set]
    changed = {
        event_id
        for event_id, event in build.after.items()
        if event_id not in build.before or build.before[event_id].columns != event.columns
    }
    stamped = {
        event_id for event_id, event in build.after.items() if event.written_at == build.started_at
    }

    assert changed
    assert stamped == changed | build.rewritten_unchanged
    assert all(
        build.after[event_id].written_at == build.before[event_id].written_at
        for event_id in build.after.keys() - stamped
    )


def test_the_first_change_set_rewrote_the_redelivered_members_activities_as_they_were(
    builds: Builds,
) -> None:
    """The premise of the email branch's stamping above: activities it rewrote unchanged."""
    build = builds.change_sets[0]
    unchanged = {
        event_id
        for event_id in build.rewritten_unchanged & build.before.keys()
        if build.before[event_id].columns == build.after[event_id].columns
    }
    assert unchanged


def test_the_new_day_of_email_activity_reached_the_customer(builds: Builds) -> None:
    opens = _rows(
        builds.incremental,
        "select count(*) from marts.customer_events where campaign_id = 'inc0000001'",
    )
    assert opens == [(1,)]


def test_a_payment_corrected_to_failed_leaves_no_order_behind(builds: Builds) -> None:
    orders = _rows(
        builds.incremental,
        "select count(*) from marts.customer_events"
        f" where source_record_id = '{WITHDRAWN_PAYMENT}'",
    )
    assert orders == [(0,)]


@dataclass(frozen=True)
class StoppedRun:
    incremental: Path
    full: Path
    opener: str
    survivor: str


@pytest.fixture(scope="module")
def stopped_run(built_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> StoppedRun:
    """A late payment merges an email opener into an older buyer in a run that stops after
    identity, before the marts; the next run also writes assignments (a new buyer), so the
    merge is no longer among the latest run's, and only then do the marts build."""
    root = tmp_path_factory.mktemp("stopped_run_events")
    warehouse = root / "incremental.duckdb"
    shutil.copy(built_warehouse, warehouse)
    opener, email, buyer, phone = _pick_two_customers(warehouse, buyer_first=True)

    merge = root / "landing_1"
    national_phone = "0" + phone.removeprefix("+84")
    write_vnpay_delivery(merge, "transactions_20261103.csv", LATE_PAYMENT, email, national_phone)
    load_all(merge, warehouse, systems=["vnpay"])
    _build(warehouse, root / "target", "--select", "+int_identity__record_customers")

    newcomer = root / "landing_2"
    write_vnpay_delivery(
        newcomer, "transactions_20261104.csv", WITHDRAWN_PAYMENT, "newcomer@example.vn", ""
    )
    load_all(newcomer, warehouse, systems=["vnpay"])
    _build(warehouse, root / "target")

    full = root / "full.duckdb"
    shutil.copy(warehouse, full)
    _build(full, root / "target_full", "--full-refresh", "--select", *EVENT_MODELS)
    return StoppedRun(incremental=warehouse, full=full, opener=opener, survivor=buyer)


def test_the_stopped_run_moved_the_openers_member_and_the_next_run_wrote_assignments(
    stopped_run: StoppedRun,
) -> None:
    """The scenario's premise: without it the test below proves nothing."""
    runs = _rows(
        stopped_run.incremental,
        "select assigned_at, bool_or(record_key like 'mailchimp:members:%' and change_reason ="
        " 'merge' and previous_customer_id = ? and customer_id = ?)"
        " from intermediate.int_identity__record_customers"
        " group by 1 order by 1 desc limit 2",
        stopped_run.opener,
        stopped_run.survivor,
    )
    assert [moved for _, moved in sorted(runs, key=lambda run: run[0])] == [True, False]


def test_activity_merged_by_a_run_that_stopped_before_the_marts_reaches_the_survivor(
    stopped_run: StoppedRun,
) -> None:
    query = _comparable_rows("customer_events")
    assert _rows(stopped_run.incremental, query) == _rows(stopped_run.full, query)
    retired = _rows(
        stopped_run.incremental,
        "select count(*) from marts.customer_events where customer_id = ?",
        stopped_run.opener,
    )
    assert retired == [(0,)]
