"""The dbt macro `normalize_phone` (what the warehouse stores) and `activation.normalize.phone_e164`
(what an erasure request, a suppression or a send is normalized to) give one E.164 for every
spelling of a number; where they differ, an erasure typed one way misses the person stored the
other way, and an audience hashes another value than the warehouse matched on.

What counts in the warehouse is the phone as identity and the marts read it: the macro's value
where `phone_is_valid` holds, null otherwise (staging keeps both columns; identity and the marts
only use valid phones). That is compared with Python's value, None where it gives none."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from phonenumbers.phonemetadata import PhoneMetadata

from activation.normalize import phone_e164
from orchestration.dbt_runner import run_dbt

pytestmark = pytest.mark.slow

SPELLINGS = [
    "+84 0912 345 678",
    "+840912345678",
    "0912345678",
    "84912345678",
    "+84912345678",
    "840912345678",
    "0084912345678",
    "00840912345678",
    "+84 (0) 90 123 4567",
    "0901.234.567",
    "+1 415-555-0123",
    "+44 (0)20 7123 4567",
    "+61 0412 345 678",
    "+66 081 234 5678",
]

VIETNAMESE = [
    # mobiles: 9-digit national numbers
    "0912 345 678",
    "0912.345.678",
    "(091) 234-5678",
    "091 234 5678",
    "912345678",
    "84 912 345 678",
    "0084 912 345 678",
    "0084 (0) 912 345 678",
    "+84 (0)912345678",
    "+84-912-345-678",
    "(+84) 912 345 678",
    "Tel: 0912 345 678",
    "SĐT: 0369.123.456",
    "0869 123 456",
    "0522 123 456",
    "0702 123 456",
    "0812 345 678",
    "0989 123 456 ",
    "0912345678\t",
    # landlines: 10-digit national numbers (area code 2x)
    "0243 123 4567",
    "024 3123 4567",
    "(024) 3123 4567",
    "024.3123.4567",
    "+84 24 3123 4567",
    "+84 (0)24 3123 4567",
    "+84 024 3123 4567",
    "84 24 3123 4567",
    "842431234567",
    "8402431234567",
    "0084 24 3123 4567",
    "028.3822.1234",
    "+84 28 3822 1234",
    "0236 3822 123",
    "+84 236 3822 123",
    "0203 3822 123",
    # too short or too long to be a person's number (hotlines, a digit missing or extra)
    "1900 1234",
    "1800 1234",
    "098912345",
    "+84 98 912 345",
    "09891234567",
]

REGIONS = [
    # DE: national numbers of 5 to 11 digits after the trunk 0
    "+49 (0)30 1234567",
    "+49 30 1234567",
    "+49 030 1234567",
    "0049 30 12345678",
    "+49 (0)89 123456",
    "+49 89 1234567",
    "+49 6221 123456",
    "+49 (0)6221 12345",
    "+49 33203 12345",
    "+49 (0)33203 1234",
    "+49 151 23456789",
    "+49 (0)151 23456789",
    "+49 1512 3456789",
    "+49 (0)170 1234567",
    "+49 40 123456789",
    # FR
    "+33 1 23 45 67 89",
    "+33 (0)1 23 45 67 89",
    "+33 06 12 34 56 78",
    "0033 6 12 34 56 78",
    "+33 (0)4 91 12 34 56",
    "+33 1 23 45 67 8",
    # GB: 10-digit, and 9-digit national numbers of small towns
    "+44 20 7123 4567",
    "+44 (0)7911 123456",
    "+44 07911 123456",
    "+44 161 123 4567",
    "+44 (0)1632 960123",
    "+44 16977 2345",
    "+44 (0)16977 2345",
    "+44 800 123 4567",
    # JP
    "+81 3-1234-5678",
    "+81 (0)3-1234-5678",
    "+81 03-1234-5678",
    "+81 (0)90-1234-5678",
    "+81 (0)6 1234 5678",
    "+81 45-123-4567",
    # AU
    "+61 2 9876 5432",
    "+61 (0)2 9876 5432",
    "+61 02 9876 5432",
    "+61 412 345 678",
    "+61 (0)412 345 678",
    # TH
    "+66 2 123 4567",
    "+66 (0)2 123 4567",
    "+66 81 234 5678",
    "+66 (0)81 234 5678",
    # US, CA
    "+1 (415) 555-0123",
    "001 415 555 0123",
    "+1 1 415 555 0123",
    "+1 416 555 0123",
    "+1 555 0123",
    # SG: no trunk prefix
    "+65 6123 4567",
    "+65 9123 4567",
    "0065 9123 4567",
    "+65 0 9123 4567",
]

JUNK = [
    "12345",
    "000000000",
    "0000000000",
    "n/a 0",
    "n/a",
    "abc 123",
    "tel 12",
    "0912345678 ext 12",
    "0912345678 x12",
    "0912345678 (mobile)",
    "0912 345 678 / 0987 654 321",
    "091234567891234",
    "+84 912 345 678 999",
    "+8491234567812345",
    "+0 912 345 678",
    "1111111111",
    "+84 111 111 111",
    "+84 000 000 000",
    "---",
    "0",
    "00",
    "123-456",
    "0912-345-67",
    "84",
    "+84",
    "1234567",
    "12345678",
    "+1 800 FLOWERS",
    "9999999999999999999",
]


@pytest.fixture(scope="module")
def warehouse_phones(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Per spelling, the phone identity and the marts read (null where `phone_is_valid` does
    not hold), as staging computes it with the default region VN; and `phone_regions()`.
    The raw column is named `phone`, as in stg_stripe__customers: the macros' own names for
    the values they bind must not be taken for it."""
    spellings = [*SPELLINGS, *VIETNAMESE, *REGIONS, *JUNK]
    tmp = tmp_path_factory.mktemp("phones")
    values = ", ".join("('" + spelling.replace("'", "''") + "')" for spelling in spellings)
    sql = (
        "select phone as p, case when {{ phone_is_valid(normalize_phone('phone')) }}"
        " then {{ normalize_phone('phone') }} end as e164,"
        " '{{ tojson(phone_regions()) }}' as regions"
        f" from (values {values}) as t(phone)"
    )
    result = run_dbt(
        ["show", "--inline", sql, "--output", "json", "--limit", str(len(spellings))],
        tmp / "cdp.duckdb",
        target_dir=tmp / "target",
        dbt_vars={"phone_default_region": "VN"},
    )
    assert result.success, result.output[-3000:]
    shown = json.loads(result.output[result.output.index("{") : result.output.rindex("}") + 1])
    rows = shown["show"]
    return {
        "e164": {row["p"]: row["e164"] for row in rows},
        "regions": json.loads(rows[0]["regions"]),
    }


def _disagreements(
    spellings: list[str], macro: dict[str, str | None]
) -> dict[str, tuple[str | None, str | None]]:
    """Per spelling where they differ: (the warehouse's phone, Python's)."""
    python = {spelling: phone_e164(spelling, "VN") for spelling in spellings}
    return {s: (macro[s], python[s]) for s in spellings if macro[s] != python[s]}


def test_the_macro_and_python_normalize_every_spelling_alike(
    warehouse_phones: dict[str, Any],
) -> None:
    macro = warehouse_phones["e164"]
    assert _disagreements(SPELLINGS, macro) == {}
    assert {macro[spelling] for spelling in SPELLINGS[:8]} == {"+84912345678"}


def test_vietnamese_mobiles_and_landlines_are_stored_as_python_normalizes_them(
    warehouse_phones: dict[str, Any],
) -> None:
    macro = warehouse_phones["e164"]
    assert _disagreements(VIETNAMESE, macro) == {}
    assert macro["024 3123 4567"] == macro["8402431234567"] == "+842431234567"


def test_numbers_of_every_listed_region_are_stored_as_python_normalizes_them(
    warehouse_phones: dict[str, Any],
) -> None:
    """A trunk prefix written after the calling code is dropped where phonenumbers drops it,
    whatever the national number's length (German ones vary from 5 to 11 digits)."""
    macro = warehouse_phones["e164"]
    assert _disagreements(REGIONS, macro) == {}
    assert macro["+49 (0)30 1234567"] == macro["+49 30 1234567"] == "+49301234567"
    assert macro["+44 (0)16977 2345"] == "+44169772345"


def test_junk_is_stored_as_no_phone_and_python_gives_none(warehouse_phones: dict[str, Any]) -> None:
    macro = warehouse_phones["e164"]
    assert _disagreements(JUNK, macro) == {}
    assert {macro[spelling] for spelling in JUNK} == {None}


def test_the_macros_region_lengths_are_phonenumbers_possible_lengths(
    warehouse_phones: dict[str, Any],
) -> None:
    """The macro reads lengths from its own table; a phonenumbers upgrade that changes a
    region's possible lengths must change the table too, or the two part again."""
    regions = warehouse_phones["regions"]
    for code, region in regions.items():
        metadata = PhoneMetadata.metadata_for_region(code)
        general = metadata.general_desc
        assert region["dial"] == str(metadata.country_code), code
        assert region["trunk"] == (metadata.national_prefix or ""), code
        assert region["lengths"] == list(general.possible_length), code
        assert region["local_lengths"] == list(general.possible_length_local_only), code


def test_staging_strips_a_phones_digits_once_per_column_not_once_per_mention(
    tmp_path: Path,
) -> None:
    """The macros name the raw phone and its digits dozens of times; inlined as text, each
    mention is a regexp_replace per row, and staging 1M phones took 126 s instead of 2.5 s.
    The phone and its validity flag cost one regexp_replace each."""
    result = run_dbt(
        ["compile", "--quiet", "--inline", "select {{ phone_fields('phone') }} from t"],
        tmp_path / "cdp.duckdb",
        target_dir=tmp_path / "target",
    )
    assert result.success, result.output[-3000:]
    assert result.output.count("regexp_replace(") == 2
