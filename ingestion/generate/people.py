"""The true people behind all exports: names, own identifiers, places and behaviour traits.

People are generated in chunks of consecutive global indexes. Everything a person owns that must be
unique across the whole population (email numbers, phone numbers) comes from a bijection of the
global index, so chunks never collide and results do not depend on the chunk a person falls in.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass

import numpy as np

from ingestion.generate import vocabulary as vocab
from ingestion.generate.mess import MESS

DAY = 86_400
VN_SHARE = 0.55
HISTORY_DAYS = 540
PHONE_MULTIPLIER = 48_271  # a prime: coprime with every number space below
# ISO-2 -> (calling code, leading digits valid for `phonenumbers`, digits after them). Every space
# holds at least MAX_PEOPLE numbers, so the affine map of the global index never collides.
PHONE_PLANS: dict[str, tuple[str, tuple[str, ...], int]] = {
    "VN": ("84", vocab.VN_MOBILE_PREFIXES, 7),
    "US": ("1", tuple(f"{a}{x}" for a in vocab.US_AREA_CODES for x in range(200, 1000)), 4),
    "GB": ("44", ("75",), 8),
    "SG": ("65", tuple(str(p) for p in range(81, 99)), 6),
    "AU": ("61", ("40", "41", "42", "43", "46"), 7),
    "DE": ("49", ("151",), 8),
    "JP": ("81", tuple(f"90{d}" for d in range(1, 10)) + tuple(f"80{d}" for d in range(10)), 7),
    "KR": ("82", ("100", "101", "102", "103", "104", "106", "107", "108", "109"), 7),
    "TH": ("66", ("8",), 8),
}
ACQUISITION_CHANNELS = (
    ("Organic Search", 0.25),
    ("Paid Search", 0.15),
    ("Paid Social", 0.20),
    ("Email Marketing", 0.10),
    ("Direct Traffic", 0.15),
    ("Referrals", 0.10),
    ("Social Media", 0.05),
)


@functools.lru_cache(maxsize=65_536)
def ascii_fold(text: str) -> str:
    """`Nguyễn Đức` -> `Nguyen Duc`: how people type names when the keyboard has no Telex."""
    text = text.replace("Đ", "D").replace("đ", "d")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@functools.lru_cache(maxsize=4096)
def _local_part(text: str) -> str:
    return "".join(ch for ch in ascii_fold(text).lower() if ch.isalnum())


def _next_prime(n: int) -> int:
    candidate = n | 1
    while any(candidate % d == 0 for d in range(3, int(candidate**0.5) + 1, 2)):
        candidate += 2
    return candidate


def _pick(rng: np.random.Generator, weighted: tuple[tuple[str, float], ...], n: int) -> np.ndarray:
    names = np.array([name for name, _ in weighted], object)
    weights = np.array([weight for _, weight in weighted], float)
    return names[rng.choice(len(names), size=n, p=weights / weights.sum())]


@dataclass(frozen=True)
class Population:
    """Whole-population constants: bijection parameters and the shared identifier values."""

    people: int
    email_prime: int
    email_mult: int
    email_add: int
    alt_mult: int
    alt_add: int
    phone_add: int
    shared_emails: tuple[str, ...]
    shared_phones: tuple[str, ...]

    @classmethod
    def build(cls, people: int, seed: int) -> Population:
        rng = np.random.default_rng([seed, 0xB0B])
        prime = _next_prime(max(10 * people, 10_007))
        per_value = MESS.people_per_shared_value
        shared_e = max(1, round(people * MESS.shared_email_people / per_value))
        shared_p = max(1, round(people * MESS.shared_phone_people / per_value))
        prefixes = ("info", "ketoan", "contact", "sales", "hr", "admin", "office")
        shared_emails = tuple(
            f"{prefixes[k % len(prefixes)]}@"
            f"{vocab.VN_COMPANIES[k % len(vocab.VN_COMPANIES)]}{_alpha_tag(k)}.vn"
            for k in range(shared_e)
        )
        # Office and household numbers: Saigon landlines and Singapore office lines, alternating.
        shared_phones = tuple(
            f"028 38{k // 20_000 % 100:02d} {k // 2 % 10_000:04d}"
            if k % 2 == 0
            else f"+65 6{k // 20_000 % 1000:03d} {k // 2 % 10_000:04d}"
            for k in range(shared_p)
        )
        return cls(
            people=people,
            email_prime=prime,
            email_mult=int(rng.integers(2, prime - 1)),
            email_add=int(rng.integers(0, prime)),
            alt_mult=int(rng.integers(2, prime - 1)),
            alt_add=int(rng.integers(0, prime)),
            phone_add=int(rng.integers(0, 10**7)),
            shared_emails=shared_emails,
            shared_phones=shared_phones,
        )


def _alpha_tag(k: int) -> str:
    """Distinguishes the n-th reuse of a company name without digits (own emails end in digits)."""
    round_ = k // len(vocab.VN_COMPANIES)
    return "" if round_ == 0 else "-" + "".join(chr(97 + int(d)) for d in str(round_))


@dataclass
class People:
    """One chunk of people; every array has one entry per person."""

    idx: np.ndarray
    person_id: np.ndarray
    is_vn: np.ndarray
    country: np.ndarray
    country_name: np.ndarray
    city: np.ndarray
    first_name: np.ndarray
    last_name: np.ndarray
    email: np.ndarray
    is_gmail: np.ndarray
    alt_email: np.ndarray
    phone_cc: np.ndarray
    phone_nsn: np.ndarray
    shared_email: np.ndarray  # set by identity.pick_shared once records are planned
    shared_phone: np.ndarray
    company_name: np.ndarray
    first_seen: np.ndarray
    active_until: np.ndarray
    engagement: np.ndarray
    channel: np.ndarray

    def __len__(self) -> int:
        return len(self.idx)


def make_people(
    pop: Population, start: int, stop: int, end_ts: int, rng: np.random.Generator
) -> People:
    idx = np.arange(start, stop, dtype=np.int64)
    n = len(idx)
    is_vn = rng.random(n) < VN_SHARE
    female = rng.random(n) < 0.5

    first, last, first_l, middle_l, last_l = _names(rng, is_vn, female)
    country, country_name, city = _places(rng, is_vn)
    company_name, company_domain = _companies(rng, is_vn)

    number = (idx * pop.email_mult + pop.email_add) % pop.email_prime
    pattern = rng.integers(0, 4, n)
    vn_webmail = _pick(rng, (*vocab.VN_WEBMAIL, ("", 0.20)), n)
    intl_webmail = _pick(rng, (*vocab.INTL_WEBMAIL, ("", 0.24)), n)
    domain = np.where(is_vn, vn_webmail, intl_webmail)
    domain = np.where(domain == "", company_domain, domain)
    email = np.array(
        [
            _primary_local(p, f, m, la, k) + "@" + d
            for p, f, m, la, k, d in zip(
                pattern, first_l, middle_l, last_l, number, domain, strict=True
            )
        ],
        object,
    )
    is_gmail = domain == "gmail.com"

    has_alt = rng.random(n) < MESS.alt_email_people
    alt_number = (idx * pop.alt_mult + pop.alt_add) % pop.email_prime
    alt_domain = np.where(
        rng.random(n) < 0.6, company_domain, _pick(rng, (("outlook.com", 1), ("yahoo.com", 1)), n)
    )
    alt_email = np.array(
        [
            f"{f}.{la}.{k}@{d}" if has else None
            for has, f, la, k, d in zip(
                has_alt, first_l, last_l, alt_number, alt_domain, strict=True
            )
        ],
        object,
    )

    phone_cc, phone_nsn = _phones(pop, idx, is_vn, country)

    first_seen = end_ts - rng.integers(DAY, HISTORY_DAYS * DAY, n)
    lapsed = rng.random(n) < 0.35
    active_until = np.where(
        lapsed, first_seen + (rng.random(n) * (end_ts - first_seen)).astype(np.int64), end_ts
    )
    channels = np.arange(len(ACQUISITION_CHANNELS))
    weights = np.array([w for _, w in ACQUISITION_CHANNELS])
    return People(
        idx=idx,
        person_id=np.array([f"P{i:08d}" for i in idx], object),
        is_vn=is_vn,
        country=country,
        country_name=country_name,
        city=city,
        first_name=first,
        last_name=last,
        email=email,
        is_gmail=is_gmail,
        alt_email=alt_email,
        phone_cc=phone_cc,
        phone_nsn=phone_nsn,
        shared_email=np.full(n, None, object),
        shared_phone=np.full(n, None, object),
        company_name=company_name,
        first_seen=first_seen,
        active_until=active_until,
        engagement=rng.beta(2, 3, n),
        channel=rng.choice(channels, size=n, p=weights / weights.sum()),
    )


def _primary_local(pattern: int, first: str, middle: str, last: str, number: int) -> str:
    """Own addresses always end in the person's unique number, so no two people share one."""
    if pattern == 0:
        return f"{first}.{last}{number}"
    if pattern == 1:
        return f"{last}{middle}{first}{number}"
    if pattern == 2:
        return f"{first}{last}{number}"
    return f"{last}.{first}{number}"


def _names(
    rng: np.random.Generator, is_vn: np.ndarray, female: np.ndarray
) -> tuple[np.ndarray, ...]:
    n = len(is_vn)
    family = _pick(rng, vocab.VN_FAMILY_NAMES, n)
    middle = np.where(
        female,
        np.array(vocab.VN_MIDDLE_FEMALE, object)[rng.integers(0, len(vocab.VN_MIDDLE_FEMALE), n)],
        np.array(vocab.VN_MIDDLE_MALE, object)[rng.integers(0, len(vocab.VN_MIDDLE_MALE), n)],
    )
    given = np.where(
        female,
        np.array(vocab.VN_GIVEN_FEMALE, object)[rng.integers(0, len(vocab.VN_GIVEN_FEMALE), n)],
        np.array(vocab.VN_GIVEN_MALE, object)[rng.integers(0, len(vocab.VN_GIVEN_MALE), n)],
    )
    intl_first = np.where(
        female,
        np.array(vocab.INTL_FIRST_FEMALE, object)[rng.integers(0, len(vocab.INTL_FIRST_FEMALE), n)],
        np.array(vocab.INTL_FIRST_MALE, object)[rng.integers(0, len(vocab.INTL_FIRST_MALE), n)],
    )
    intl_last = np.array(vocab.INTL_LAST, object)[rng.integers(0, len(vocab.INTL_LAST), n)]
    # Vietnamese CRMs keep the family name as last name and "middle given" as first name.
    first = np.where(is_vn, middle + " " + given, intl_first)
    last = np.where(is_vn, family, intl_last)

    def fold(values: np.ndarray) -> np.ndarray:
        return np.array([_local_part(v) for v in values], object)

    first_l = np.where(is_vn, fold(given), fold(intl_first))
    middle_l = np.where(is_vn, fold(middle), "")
    last_l = fold(last)
    return first, last, first_l, middle_l, last_l


def _places(rng: np.random.Generator, is_vn: np.ndarray) -> tuple[np.ndarray, ...]:
    n = len(is_vn)
    codes = np.array([c for c, *_ in vocab.INTL_COUNTRIES], object)
    names = np.array([name for _, name, *_ in vocab.INTL_COUNTRIES], object)
    weights = np.array([w for _, _, w, _ in vocab.INTL_COUNTRIES])
    which = rng.choice(len(codes), size=n, p=weights / weights.sum())
    intl_city = np.array(
        [
            vocab.INTL_COUNTRIES[w][3][k % len(vocab.INTL_COUNTRIES[w][3])]
            for w, k in zip(which, rng.integers(0, 1000, n), strict=True)
        ],
        object,
    )
    country = np.where(is_vn, "VN", codes[which])
    country_name = np.where(is_vn, "Vietnam", names[which])
    city = np.where(is_vn, _pick(rng, vocab.VN_CITIES, n), intl_city)
    return country, country_name, city


def _companies(rng: np.random.Generator, is_vn: np.ndarray) -> tuple[np.ndarray, ...]:
    n = len(is_vn)
    vn_key = np.array(vocab.VN_COMPANIES, object)[rng.integers(0, len(vocab.VN_COMPANIES), n)]
    intl_key = np.array(vocab.INTL_COMPANIES, object)[rng.integers(0, len(vocab.INTL_COMPANIES), n)]
    vn_suffix = np.array(vocab.VN_COMPANY_SUFFIXES, object)[rng.integers(0, 4, n)]
    intl_suffix = np.array(vocab.INTL_COMPANY_SUFFIXES, object)[rng.integers(0, 4, n)]
    key = np.where(is_vn, vn_key, intl_key)
    domain = np.where(is_vn, vn_key + vn_suffix, intl_key + intl_suffix)
    name = np.array([k.capitalize() for k in key], object) + np.where(is_vn, " JSC", " Inc.")
    return name, domain


def _phones(
    pop: Population, idx: np.ndarray, is_vn: np.ndarray, country: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Country calling code and national significant number, unique per person and valid."""
    cc = np.empty(len(idx), object)
    nsn = np.empty(len(idx), object)
    for i, (person, vn, iso) in enumerate(zip(idx.tolist(), is_vn, country, strict=True)):
        calling, prefixes, rest = PHONE_PLANS["VN" if vn else iso]
        j = (person * PHONE_MULTIPLIER + pop.phone_add) % (len(prefixes) * 10**rest)
        cc[i], nsn[i] = calling, f"{prefixes[j // 10**rest]}{j % 10**rest:0{rest}d}"
    return cc, nsn
