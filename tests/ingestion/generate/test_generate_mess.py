"""Observed mess rates stay within tolerance of the documented rates (generate/mess.py)."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from generated_exports import DOC, PERSON_RECORDS, read_csv, read_jsonl, records
from reference_linker import identifiers, normal_email, normal_phone

from ingestion.generate import generate
from ingestion.generate.mess import JUNK_EMAILS, JUNK_PHONES, MESS

PEOPLE = 5000


@pytest.fixture(scope="module")
def big_sample(build_once: Callable[[str, Callable[[Path], None]], Path]) -> Path:
    """5,000 people: enough rows for rate checks, still under a second to generate."""

    def _generate(out: Path) -> None:
        generate(out, people=PEOPLE, seed=3, end_date=date(2026, 11, 1))

    return build_once("generate_rates_5000", _generate)


def _csv(root: Path, name: str, export_type: str) -> list[dict]:
    _, rows = read_csv(root / "landing" / name, export_type)
    return [row for _, row in rows if row is not None]


def _jsonl(root: Path, name: str, export_type: str) -> list[dict]:
    return [r for _, r in read_jsonl(root / "landing" / name, export_type) if r is not None]


def _soft_emails(root: Path) -> list[str]:
    """Emails as typed in systems that keep the typing (guest charges only, see the doc)."""
    emails = [r["Email"] for r in _csv(root, "hubspot/contacts_20261101.csv", "contacts")]
    emails += [
        r["vnp_Bill_Email"] for r in _csv(root, "vnpay/transactions_20261101.csv", "transactions")
    ]
    emails += [r["email"] for r in _jsonl(root, "stripe/customers_20261101.jsonl", "customers")]
    emails += [
        c["billing_details"]["email"]
        for c in _jsonl(root, "stripe/charges_20261101.jsonl", "charges")
        if c["customer"] is None
    ]
    for lead in _jsonl(root, "facebook_ads/leads_20261101.jsonl", "leads"):
        emails += [f["values"][0] for f in lead["field_data"] if f["name"] == "email"]
    return [e for e in emails if e]


def test_rates_in_the_document_are_the_constants_in_code() -> None:
    doc = DOC.read_text(encoding="utf-8")
    for label, value in (
        ("email case / whitespace", MESS.email_case_whitespace),
        ("gmail dots / `+tag`", MESS.gmail_variant),
        ("junk email", MESS.junk_email),
        ("junk phone", MESS.junk_phone),
        ("missing email", MESS.missing_email),
        ("missing phone", MESS.missing_phone),
        ("name typo", MESS.name_typo),
        ("missing name", MESS.missing_name),
        ("exact duplicate row", MESS.duplicate_rows),
    ):
        assert re.search(rf"\| {re.escape(label)} \| {value:g}0*\b", doc), label


def test_email_case_and_whitespace_rate(big_sample: Path) -> None:
    emails = _soft_emails(big_sample)
    messy = sum(e != e.strip().lower() for e in emails) / len(emails)
    assert abs(messy - MESS.email_case_whitespace) < 0.015


def test_gmail_plus_tag_rate(big_sample: Path) -> None:
    gmail = [e.strip().lower() for e in _soft_emails(big_sample) if "@gmail.com" in e.lower()]
    tagged = sum("+" in e for e in gmail) / len(gmail)
    assert abs(tagged - MESS.gmail_variant / 2) < 0.015


def test_junk_values_rate(big_sample: Path) -> None:
    rows = _csv(big_sample, "vnpay/transactions_20261101.csv", "transactions")
    junk_email = sum(r["vnp_Bill_Email"].strip().lower() in JUNK_EMAILS for r in rows) / len(rows)
    junk_phone = sum(r["vnp_Bill_Mobile"] in JUNK_PHONES for r in rows) / len(rows)
    assert abs(junk_email - MESS.junk_email) < 0.006
    assert abs(junk_phone - MESS.junk_phone) < 0.006


def test_missing_fields_rates(big_sample: Path) -> None:
    rows = _csv(big_sample, "vnpay/transactions_20261101.csv", "transactions")
    missing_email = sum(r["vnp_Bill_Email"] == "" for r in rows) / len(rows)
    assert abs(missing_email - MESS.missing_email) < 0.015
    contacts = _csv(big_sample, "hubspot/contacts_20261101.csv", "contacts")
    missing_phone = sum(r["Phone Number"] == "" for r in contacts) / len(contacts)
    # Records without the own email always keep the own phone, so slightly under the rate.
    assert MESS.missing_phone - 0.05 < missing_phone <= MESS.missing_phone + 0.02
    no_name = sum(r["First Name"] == r["Last Name"] == "" for r in contacts) / len(contacts)
    assert abs(no_name - MESS.missing_name) < 0.012


def test_vietnamese_phone_format_shares(big_sample: Path) -> None:
    patterns = {
        "spaced": r"0\d{3} \d{3} \d{3}",
        "plain": r"0\d{9}",
        "dotted": r"0\d{3}\.\d{3}\.\d{3}",
        "plus84_spaced": r"\+84 \d{3} \d{3} \d{3}",
        "cc_plain": r"84\d{9}",
        "e164": r"\+84\d{9}",
    }
    rows = _csv(big_sample, "vnpay/transactions_20261101.csv", "transactions")
    phones = [r["vnp_Bill_Mobile"] for r in rows if r["vnp_Bill_Mobile"] not in ("", *JUNK_PHONES)]
    seen = Counter(
        next((name for name, p in patterns.items() if re.fullmatch(p, phone)), "other")
        for phone in phones
    )
    assert seen["other"] / len(phones) < 0.05, "only shared office numbers are other formats"
    for name, share in MESS.vn_phone_formats:
        assert abs(seen[name] / len(phones) - share) < 0.04, name


def test_vietnamese_names_without_diacritics_rate(big_sample: Path) -> None:
    last = Counter(
        r["Last Name"] for r in _csv(big_sample, "hubspot/contacts_20261101.csv", "contacts")
    )
    folded = last["Nguyen"] / (last["Nguyen"] + last["Nguyễn"])
    assert abs(folded - MESS.vn_name_without_diacritics) < 0.05


def test_exact_duplicate_row_rate(big_sample: Path) -> None:
    lines = total = 0
    for name in (
        "hubspot/contacts_20261101.csv",
        "mailchimp/subscribed_20261101.csv",
        "vnpay/transactions_20261101.csv",
        "stripe/charges_20261101.jsonl",
    ):
        text = (big_sample / "landing" / name).read_text(encoding="utf-8").splitlines()
        counts = Counter(text)
        lines += sum(n - 1 for n in counts.values())
        total += len(text)
    assert abs(lines / total - MESS.duplicate_rows) < 0.003


def test_late_correction_rate(big_sample: Path) -> None:
    primary = _csv(big_sample, "hubspot/contacts_20261101.csv", "contacts")
    late = _csv(big_sample, "hubspot/contacts_20261102_corrections.csv", "contacts")
    assert abs(len(late) / len(primary) - MESS.correction_contacts) < 0.012


def test_shared_values_meet_the_documented_linking_rule(big_sample: Path) -> None:
    """Each office/household value appears with at least 4 distinct own identifiers."""
    phones_of, emails_of = defaultdict(set), defaultdict(set)
    for _system, export_type, _path, _line, row in records(big_sample):
        if row is None or export_type not in PERSON_RECORDS:
            continue
        raw_email, raw_phone, _ = identifiers(export_type, row)
        if raw_email and raw_phone:
            phones_of[raw_email.strip().lower()].add(normal_phone(raw_phone))
            emails_of[raw_phone].add(normal_email(raw_email))
    office_phones = [p for p in emails_of if p.startswith(("028 38", "+65 6"))]
    office_emails = [
        e for e in phones_of if re.match(r"(info|ketoan|contact|sales|hr|admin|office)@", e)
    ]
    assert office_phones and office_emails
    assert all(len(emails_of[p] - {None}) >= 4 for p in office_phones)
    assert all(len(phones_of[e] - {None}) >= 4 for e in office_emails)
