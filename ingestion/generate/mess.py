"""Every rate the generator uses, in one place, so docs/landing-files.md and tests can cite them.

Changing a number here changes the sample data: update docs/landing-files.md in the same commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Mess:
    """Rates of the realistic dirt injected into the exports (per soft record unless noted)."""

    email_case_whitespace: float = 0.06
    gmail_variant: float = 0.10  # of gmail addresses
    alt_email_people: float = 0.15
    alt_email_use_per_system: float = 0.5
    shared_email_people: float = 0.005
    shared_phone_people: float = 0.01
    people_per_shared_value: int = 12  # so every shared value is visibly shared
    junk_email: float = 0.01
    junk_phone: float = 0.01
    missing_email: float = 0.05
    missing_phone: float = 0.25
    missing_phone_mailchimp: float = 0.55
    name_typo: float = 0.03
    vn_name_without_diacritics: float = 0.25
    missing_name: float = 0.03
    duplicate_rows: float = 0.005
    correction_contacts: float = 0.03
    correction_deals: float = 0.05
    correction_members: float = 0.01
    correction_charges: float = 0.01
    malformed_rows: float = 0.001  # per applicable kind per file chunk, at least 1 in the first
    vn_phone_formats: tuple[tuple[str, float], ...] = field(
        default=(
            ("spaced", 0.30),
            ("plain", 0.25),
            ("dotted", 0.15),
            ("plus84_spaced", 0.15),
            ("cc_plain", 0.10),
            ("e164", 0.05),
        )
    )
    intl_phone_formats: tuple[tuple[str, float], ...] = field(
        default=(("e164", 0.5), ("plus_grouped", 0.5))
    )


MESS = Mess()

JUNK_EMAILS = ("test@test.com", "no-email@example.com", "a@a.com", "n/a", "none@none.com")
JUNK_PHONES = ("0000000000", "0123456789", "1234567890", "+84 000 000 000", "0999999999")
