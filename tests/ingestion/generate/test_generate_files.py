"""Layout, names and headers of the landing files match docs/landing-files.md."""

from __future__ import annotations

import re
from pathlib import Path

import orjson
import phonenumbers
from generated_exports import documented_headers, landing_files, read_csv

SYSTEMS = {"hubspot", "mailchimp", "stripe", "vnpay", "facebook_ads", "google_ads"}


def test_every_documented_export_type_is_written_once_per_delivery(sample_exports: Path) -> None:
    documented = documented_headers()
    primary = {t for _, t, p in landing_files(sample_exports) if "corrections" not in p.name}
    assert primary == set(documented)
    assert {s for s, _, _ in landing_files(sample_exports)} == SYSTEMS


def test_csv_headers_match_the_document_exactly(sample_exports: Path) -> None:
    documented = documented_headers()
    for _, export_type, path in landing_files(sample_exports):
        if path.suffix != ".csv":
            continue
        header, _ = read_csv(path, export_type)
        assert header == documented[export_type][1], path.name


def test_jsonl_keys_match_the_document_in_order(sample_exports: Path) -> None:
    documented = documented_headers()
    for _, export_type, path in landing_files(sample_exports):
        if path.suffix != ".jsonl":
            continue
        for line in path.read_bytes().splitlines():
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            assert list(record) == documented[export_type][1], path.name


def test_corrections_files_repeat_keys_with_newer_modified_times(sample_exports: Path) -> None:
    landing = sample_exports / "landing"
    _, first = read_csv(landing / "hubspot/contacts_20261101.csv", "contacts")
    _, late = read_csv(landing / "hubspot/contacts_20261102_corrections.csv", "contacts")
    before = {row["Record ID"]: row for _, row in first if row}
    later = [row for _, row in late if row]
    assert later
    for row in later:
        assert row["Record ID"] in before
        assert row["Last Modified Date"] > before[row["Record ID"]]["Last Modified Date"]
        assert row["Last Modified Date"].startswith("2026-11-02")


def test_vietnamese_names_keep_diacritics_and_phones_use_local_formats(
    sample_exports: Path,
) -> None:
    text = (sample_exports / "landing/hubspot/contacts_20261101.csv").read_text(encoding="utf-8")
    text += (sample_exports / "landing/vnpay/transactions_20261101.csv").read_text(encoding="utf-8")
    for name in ("Nguyễn", "Trần", "Lê", "Phạm"):
        assert f'"{name}"' in text
    assert re.search(r'"0\d{3} \d{3} \d{3}"', text)
    assert re.search(r'"0\d{3}\.\d{3}\.\d{3}"', text)
    assert re.search(r'"\+84 \d{3} \d{3} \d{3}"', text)
    assert re.search(r'"84\d{9}"', text)
    assert re.search(r'"Nguyen"', text), "some Vietnamese names are typed without diacritics"


def test_own_phone_numbers_are_valid_phone_numbers(sample_exports: Path) -> None:
    _, rows = read_csv(sample_exports / "landing/hubspot/contacts_20261101.csv", "contacts")
    junk = {"0000000000", "0123456789", "1234567890", "+84 000 000 000", "0999999999"}
    phones = [r["Phone Number"] for _, r in rows if r and r["Phone Number"] not in ("", *junk)]
    assert len(phones) > 300
    invalid = [
        p
        for p in phones
        if not phonenumbers.is_valid_number(
            phonenumbers.parse("+" + p if p.startswith("84") and len(p) == 11 else p, "VN")
        )
    ]
    assert invalid == []


def test_amounts_follow_each_systems_units(sample_exports: Path) -> None:
    landing = sample_exports / "landing"
    charges = [
        orjson.loads(line)
        for line in (landing / "stripe/charges_20261101.jsonl").read_bytes().splitlines()
        if line.endswith(b"}")
    ]
    vnd = [c["amount"] for c in charges if c["currency"] == "vnd" and type(c["amount"]) is int]
    usd = [c["amount"] for c in charges if c["currency"] == "usd" and type(c["amount"]) is int]
    assert vnd and min(vnd) >= 20_000, "VND is zero-decimal in Stripe: whole dong"
    assert usd and max(usd) < 10_000_000 and min(usd) >= 500, "USD in cents"
    _, rows = read_csv(landing / "vnpay/transactions_20261101.csv", "transactions")
    amounts = [int(r["vnp_Amount"]) for _, r in rows if r]
    assert all(a % 100 == 0 and a >= 2_000_000 for a in amounts), "vnp_Amount is VND x 100"


def test_emails_are_unique_where_the_system_enforces_it(sample_exports: Path) -> None:
    """HubSpot contacts and a Mailchimp audience hold each address once (case-insensitively)."""
    landing = sample_exports / "landing"
    by_leid = {}
    for kind in ("subscribed", "unsubscribed", "cleaned"):
        _, rows = read_csv(landing / f"mailchimp/{kind}_20261101.csv", kind)
        by_leid |= {row["LEID"]: row["Email Address"] for _, row in rows if row}
    members = list(by_leid.values())
    assert len(members) == len(set(members))
    assert all(m == m.strip().lower() for m in members)
    latest = {}
    for name in ("contacts_20261101.csv", "contacts_20261102_corrections.csv"):
        _, rows = read_csv(landing / "hubspot" / name, "contacts")
        latest |= {row["Record ID"]: row["Email"].strip().lower() for _, row in rows if row}
    emails = [e for e in latest.values() if e]
    assert len(emails) == len(set(emails))
