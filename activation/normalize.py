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
from phonenumbers.phonemetadata import PhoneMetadata

_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
_WRITTEN_PHONE = re.compile(r"[^\d+]*\+?[0-9 \t\n\r\f\v.()/-]*[,; \t\n\r\f\v]*")
"""How a phone may be written (the dbt macro `phone_written_shape`): text without digits
(`Tel:`), an optional `+`, then ASCII digits and formatting only, and trailing separators."""


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
    """E.164 with '+', or None when the number is not one the warehouse would store as valid.

    Every spelling of one number gives one result (`+84 0912 345 678`, `+840912345678`,
    `84912345678` and, in region VN, `0912345678` all give `+84912345678`), and it is the value
    the dbt macros `normalize_phone` and `phone_is_valid` leave in the marts: an erasure request
    typed one way must find the person stored another way, and an audience must hash what the
    warehouse matched on. So beyond phonenumbers' possible number, a phone must be written as
    the macro reads it (digits after a letter, such as an extension, give None) and pass the
    macro's plausibility rules (`_is_plausible_e164`).
    """
    if phone is None or not phone.strip():
        return None
    if _is_canonical_e164(phone):
        return phone if _is_plausible_e164(phone) else None
    if not _WRITTEN_PHONE.fullmatch(phone):
        return None
    region = (default_region or "").upper() or None
    try:
        parsed = phonenumbers.parse(phone, None if phone.strip().startswith("+") else region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return e164 if _is_plausible_e164(e164) else None


def _is_plausible_e164(e164: str) -> bool:
    """The rules `phone_is_valid` adds to a possible number, so junk the warehouse never stores
    (`000000000`, `1111111111`, a 7-digit Vietnamese hotline) is never requested or hashed
    either: 8 to 15 digits, a Vietnamese national number of 9 or 10 digits not starting with 0,
    and not one digit repeated after the first two. `e164` is already `+` and digits with a
    calling code not starting with 0 (what `parse` formats, or `_E164`): lengths suffice."""
    if e164.startswith("+84"):
        plausible_length = len(e164) in (12, 13) and e164[3] != "0"
    else:
        plausible_length = 9 <= len(e164) <= 16
    return plausible_length and e164[3:].replace(e164[3], "") != ""


def _is_canonical_e164(phone: str) -> bool:
    """Whether `phone` is already written as E.164 of a possible number, checked without `parse`
    (30 times the cost, per phone of every bulk send): the marts hold E.164 the dbt macro already
    validated. A national number `parse` might rewrite (`_rewritten_start`: `+840912345678` is
    `+84912345678`) or reject (a length impossible there) is left to `parse`."""
    if not _E164.match(phone):
        return False
    for length in (1, 2, 3):
        country_code = int(phone[1 : 1 + length])
        if country_code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            national = phone[1 + length :]
            return len(national) in _possible_lengths(country_code) and not _rewritten_start(
                country_code
            ).match(national)
    return False


@functools.cache
def _metadata(country_code: int) -> PhoneMetadata | None:
    """The metadata `parse` and `is_possible_number` read numbers of this country code by."""
    region = phonenumbers.region_code_for_country_code(country_code)
    return PhoneMetadata.metadata_for_region_or_calling_code(country_code, region)


@functools.cache
def _rewritten_start(country_code: int) -> re.Pattern[str]:
    """What `parse` may drop or rewrite at the start of a national number written after this
    country code: 0, the trunk prefix dialled before it at home (`8` in Belarus, `1` in North
    America) and the region's national prefix for parsing (carrier codes; Norfolk Island's
    5-digit numbers gain a 3)."""
    region = phonenumbers.region_code_for_country_code(country_code)
    prefixes = ["0", re.escape(phonenumbers.ndd_prefix_for_region(region, True) or "0")]
    metadata = _metadata(country_code)
    if metadata is not None and metadata.national_prefix_for_parsing:
        prefixes.append(metadata.national_prefix_for_parsing)
    return re.compile("|".join(f"(?:{prefix})" for prefix in prefixes))


@functools.cache
def _possible_lengths(country_code: int) -> frozenset[int]:
    """The national number lengths `is_possible_number` accepts for this country code: those of
    its main region's general description, local-only ones included."""
    metadata = _metadata(country_code)
    if metadata is None:
        return frozenset()
    general = metadata.general_desc
    return frozenset((*general.possible_length, *general.possible_length_local_only))


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
