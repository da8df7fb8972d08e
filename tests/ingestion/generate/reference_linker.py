"""A deliberately simple deterministic linker, following docs/landing-files.md "How reachable".

It proves the generated truth is reachable by exact matching on normalised emails, phones and ids,
with the documented rule for shared values; the warehouse's identity graph has to do at least as
well.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import phonenumbers
from generated_exports import PERSON_RECORDS, records

SHARED_THRESHOLD = 4
# The junk values listed in docs/landing-files.md, as any CDP keeps in a blocklist.
JUNK_EMAILS = {"test@test.com", "no-email@example.com", "a@a.com", "n/a", "none@none.com"}
JUNK_PHONE_DIGITS = {"0000000000", "0123456789", "1234567890", "84000000000", "0999999999"}


def normal_email(text: str | None) -> str | None:
    if not text:
        return None
    email = text.strip().lower()
    if email in JUNK_EMAILS:
        return None
    local, at, domain = email.partition("@")
    if not at or not local or "." not in domain:
        return None
    if domain == "gmail.com":
        local = local.split("+", 1)[0].replace(".", "")
    return f"{local}@{domain}"


def normal_phone(text: str | None) -> str | None:
    if not text:
        return None
    digits = "".join(ch for ch in text if ch.isdigit())
    if digits in JUNK_PHONE_DIGITS:
        return None
    if text.strip().startswith("+") or (digits.startswith("84") and len(digits) == 11):
        candidate = "+" + digits
    else:
        candidate = digits
    try:
        number = phonenumbers.parse(candidate, "VN")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[Any, Any] = {}

    def find(self, node: Any) -> Any:
        self.parent.setdefault(node, node)
        root = node
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[node] != root:
            self.parent[node], node = root, self.parent[node]
        return root

    def union(self, a: Any, b: Any) -> None:
        self.parent[self.find(a)] = self.find(b)


def identifiers(export_type: str, row: dict[str, Any]) -> tuple[Any, Any, list[tuple]]:
    """(raw email, raw phone, direct links to other nodes) of one person record."""
    if export_type == "contacts":
        gclid = row["Google ad click id"]
        return row["Email"], row["Phone Number"], [("gclid", gclid)] if gclid else []
    if export_type == "deals":
        return None, None, [("hubspot", "contacts", row["Associated Contact"])]
    if export_type in ("subscribed", "unsubscribed", "cleaned"):
        return row["Email Address"], row["Phone Number"], []
    if export_type == "customers":
        return row["email"], row["phone"], []
    if export_type == "charges":
        links = []
        if row["customer"]:
            links.append(("stripe", "customers", row["customer"]))
        if row["metadata"].get("gclid"):
            links.append(("gclid", row["metadata"]["gclid"]))
        billing = row["billing_details"]
        return billing["email"], billing["phone"], links
    if export_type == "refunds":
        return None, None, [("stripe", "charges", row["charge"])]
    if export_type == "transactions":
        return row["vnp_Bill_Email"], row["vnp_Bill_Mobile"], []
    if export_type == "leads":
        fields = {f["name"]: f["values"][0] for f in row["field_data"]}
        return fields.get("email"), fields.get("phone_number"), []
    if export_type == "clicks":
        return None, None, [("gclid", row["click_view.gclid"])]
    raise ValueError(export_type)


def link(root: Path) -> dict[tuple[str, str, str], Any]:
    """Cluster id of every person record (latest version of each key)."""
    latest: dict[tuple[str, str, str], tuple[str, dict]] = {}
    for _system, export_type, _path, _line, row in records(root, set(PERSON_RECORDS)):
        if row is None:
            continue
        source, table, key = PERSON_RECORDS[export_type]
        latest[(source, table, str(row[key]))] = (export_type, row)

    parsed = {}
    phones_of: dict[str, set[str]] = defaultdict(set)
    emails_of: dict[str, set[str]] = defaultdict(set)
    for node, (export_type, row) in latest.items():
        raw_email, raw_phone, links = identifiers(export_type, row)
        email, phone = normal_email(raw_email), normal_phone(raw_phone)
        parsed[node] = (email, phone, links)
        if email and phone:
            phones_of[email].add(phone)
            emails_of[phone].add(email)

    graph = _UnionFind()
    for node, (email, phone, links) in parsed.items():
        graph.find(node)
        if email and len(phones_of[email]) < SHARED_THRESHOLD:
            graph.union(node, ("email", email))
        if phone and len(emails_of[phone]) < SHARED_THRESHOLD:
            graph.union(node, ("phone", phone))
        for other in links:
            graph.union(node, other)
    return {node: graph.find(node) for node in latest}


def pairwise(
    truth: list[dict[str, str]], clusters: dict[tuple[str, str, str], Any]
) -> tuple[float, float]:
    """Pairwise precision and recall of `clusters` against the truth's person ids."""
    key = lambda r: (r["source"], r["source_table"], r["source_record_id"])  # noqa: E731
    both = Counter((clusters[key(r)], r["person_id"]) for r in truth)
    by_cluster = Counter(clusters[key(r)] for r in truth)
    by_person = Counter(r["person_id"] for r in truth)
    pairs = lambda counts: sum(n * (n - 1) // 2 for n in counts.values())  # noqa: E731
    correct = pairs(both)
    found, true = pairs(by_cluster), pairs(by_person)
    return correct / max(found, 1), correct / max(true, 1)
