"""How a person's identity is written in each "soft" record (one linked by email and phone).

All soft records of a chunk are decided together, so the one rule that keeps the truth reachable
can be enforced across systems: every record carries the person's own email or own phone, and a
person who has records of both sorts also has one record that carries both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from ingestion.generate.mess import JUNK_EMAILS, JUNK_PHONES, MESS
from ingestion.generate.people import People, Population, ascii_fold


class System(IntEnum):
    HUBSPOT = 0
    MAILCHIMP = 1
    STRIPE_CUSTOMER = 2
    STRIPE_GUEST = 3
    VNPAY = 4
    LEAD = 5


class EmailKind(IntEnum):
    OWN = 0
    ALT = 1
    SHARED = 2
    JUNK = 3
    MISSING = 4


class PhoneKind(IntEnum):
    OWN = 0
    SHARED = 1
    JUNK = 2
    MISSING = 3


SHARED_EMAIL_SYSTEMS = (System.STRIPE_CUSTOMER, System.STRIPE_GUEST, System.VNPAY, System.LEAD)
JUNK_EMAIL_SYSTEMS = SHARED_EMAIL_SYSTEMS
MISSING_EMAIL_SYSTEMS = (System.HUBSPOT, System.STRIPE_CUSTOMER, System.VNPAY, System.LEAD)
PHONE_MESS_SYSTEMS = (
    System.HUBSPOT,
    System.STRIPE_CUSTOMER,
    System.STRIPE_GUEST,
    System.VNPAY,
    System.LEAD,
)
GMAIL_TAGS = ("shop", "news", "promo", "work", "fb", "vn")


@dataclass
class SoftRecords:
    """Identity fields of soft records; `person` indexes the chunk's People."""

    person: np.ndarray
    system: np.ndarray
    email: np.ndarray
    phone: np.ndarray
    first_name: np.ndarray
    last_name: np.ndarray
    email_kind: np.ndarray
    phone_kind: np.ndarray

    def of(self, system: System) -> SoftRecords:
        mask = self.system == system
        return SoftRecords(*(getattr(self, f)[mask] for f in self.__dataclass_fields__))


def pick_shared(
    people: People,
    person: np.ndarray,
    system: np.ndarray,
    population: Population,
    next_ids: Callable[[str, int], np.ndarray],
    rng: np.random.Generator,
) -> None:
    """Choose who uses a shared email / phone, among people with records where it can appear.

    Values are dealt round-robin over the whole run, so each is used by about
    `MESS.people_per_shared_value` people and is recognisably shared.
    """
    for attribute, systems, rate, values in (
        ("shared_email", SHARED_EMAIL_SYSTEMS, MESS.shared_email_people, population.shared_emails),
        ("shared_phone", PHONE_MESS_SYSTEMS, MESS.shared_phone_people, population.shared_phones),
    ):
        eligible = np.unique(person[np.isin(system, systems)])
        count = min(len(eligible), round(rate * len(people)))
        chosen = np.sort(rng.choice(eligible, size=count, replace=False))
        assigned = np.full(len(people), None, object)
        assigned[chosen] = np.array(values, object)[next_ids(attribute, count) % len(values)]
        setattr(people, attribute, assigned)


def assign_identities(
    people: People,
    person: np.ndarray,
    system: np.ndarray,
    second_contact: np.ndarray,
    rng: np.random.Generator,
) -> SoftRecords:
    n = len(person)

    def in_systems(systems: tuple[System, ...]) -> np.ndarray:
        return np.isin(system, systems)

    uses_alt = rng.random((len(people), len(System))) < MESS.alt_email_use_per_system
    has_alt = np.array([e is not None for e in people.alt_email], bool)[person]
    alt = has_alt & (uses_alt[person, system] & (system != System.HUBSPOT) | second_contact)
    has_shared = np.array([e is not None for e in people.shared_email], bool)[person]
    email_kind = np.full(n, EmailKind.OWN, np.int8)
    email_kind[(rng.random(n) < MESS.missing_email) & in_systems(MISSING_EMAIL_SYSTEMS)] = (
        EmailKind.MISSING
    )
    email_kind[(rng.random(n) < MESS.junk_email) & in_systems(JUNK_EMAIL_SYSTEMS)] = EmailKind.JUNK
    email_kind[alt] = EmailKind.ALT
    email_kind[has_shared & in_systems(SHARED_EMAIL_SYSTEMS)] = EmailKind.SHARED
    # HubSpot keeps emails unique: a second contact without another address has none.
    email_kind[second_contact & ~has_alt] = EmailKind.MISSING

    has_shared_phone = np.array([p is not None for p in people.shared_phone], bool)[person]
    missing_rate = np.where(
        system == System.MAILCHIMP, MESS.missing_phone_mailchimp, MESS.missing_phone
    )
    phone_kind = np.full(n, PhoneKind.OWN, np.int8)
    phone_kind[rng.random(n) < missing_rate] = PhoneKind.MISSING
    phone_kind[(rng.random(n) < MESS.junk_phone) & in_systems(PHONE_MESS_SYSTEMS)] = PhoneKind.JUNK
    phone_kind[has_shared_phone & in_systems(PHONE_MESS_SYSTEMS)] = PhoneKind.SHARED

    phone_kind[(email_kind != EmailKind.OWN) & (phone_kind != PhoneKind.OWN)] = PhoneKind.OWN
    _connect(person, email_kind, phone_kind, len(people))

    email = _render_emails(people, person, system, email_kind, rng)
    phone = _render_phones(people, person, phone_kind, rng)
    first, last = _render_names(people, person, rng)
    return SoftRecords(person, system, email, phone, first, last, email_kind, phone_kind)


def _connect(
    person: np.ndarray, email_kind: np.ndarray, phone_kind: np.ndarray, n_people: int
) -> None:
    """Give one email-only record the own phone when a person also has phone-only records."""
    email_only = (email_kind == EmailKind.OWN) & (phone_kind != PhoneKind.OWN)
    phone_only = (email_kind != EmailKind.OWN) & (phone_kind == PhoneKind.OWN)
    both = (email_kind == EmailKind.OWN) & (phone_kind == PhoneKind.OWN)

    def has(mask: np.ndarray) -> np.ndarray:
        return np.bincount(person[mask], minlength=n_people) > 0

    broken = has(email_only) & has(phone_only) & ~has(both)
    candidates = np.flatnonzero(email_only & broken[person])
    _, first = np.unique(person[candidates], return_index=True)
    phone_kind[candidates[first]] = PhoneKind.OWN


def _render_emails(
    people: People,
    person: np.ndarray,
    system: np.ndarray,
    kind: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    n = len(person)
    junk = np.array(JUNK_EMAILS, object)[rng.integers(0, len(JUNK_EMAILS), n)]
    out = np.empty(n, object)
    out[kind == EmailKind.OWN] = people.email[person[kind == EmailKind.OWN]]
    out[kind == EmailKind.ALT] = people.alt_email[person[kind == EmailKind.ALT]]
    out[kind == EmailKind.SHARED] = people.shared_email[person[kind == EmailKind.SHARED]]
    out[kind == EmailKind.JUNK] = junk[kind == EmailKind.JUNK]

    gmail = (kind == EmailKind.OWN) & people.is_gmail[person]
    for i in np.flatnonzero(gmail & (rng.random(n) < MESS.gmail_variant)):
        out[i] = gmail_variant(out[i], rng)
    cased = (
        (kind != EmailKind.MISSING)
        & (system != System.MAILCHIMP)
        & (rng.random(n) < MESS.email_case_whitespace)
    )
    for i in np.flatnonzero(cased):
        out[i] = case_whitespace_variant(out[i], int(rng.integers(0, 4)))
    return out


def gmail_variant(email: str, rng: np.random.Generator) -> str:
    """Same gmail inbox, different text: dots moved or a `+tag` added."""
    local, domain = email.split("@")
    if rng.random() < 0.5:
        return f"{local}+{GMAIL_TAGS[int(rng.integers(0, len(GMAIL_TAGS)))]}@{domain}"
    bare = local.replace(".", "")
    cut = int(rng.integers(1, max(2, len(bare) - 1)))
    dotted = f"{bare[:cut]}.{bare[cut:]}"
    return f"{dotted if dotted != local else bare}@{domain}"


def case_whitespace_variant(email: str, style: int) -> str:
    local, _, domain = email.partition("@")
    if style == 0:
        return email.upper()
    if style == 1:
        return f"{local[:1].upper()}{local[1:]}@{domain[:1].upper()}{domain[1:]}"
    if style == 2:
        return f" {email} "
    return f"{email} "


def format_phone(cc: str, nsn: str, style: str) -> str:
    if cc == "84":
        groups = f"{nsn[:3]} {nsn[3:6]} {nsn[6:]}"
        return {
            "spaced": f"0{groups}",
            "plain": f"0{nsn}",
            "dotted": f"0{nsn[:3]}.{nsn[3:6]}.{nsn[6:]}",
            "plus84_spaced": f"+84 {groups}",
            "cc_plain": f"84{nsn}",
            "e164": f"+84{nsn}",
        }[style]
    if style == "e164":
        return f"+{cc}{nsn}"
    return f"+{cc} {_grouped(cc, nsn)}"


def _grouped(cc: str, nsn: str) -> str:
    if cc == "1":
        return f"{nsn[:3]}-{nsn[3:6]}-{nsn[6:]}"
    if cc in ("81", "82"):
        return f"{nsn[:2]}-{nsn[2:6]}-{nsn[6:]}"
    if cc == "65":
        return f"{nsn[:4]} {nsn[4:]}"
    if cc == "44":
        return f"{nsn[:4]} {nsn[4:]}"
    if cc == "49":
        return f"{nsn[:3]} {nsn[3:]}"
    return f"{nsn[:3]} {nsn[3:6]} {nsn[6:]}"


def _render_phones(
    people: People, person: np.ndarray, kind: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    n = len(person)
    vn_styles = [s for s, _ in MESS.vn_phone_formats]
    vn_p = np.array([w for _, w in MESS.vn_phone_formats])
    intl_styles = [s for s, _ in MESS.intl_phone_formats]
    intl_p = np.array([w for _, w in MESS.intl_phone_formats])
    vn_pick = rng.choice(len(vn_styles), size=n, p=vn_p / vn_p.sum())
    intl_pick = rng.choice(len(intl_styles), size=n, p=intl_p / intl_p.sum())
    junk = np.array(JUNK_PHONES, object)[rng.integers(0, len(JUNK_PHONES), n)]
    out = np.empty(n, object)
    cc = people.phone_cc[person]
    nsn = people.phone_nsn[person]
    for i in np.flatnonzero(kind == PhoneKind.OWN):
        style = vn_styles[vn_pick[i]] if cc[i] == "84" else intl_styles[intl_pick[i]]
        out[i] = format_phone(cc[i], nsn[i], style)
    shared = kind == PhoneKind.SHARED
    out[shared] = people.shared_phone[person[shared]]
    out[kind == PhoneKind.JUNK] = junk[kind == PhoneKind.JUNK]
    return out


def _render_names(
    people: People, person: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    n = len(person)
    first = people.first_name[person].copy()
    last = people.last_name[person].copy()
    folded = people.is_vn[person] & (rng.random(n) < MESS.vn_name_without_diacritics)
    for i in np.flatnonzero(folded):
        first[i], last[i] = ascii_fold(first[i]), ascii_fold(last[i])
    typo = rng.random(n) < MESS.name_typo
    on_last = rng.random(n) < 0.5
    for i in np.flatnonzero(typo):
        if on_last[i]:
            last[i] = name_typo(last[i], rng)
        else:
            first[i] = name_typo(first[i], rng)
    missing = rng.random(n) < MESS.missing_name
    first[missing] = None
    last[missing] = None
    return first, last


def name_typo(name: str, rng: np.random.Generator) -> str:
    """One slip of the finger: a letter dropped, doubled or swapped with its neighbour."""
    if len(name) < 3:
        return name + name[-1]
    at = int(rng.integers(1, len(name) - 1))
    style = int(rng.integers(0, 3))
    if style == 0:
        return name[:at] + name[at + 1 :]
    if style == 1:
        return name[:at] + name[at] + name[at:]
    swapped = name[:at] + name[at + 1] + name[at] + name[at + 2 :]
    return swapped if swapped != name else name[:at] + name[at] + name[at:]
