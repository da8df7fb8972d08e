"""What a request names: an email, a phone or a customer id, normalized and hashed one way.

Hashes are SHA-256 of the same normalized forms activation's suppression list uses (email trimmed
and lowercased, phone in E.164, customer id as is), so one hash means one person in the ledger,
the receipt and both suppression lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import phonenumbers

from activation.normalize import normalize_email, phone_e164, sha256_hex

DEFAULT_PHONE_REGION = "VN"
"""Region of phones written without an international prefix; the dbt var `phone_default_region`."""


class IdentifierType(Enum):
    EMAIL = "email"
    PHONE = "phone"
    CUSTOMER_ID = "customer_id"


class InvalidIdentifierError(ValueError):
    """The value cannot be an identifier of its type (an email without '@', a phone that does not
    parse); the message never repeats the value."""


@dataclass(frozen=True)
class Identifier:
    """One normalized identifier. `value` is personal data: never log it, store `hash` instead."""

    type: IdentifierType
    value: str

    @property
    def hash(self) -> str:
        return sha256_hex(self.value)

    def __repr__(self) -> str:
        return f"Identifier({self.type.value}, sha256={self.hash[:12]}…)"


def parse_identifier(kind: str, raw: str) -> Identifier:
    """Normalize `raw` as an identifier of `kind` (email, phone or customer_id)."""
    try:
        identifier_type = IdentifierType(kind.strip().lower())
    except ValueError:
        raise InvalidIdentifierError(
            f"unknown identifier type {kind!r}: expected email, phone or customer_id"
        ) from None
    if identifier_type is IdentifierType.EMAIL:
        email = normalize_email(raw)
        if not email or "@" not in email:
            raise InvalidIdentifierError("the email is not an address (no '@')")
        return Identifier(identifier_type, email)
    if identifier_type is IdentifierType.PHONE:
        phone = phone_e164(raw, DEFAULT_PHONE_REGION)
        if not phone:
            raise InvalidIdentifierError("the phone does not parse as a phone number")
        return Identifier(identifier_type, phone)
    customer_id = raw.strip()
    if not customer_id:
        raise InvalidIdentifierError("the customer id is empty")
    return Identifier(identifier_type, customer_id)


def phone_digit_forms(e164: str) -> list[str]:
    """The digit strings one phone is written as in exports: `+84901234567`, `84901234567`,
    `0084901234567`, `0901 234 567` and `901234567` all reduce to one of these, and so does the
    trunk prefix kept after the country code (`+84 (0) 901 234 567`, `+840901234567`), which
    normalizes to the same number."""
    number = phonenumbers.parse(e164, None)
    national = phonenumbers.national_significant_number(number)
    country = str(number.country_code)
    international = {country + national, country + "0" + national}
    return sorted(
        {*international, *("00" + form for form in international), "0" + national, national}
    )
