"""The truth lists exactly the person records a loader stores, and it is reachable by linking."""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

from generated_exports import PERSON_RECORDS, read_truth, records
from reference_linker import identifiers, link, normal_email, pairwise


def _stored_keys(root: Path) -> set[tuple[str, str, str]]:
    keys = set()
    for _system, export_type, _path, _line, row in records(root):
        if row is not None and export_type in PERSON_RECORDS:
            source, table, key = PERSON_RECORDS[export_type]
            keys.add((source, table, str(row[key])))
    return keys


def test_truth_has_exactly_one_row_per_stored_person_record(sample_exports: Path) -> None:
    truth = read_truth(sample_exports)
    keys = [(r["source"], r["source_table"], r["source_record_id"]) for r in truth]
    assert [k for k, n in Counter(keys).items() if n > 1] == []
    assert set(keys) == _stored_keys(sample_exports)


def test_truth_covers_every_source_table(sample_exports: Path) -> None:
    tables = Counter((r["source"], r["source_table"]) for r in read_truth(sample_exports))
    assert set(tables) == {(s, t) for s, t, _ in PERSON_RECORDS.values()}


def test_anonymous_clickers_are_people_of_their_own(sample_exports: Path) -> None:
    truth = read_truth(sample_exports)
    anonymous = Counter(r["person_id"] for r in truth if r["person_id"].startswith("A"))
    assert anonymous and set(anonymous.values()) == {1}
    assert {r["source_table"] for r in truth if r["person_id"].startswith("A")} == {"clicks"}
    known = [r for r in truth if r["source_table"] == "clicks" and r["person_id"].startswith("P")]
    assert known, "some clicks belong to known people through their gclid"


def test_deterministic_linking_reaches_the_truth(sample_exports: Path) -> None:
    precision, recall = pairwise(read_truth(sample_exports), link(sample_exports))
    assert precision >= 0.995
    assert recall >= 0.98


def test_some_people_use_different_emails_in_different_systems(sample_exports: Path) -> None:
    """The mess that makes identity resolution necessary really is in the sample."""
    person = {
        (r["source"], r["source_table"], r["source_record_id"]): r["person_id"]
        for r in read_truth(sample_exports)
    }
    emails = defaultdict(set)
    for _system, export_type, _path, _line, row in records(sample_exports):
        if row is None or export_type not in PERSON_RECORDS:
            continue
        source, table, key = PERSON_RECORDS[export_type]
        email = normal_email(identifiers(export_type, row)[0])
        if email and not email.startswith(
            ("info@", "ketoan@", "contact@", "sales@", "hr@", "admin@", "office@")
        ):
            emails[person[(source, table, str(row[key]))]].add(email)
    several = sum(len(found) > 1 for found in emails.values())
    assert several > 0.02 * len(emails)
