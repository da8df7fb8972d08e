"""Which landed files the ingestion sensor hands to a run, with which run key, and what it does
once that run succeeded or failed."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from orchestration.landing import (
    MAX_ATTEMPTS,
    LandingCursor,
    LandingRequest,
    LandingTick,
    RunOutcome,
    next_tick,
    scan_landing,
)

NOW = time.time_ns()
HOUR_NS = 3600 * 10**9


def _land(landing: Path, name: str, age_ns: int = HOUR_NS, text: str = "a,b\n") -> Path:
    path = landing / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    mtime = NOW - age_ns
    os.utime(path, ns=(mtime, mtime))
    return path


def _tick(
    landing: Path,
    cursor: LandingCursor | None = None,
    outcomes: dict[str, RunOutcome] | None = None,
    now_ns: int = NOW,
) -> LandingTick:
    return next_tick(landing, cursor or LandingCursor(), outcomes or {}, now_ns, settle_seconds=10)


def test_scan_ignores_hidden_partial_and_top_level_files(tmp_path: Path) -> None:
    _land(tmp_path, "hubspot/contacts_20261101.csv")
    _land(tmp_path, "hubspot/.contacts_20261102.csv")
    _land(tmp_path, "stripe/charges_20261101.jsonl.part")
    _land(tmp_path, ".generated")
    assert list(scan_landing(tmp_path)) == ["hubspot/contacts_20261101.csv"]


def test_first_tick_takes_every_settled_file_and_names_their_systems(tmp_path: Path) -> None:
    _land(tmp_path, "hubspot/contacts_20261101.csv")
    _land(tmp_path, "stripe/charges_20261101.jsonl")
    tick = _tick(tmp_path)
    assert tick.fresh is not None
    assert tick.fresh.systems == ["hubspot", "stripe"]
    assert set(tick.cursor.seen) == {
        "hubspot/contacts_20261101.csv",
        "stripe/charges_20261101.jsonl",
    }


def test_nothing_new_after_the_cursor_took_everything(tmp_path: Path) -> None:
    _land(tmp_path, "hubspot/contacts_20261101.csv")
    first = _tick(tmp_path)
    assert first.fresh is not None
    assert _tick(tmp_path, LandingCursor.decode(first.cursor.encode())).requests == []


def test_new_file_and_redelivered_file_are_new_but_unchanged_one_is_not(tmp_path: Path) -> None:
    _land(tmp_path, "hubspot/contacts_20261101.csv")
    _land(tmp_path, "vnpay/transactions_20261101.csv")
    cursor = _tick(tmp_path).cursor

    _land(tmp_path, "hubspot/contacts_20261101.csv", age_ns=HOUR_NS // 2, text="a,b\n1,2\n")
    _land(tmp_path, "google_ads/clicks_20261102.csv", age_ns=HOUR_NS // 2)
    tick = _tick(tmp_path, cursor)

    assert tick.fresh is not None
    assert sorted(tick.fresh.files) == [
        "google_ads/clicks_20261102.csv",
        "hubspot/contacts_20261101.csv",
    ]
    assert tick.fresh.systems == ["google_ads", "hubspot"]
    assert "vnpay/transactions_20261101.csv" in tick.cursor.seen


def test_file_still_being_written_waits_for_a_later_tick(tmp_path: Path) -> None:
    _land(tmp_path, "mailchimp/subscribed_20261101.csv", age_ns=2 * 10**9)
    assert _tick(tmp_path).fresh is None
    assert _tick(tmp_path, now_ns=NOW + 20 * 10**9).fresh is not None


def test_run_key_is_stable_for_a_file_set_and_differs_between_sets(tmp_path: Path) -> None:
    _land(tmp_path, "hubspot/contacts_20261101.csv")
    one = _tick(tmp_path).fresh
    again = _tick(tmp_path).fresh
    _land(tmp_path, "hubspot/deals_20261101.csv")
    two = _tick(tmp_path).fresh
    assert one is not None and again is not None and two is not None
    assert one.run_key == again.run_key
    assert one.run_key != two.run_key


def test_requested_files_stay_pending_until_their_run_succeeds(tmp_path: Path) -> None:
    _land(tmp_path, "hubspot/contacts_20261101.csv")
    first = _tick(tmp_path)
    assert first.fresh is not None
    key = first.fresh.run_key
    assert list(first.cursor.pending) == [key]

    waiting = _tick(tmp_path, first.cursor)
    assert waiting.requests == []
    assert waiting.cursor.pending == first.cursor.pending

    done = _tick(tmp_path, first.cursor, {key: RunOutcome.SUCCEEDED})
    assert done.requests == []
    assert done.cursor.pending == {}


def test_failed_runs_files_are_requested_again_under_a_new_key(tmp_path: Path) -> None:
    _land(tmp_path, "hubspot/contacts_20261101.csv")
    first = _tick(tmp_path)
    assert first.fresh is not None
    key = first.fresh.run_key

    tick = _tick(tmp_path, first.cursor, {key: RunOutcome.FAILED})

    assert tick.fresh is None
    (retry,) = tick.requests
    assert retry.files == first.fresh.files
    assert retry.attempt == 2
    assert retry.run_key == f"{key}-retry1"
    assert tick.cursor.pending == {retry.run_key: retry}
    again = _tick(tmp_path, first.cursor, {key: RunOutcome.FAILED})
    assert again.requests[0].run_key == retry.run_key


def test_files_are_given_up_after_max_attempts_failed_runs(tmp_path: Path) -> None:
    _land(tmp_path, "hubspot/contacts_20261101.csv")
    cursor = _tick(tmp_path).cursor
    keys = []
    for _ in range(MAX_ATTEMPTS - 1):
        (key,) = cursor.pending
        keys.append(key)
        cursor = _tick(tmp_path, cursor, {key: RunOutcome.FAILED}).cursor
    (last_key,) = cursor.pending
    assert last_key.endswith(f"-retry{MAX_ATTEMPTS - 1}")
    assert len(set([*keys, last_key])) == MAX_ATTEMPTS

    tick = _tick(tmp_path, cursor, {last_key: RunOutcome.FAILED})

    assert tick.requests == []
    assert set(tick.abandoned) == {last_key}
    assert list(tick.abandoned[last_key].files) == ["hubspot/contacts_20261101.csv"]
    assert tick.cursor.pending == {}
    assert "hubspot/contacts_20261101.csv" in tick.cursor.seen


def test_redelivered_file_supersedes_its_pending_version(tmp_path: Path) -> None:
    _land(tmp_path, "hubspot/contacts_20261101.csv")
    _land(tmp_path, "stripe/charges_20261101.jsonl")
    first = _tick(tmp_path)
    assert first.fresh is not None
    key = first.fresh.run_key

    _land(tmp_path, "hubspot/contacts_20261101.csv", age_ns=HOUR_NS // 2, text="a,b\n1,2\n")
    tick = _tick(tmp_path, first.cursor, {key: RunOutcome.FAILED})

    assert tick.fresh is not None
    assert list(tick.fresh.files) == ["hubspot/contacts_20261101.csv"]
    assert list(tick.retries[key].files) == ["stripe/charges_20261101.jsonl"]
    assert sorted(request.run_key for request in tick.requests) == sorted(tick.cursor.pending)

    _land(tmp_path, "stripe/charges_20261101.jsonl", age_ns=HOUR_NS // 4, text="{}\n")
    superseded = _tick(tmp_path, tick.cursor)
    assert superseded.retries == {}
    assert superseded.fresh is not None
    assert set(superseded.cursor.pending) == {
        tick.fresh.run_key,
        superseded.fresh.run_key,
    }


def test_old_flat_cursor_reads_as_seen_files_with_nothing_pending(tmp_path: Path) -> None:
    old = _land(tmp_path, "hubspot/contacts_20261101.csv")
    flat = json.dumps({"hubspot/contacts_20261101.csv": old.stat().st_mtime_ns})
    _land(tmp_path, "stripe/charges_20261101.jsonl")

    cursor = LandingCursor.decode(flat)
    tick = _tick(tmp_path, cursor)

    assert cursor.pending == {}
    assert tick.fresh is not None
    assert list(tick.fresh.files) == ["stripe/charges_20261101.jsonl"]
    assert LandingCursor.decode(tick.cursor.encode()) == tick.cursor


def test_cursor_round_trips_its_pending_requests() -> None:
    request = LandingRequest({"hubspot/contacts_20261101.csv": 7}, attempt=2)
    cursor = LandingCursor(seen=dict(request.files), pending={request.run_key: request})
    assert LandingCursor.decode(cursor.encode()) == cursor
