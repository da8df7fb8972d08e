"""The incremental benchmark's change set: deterministic, and the truth follows the merge."""

from __future__ import annotations

import csv
import filecmp
import shutil
from pathlib import Path

import pytest

from benchmarks.datasets import ensure_dataset
from benchmarks.increment import INCREMENT_STAMP, MERGE_RECORD_ID, ensure_increment


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ensure_dataset(tmp_path_factory.mktemp("bench"), "XS")


def _truth(path: Path) -> dict[tuple[str, str, str], str]:
    with path.open(newline="") as handle:
        return {
            (r["source"], r["source_table"], r["source_record_id"]): r["person_id"]
            for r in csv.DictReader(handle)
        }


def test_late_record_merges_two_people_in_the_new_truth(dataset: Path) -> None:
    increment = ensure_increment(dataset)
    merge = increment.summary["merge"]
    kept, merged = merge["kept_person"], merge["merged_person"]
    before, after = _truth(dataset / "truth" / "records.csv"), _truth(increment.truth)
    assert kept != merged
    assert merged in before.values() and merged not in after.values()
    assert after[("hubspot", "contacts", MERGE_RECORD_ID)] == kept
    moved = [key for key, person in before.items() if person == merged]
    assert moved and all(after[key] == kept for key in moved)
    assert len(after) == len(before) + 1


def test_late_record_carries_one_persons_email_and_the_others_phone(dataset: Path) -> None:
    increment = ensure_increment(dataset)
    (late,) = increment.landing.glob(f"hubspot/contacts_{INCREMENT_STAMP}_bench_late_merge.csv")
    with late.open(newline="") as handle:
        (row,) = list(csv.DictReader(handle))
    truth = _truth(dataset / "truth" / "records.csv")
    kept, merged = (increment.summary["merge"][k] for k in ("kept_person", "merged_person"))
    contacts = dataset / "landing" / "hubspot" / "contacts_20261101.csv"
    with contacts.open(newline="") as handle:
        owners = {
            truth.get(("hubspot", "contacts", r["Record ID"]))
            for r in csv.DictReader(handle)
            if r["Email"].strip().lower() == row["Email"]
        }
    assert owners == {kept}
    customers = next(dataset.glob("landing/stripe/customers_*.jsonl")).read_text()
    assert f'"phone":"{row["Phone Number"]}"' in customers
    assert merged in truth.values()


def test_change_set_is_the_same_every_time(dataset: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(dataset / "landing", copy / "landing")
    shutil.copytree(dataset / "truth", copy / "truth")
    first, second = ensure_increment(dataset), ensure_increment(copy)
    files = sorted(p.relative_to(first.landing) for p in first.landing.rglob("*") if p.is_file())
    assert files
    assert all(filecmp.cmp(first.landing / f, second.landing / f, shallow=False) for f in files)
    assert filecmp.cmp(first.truth, second.truth, shallow=False)


def test_one_percent_of_keyed_records_and_one_new_day_of_events(dataset: Path) -> None:
    increment = ensure_increment(dataset)
    written = increment.summary["files"]
    changed = next(v for k, v in written.items() if "bench_changes_contacts_20261101" in k)
    with next(dataset.glob("landing/hubspot/contacts_20261101.csv")).open(newline="") as handle:
        contacts = sum(1 for _ in csv.DictReader(handle))
    assert changed == -(-contacts // 100)
    next_day = next(increment.landing.glob("facebook_ads/*_bench_next_day.csv"))
    with next_day.open(newline="") as handle:
        days = {row["date_start"] for row in csv.DictReader(handle)}
    assert days == {"2026-11-02"}
