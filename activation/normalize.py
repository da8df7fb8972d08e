"""Identifier normalization and hashing, one function per destination rule.

Each ad platform matches on SHA-256 of a *normalized* value, and the rules differ: Meta wants phone
digits with the country code and no '+', Google wants E.164 with the '+'. Names keep their UTF-8
letters (Meta's rule; its SDK strips "Nguyễn" to "nguyn", which never matches). We normalize names
to Unicode NFC first, so a decomposed "e + combining accents" and the precomposed "ễ" hash alike.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata

import phonenumbers

_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def is_sha256_hex(value: str) -> bool:
    return bool(_SHA256_HEX.match(value))


def normalize_email(email: str | None) -> str | None:
    """Trim and lowercase; both Meta and Google require exactly this (no gmail dot removal)."""
    if email is None:
        return None
    cleaned = "".join(email.split()).lower()
    return cleaned or None


def phone_e164(phone: str | None, default_region: str | None = None) -> str | None:
    """E.164 with '+', or None when the number cannot be parsed as a possible number.

    Every spelling of one number gives one result (`+84 0912 345 678`, `+840912345678`,
    `84912345678` and, in region VN, `0912345678` all give `+84912345678`, as the dbt macro
    `normalize_phone` stores it): an erasure request typed one way must find the person stored
    another way.
    """
    if phone is None or not phone.strip():
        return None
    if _is_canonical_e164(phone):
        return phone
    region = (default_region or "").upper() or None
    try:
        parsed = phonenumbers.parse(phone, None if phone.strip().startswith("+") else region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _is_canonical_e164(phone: str) -> bool:
    """Whether `phone` is already written as E.164, checked without `parse` or validation (30
    times their cost, per phone of every bulk send): the marts hold E.164 the dbt macro already
    validated. A national number that starts with its country's trunk prefix is left to `parse`,
    which drops the prefix written after the country code (`+840912345678` is `+84912345678`)."""
    if not _E164.match(phone):
        return False
    for length in (1, 2, 3):
        country_code = int(phone[1 : 1 + length])
        if country_code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            return not phone[1 + length :].startswith(_trunk_prefixes(country_code))
    return False


@functools.cache
def _trunk_prefixes(country_code: int) -> tuple[str, ...]:
    """What a national number of this country code never starts with in E.164: 0, and the trunk
    prefix dialled before it at home (`8` in Belarus, `1` in North America)."""
    region = phonenumbers.region_code_for_country_code(country_code)
    return ("0", phonenumbers.ndd_prefix_for_region(region, True) or "0")


def phone_for_meta(phone: str | None, default_region: str | None = None) -> str | None:
    """Digits only with country code, no '+' and no leading zeros."""
    e164 = phone_e164(phone, default_region)
    return e164[1:] if e164 else None


def phone_for_google(phone: str | None, default_region: str | None = None) -> str | None:
    """E.164 with the leading '+'."""
    return phone_e164(phone, default_region)


def normalize_name(name: str | None) -> str | None:
    """NFC, lowercase, punctuation and whitespace removed, letters (with diacritics) kept."""
    if name is None:
        return None
    composed = unicodedata.normalize("NFC", name).lower()
    kept = "".join(ch for ch in composed if unicodedata.category(ch)[0] in ("L", "M", "N"))
    return unicodedata.normalize("NFC", kept) or None


def hashed(value: str | None) -> str | None:
    return None if value is None else sha256_hex(value)


def member_hash(member_key: str) -> str:
    """What logs and the sync log store instead of the raw member key."""
    return sha256_hex(member_key)
