"""Golden vectors: the expected hash is computed here from the literal normalized string."""

from __future__ import annotations

import hashlib
import unicodedata

import phonenumbers
import pytest

from activation.destinations.google import google_identifiers
from activation.destinations.meta import meta_row
from activation.normalize import (
    normalize_email,
    normalize_name,
    phone_e164,
    phone_for_google,
    phone_for_meta,
)


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  John.Doe@Example.COM ", "john.doe@example.com"),
        ("NGUYEN.VAN.A@GMAIL.COM", "nguyen.van.a@gmail.com"),
        ("\tmai@example.vn\n", "mai@example.vn"),
    ],
)
def test_email_is_trimmed_and_lowercased(raw: str, expected: str):
    assert normalize_email(raw) == expected


@pytest.mark.parametrize(
    ("raw", "region", "meta", "google"),
    [
        ("0912 345 678", "VN", "84912345678", "+84912345678"),
        ("+84 912 345 678", None, "84912345678", "+84912345678"),
        ("(415) 555-0123", "US", "14155550123", "+14155550123"),
        ("+1 415-555-0123", "VN", "14155550123", "+14155550123"),
        ("+840912345678", None, "84912345678", "+84912345678"),
        ("+84 0912 345 678", "VN", "84912345678", "+84912345678"),
        ("84912345678", "VN", "84912345678", "+84912345678"),
    ],
)
def test_phone_has_country_code_without_plus_for_meta_and_with_plus_for_google(
    raw: str, region: str | None, meta: str, google: str
):
    assert phone_for_meta(raw, region) == meta
    assert phone_for_google(raw, region) == google


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Nguyễn", "nguyễn"),
        ("  TRẦN ", "trần"),
        ("Đặng", "đặng"),
        ("Thị Minh", "thịminh"),
        ("O'Brien-Smith", "obriensmith"),
        ("José", "josé"),
    ],
)
def test_names_keep_diacritics_and_lose_punctuation(raw: str, expected: str):
    assert normalize_name(raw) == expected


def test_decomposed_and_precomposed_vietnamese_hash_alike_nfc():
    decomposed = unicodedata.normalize("NFD", "Nguyễn")
    assert decomposed != "Nguyễn"
    assert sha(normalize_name(decomposed)) == sha("nguyễn")
    assert sha(normalize_name("Nguyễn")) != sha("nguyn")


def test_meta_row_hashes_each_normalized_identifier():
    row = meta_row(
        {
            "email": " Lan.Nguyen@Example.com ",
            "phone": "0912 345 678",
            "first_name": "Lan",
            "last_name": "Nguyễn",
            "country": "VN",
        }
    )
    assert row == [
        sha("lan.nguyen@example.com"),
        sha("84912345678"),
        sha("lan"),
        sha("nguyễn"),
        sha("vn"),
    ]


def test_google_identifiers_hash_phone_with_plus():
    ids = google_identifiers({"email": "A@B.co ", "phone": "0912 345 678", "country": "VN"})
    assert ids == [{"emailAddress": sha("a@b.co")}, {"phoneNumber": sha("+84912345678")}]


def test_unparseable_phone_is_dropped_not_sent_raw():
    assert phone_for_meta("12", "VN") is None
    assert google_identifiers({"email": None, "phone": "not a phone"}) == []


def test_the_fast_path_answers_what_parsing_answers_for_every_regions_example_numbers():
    """The fast path for strings already in E.164 skips parsing; it must never answer otherwise
    than parsing the same digits (written with a space, which only parsing reads): not keep a
    trunk prefix after the country code, a number of a length impossible there, or junk."""
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is None:
                continue
            national = phonenumbers.national_significant_number(example)
            for written in (national, f"0{national}", national[:-1], f"{national}5"):
                canonical = f"+{example.country_code}{written}"
                parsed = phone_e164(f"+{example.country_code} {written}")
                assert phone_e164(canonical) == parsed, (region, canonical)


def test_example_numbers_in_e164_come_back_untouched():
    e164 = [
        phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
        for region in ("VN", "US", "GB", "DE", "FR", "JP", "AU", "TH", "SG", "CN", "BR", "IN")
        for kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE)
        if (example := phonenumbers.example_number_for_type(region, kind)) is not None
    ]
    assert [phone_e164(phone) for phone in e164] == e164


@pytest.mark.parametrize(
    "raw",
    [
        "000000000",
        "+84 111 111 111",
        "1900 1234",
        "+8491234567",
        "0912345678 ext 12",
        "+1 800 FLOWERS",
    ],
)
def test_phones_the_warehouse_never_stores_as_valid_are_none(raw: str):
    """phone_is_valid's rules (one digit repeated, a Vietnamese number of 7 or 8 digits) and
    digits after a letter (an extension, a keypad word): phonenumbers alone makes a number of
    each, which the warehouse never stores as valid."""
    assert phone_e164(raw, "VN") is None
