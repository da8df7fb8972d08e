"""SQL that tells whether a text column mentions the person, used to delete and to prove absence.

Deletion and the receipt's scan use the same predicates, so whatever the scan would report, the
deletion removes. Each identifier is matched the way it appears in exports and models:

- emails case-insensitively, as a whole address (`ann@x.com` does not match `joann@x.com`);
- phones by their digits, with spaces, dots, dashes and brackets allowed between them, so
  `0901 234 567`, `(090) 123-4567`, `84901234567` and `+84901234567` are the same number;
- customer ids anywhere in the text (they are long generated tokens);
- source record ids as a whole token, alone (`15000000048`, a key or reference column) or inside
  a record key (`hubspot:contacts:15000000048`) or a quarantined raw line;
- the SHA-256 hex of each email and phone (normalized: trimmed lowercase email, E.164 phone) as a
  whole token: the masked serving copy and activation's logs hold people that way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from activation.normalize import sha256_hex
from orchestration.privacy.identifiers import phone_digit_forms
from orchestration.privacy.resolve import Person

KINDS = ("email", "phone", "customer_id", "source_record", "hashed")
HASH_LISTS = (
    "privacy.suppressed_identifiers",
    "privacy.erasure_requests",
    "privacy.erasure_receipts",
    "activation.suppressions",
    "activation.sync_log",
)
"""Tables whose purpose is to keep hashes of erased people: the suppression lists, the ledger, and
activation's audit log (hashed member keys only, the removal itself included). The hashed kind is
not looked for there; every other kind is."""
_DIGIT_GAP = "[ ().-]*"


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _alternation(values: Iterable[str]) -> str:
    return "|".join(re.escape(value) for value in sorted(set(values)))


def _email_pattern(emails: Iterable[str]) -> str | None:
    found = _alternation(email.lower() for email in emails)
    if not found:
        return None
    return rf"(^|[^a-z0-9._%+-])({found})($|[^a-z0-9_.-]|\.[^a-z0-9]|\.$)"


def _phone_pattern(phones: Iterable[str]) -> str | None:
    forms = {form for phone in phones for form in phone_digit_forms(phone)}
    if not forms:
        return None
    spaced = "|".join(_DIGIT_GAP.join(form) for form in sorted(forms))
    return rf"(^|[^0-9])\+?({spaced})($|[^0-9])"


def _token_pattern(values: Iterable[str]) -> str | None:
    found = _alternation(values)
    return rf"(^|[^A-Za-z0-9_])({found})($|[^A-Za-z0-9_])" if found else None


def patterns(person: Person) -> dict[str, str]:
    """Kind -> regular expression (RE2) over the column text; kinds without values are left out.
    Emails are matched against the lowercased text."""
    built = {
        "email": _email_pattern(person.emails),
        "phone": _phone_pattern(person.phones),
        "customer_id": _alternation(person.customer_ids) or None,
        "source_record": _token_pattern(record_id for _, _, record_id in person.source_records),
        "hashed": _token_pattern(sha256_hex(value) for value in (*person.emails, *person.phones)),
    }
    return {kind: pattern for kind, pattern in built.items() if pattern}


def column_matches(column: str, kind: str, pattern: str) -> str:
    """Boolean SQL: the quoted `column` mentions an identifier of `kind`."""
    text = f"lower({column})" if kind == "email" else column
    return f"coalesce(regexp_matches({text}, {quote_literal(pattern)}), false)"


def row_matches(columns: Iterable[str], person_patterns: dict[str, str]) -> str:
    """Boolean SQL: any of the text `columns` (names, unquoted) mentions the person."""
    checks = [
        column_matches(quote_identifier(column), kind, pattern)
        for column in columns
        for kind, pattern in person_patterns.items()
    ]
    return "(" + " or ".join(checks) + ")" if checks else "false"
