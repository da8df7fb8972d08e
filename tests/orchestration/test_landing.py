"""Which landed files the ingestion sensor hands to a run, and with which run key."""

from __future__ import annotations

import os
import time
from pathlib import Path

from orchestration.landing import detect_change, encode_cursor, scan_landing

NOW = time.time_ns()
HOUR_NS = 3600 * 10**9


def _land(landing: Path, name: str, age_ns: int = HOUR_NS, text: str = "a,b\n") -> Path:
    path = landing / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    mtime = NOW - age_ns
    os.utime(path, ns=(mtime, mtime))
    return path


def test_scan_ignores_hidden_partial_and_top_level_files(tmp_path: Path) -> None:
    _land(tmp_path, "hubspot/contacts_20261101.csv")
    _land(tmp_path, "hubspot/.contacts_20261102.csv")
    _land(tmp_path, "stripe/charges_20261101.jsonl.part")
    _land(tmp_path, ".generated")
    assert list(scan_landing(tmp_path)) == ["hubspot/contacts_20261101.csv"]


def test_first_tick_takes_every_settled_file_and_names_their_systems(tmp_path: Path) -> None:
    _land(tmp_path, "hubspot/contacts_20261101.csv")
    _land(tmp_path, "stripe/charges_20261101.jsonl")
    change = detect_change(tmp_path, None, NOW, settle_seconds=10)
    assert change is not None
    assert change.systems == ["hubspot", "stripe"]
    assert set(change.cursor) == {"hubspot/contacts_20261101.csv", "stripe/charges_20261101.jsonl"}


def test_nothing_new_after_the_cursor_took_everything(tmp_path: Path) -> None:
    _land(tmp_path, "hubspot/contacts_20261101.csv")
    first = detect_change(tmp_path, None, NOW, settle_seconds=10)
    assert first is not None
    assert detect_change(tmp_path, encode_cursor(first.cursor), NOW, settle_seconds=10) is None


def test_new_file_and_redelivered_file_are_new_but_unchanged_one_is_not(tmp_path: Path) -> None:
    _land(tmp_path, "hubspot/contacts_20261101.csv")
    _land(tmp_path, "vnpay/transactions_20261101.csv")
    cursor = encode_cursor(detect_change(tmp_path, None, NOW, settle_seconds=10).cursor)

    _land(tmp_path, "hubspot/contacts_20261101.csv", age_ns=HOUR_NS // 2, text="a,b\n1,2\n")
    _land(tmp_path, "google_ads/clicks_20261102.csv", age_ns=HOUR_NS // 2)
    change = detect_change(tmp_path, cursor, NOW, settle_seconds=10)

    assert change is not None
    assert sorted(change.files) == [
        "google_ads/clicks_20261102.csv",
        "hubspot/contacts_20261101.csv",
    ]
    assert change.systems == ["google_ads", "hubspot"]
    assert "vnpay/transactions_20261101.csv" in change.cursor


def test_file_still_being_written_waits_for_a_later_tick(tmp_path: Path) -> None:
    _land(tmp_path, "mailchimp/subscribed_20261101.csv", age_ns=2 * 10**9)
    assert detect_change(tmp_path, None, NOW, settle_seconds=10) is None
    later = NOW + 20 * 10**9
    assert detect_change(tmp_path, None, later, settle_seconds=10) is not None


def test_run_key_is_stable_for_a_file_set_and_differs_between_sets(tmp_path: Path) -> None:
    _land(tmp_path, "hubspot/contacts_20261101.csv")
    one = detect_change(tmp_path, None, NOW, settle_seconds=10)
    again = detect_change(tmp_path, None, NOW, settle_seconds=10)
    _land(tmp_path, "hubspot/deals_20261101.csv")
    two = detect_change(tmp_path, None, NOW, settle_seconds=10)
    assert one.run_key == again.run_key
    assert one.run_key != two.run_key
