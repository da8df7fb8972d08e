"""Typing columns at ingestion: bad values become rejects with reasons, good ones real types."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pyarrow as pa
import pytest

from ingestion.coercion import coerce
from ingestion.exports import spec_for
from ingestion.parsing.lines import split_lines
from ingestion.parsing.result import ParsedFile, Quarantine


def _parsed(columns: dict[str, list]) -> ParsedFile:
    table = pa.table(columns)
    numbers = np.arange(2, table.num_rows + 2)
    return ParsedFile(table, numbers, table.num_rows, Quarantine(), split_lines(b""))


def test_vnpay_gmt7_pay_date_becomes_the_utc_instant_and_amount_an_integer():
    parsed = _parsed(
        {"vnp_txnref": ["DH1"], "vnp_paydate": ["20260304161233"], "vnp_amount": ["45000000"]}
    )
    table = coerce(parsed, spec_for("vnpay", "transactions"))
    assert table.column("vnp_paydate").to_pylist() == [
        dt.datetime(2026, 3, 4, 9, 12, 33, tzinfo=dt.UTC)
    ]
    assert table.column("vnp_amount").type == pa.int64()


def test_locale_and_typo_amounts_are_rejected_naming_the_column():
    parsed = _parsed(
        {
            "record_id": ["1", "2", "3", "4"],
            "amount": ["129.5", "12,50", "1.2OO.000", "N/A"],
        }
    )
    table = coerce(parsed, spec_for("hubspot", "deals"))
    assert table.column("amount").to_pylist() == [129.5]
    assert parsed.line_numbers.tolist() == [2]
    assert parsed.quarantine.reasons[3] == "amount: not a valid decimal: '12,50'"
    assert set(parsed.quarantine.reasons) == {3, 4, 5}


def test_impossible_dates_are_rejected_and_empty_text_is_null():
    parsed = _parsed(
        {
            "record_id": ["1", "2", "3"],
            "last_modified_date": ["2026-03-04 09:12", "2026-02-30 25:61", ""],
        }
    )
    table = coerce(parsed, spec_for("hubspot", "contacts"))
    assert table.column("record_id").to_pylist() == ["1", "3"]
    assert table.column("last_modified_date").to_pylist()[1] is None
    assert "last_modified_date: not a valid timestamp" in parsed.quarantine.reasons[3]


def test_row_without_its_key_is_rejected():
    parsed = _parsed({"record_id": ["1", " ", None]})
    coerce(parsed, spec_for("hubspot", "contacts"))
    assert parsed.quarantine.reasons == {
        3: "record_id: key is missing: ' '",
        4: "record_id: key is missing",
    }


def test_file_type_constant_is_added():
    parsed = _parsed({"leid": ["7"]})
    table = coerce(parsed, spec_for("mailchimp", "cleaned"))
    assert table.column("status").to_pylist() == ["cleaned"]


def test_json_strings_in_a_number_column_are_rejected_where_csv_text_converts():
    """A JSONL column holds text only where the JSON held strings, and `"9"` is not a number
    (docs/raw-tables.md), nor is an empty string null as an empty CSV field is."""
    parsed = _parsed({"id": ["ch_1", "ch_2", "ch_3"], "amount": ["9", "", None]})
    table = coerce(parsed, spec_for("stripe", "charges"))
    assert table.column("id").to_pylist() == ["ch_3"]
    assert table.column("amount").type == pa.int64()
    assert parsed.quarantine.reasons == {
        2: "amount: not a valid integer: '9'",
        3: "amount: not a valid integer: ''",
    }


def _insights(actions: list[str]) -> ParsedFile:
    """Insights rows with their key, each holding one `actions` text."""
    rows = len(actions)
    return _parsed(
        {
            "campaign_id": ["1"] * rows,
            "adset_id": ["2"] * rows,
            "ad_id": [str(row) for row in range(rows)],
            "date_start": ["2026-03-04"] * rows,
            "actions": actions,
        }
    )


def _actions(*entries: tuple[str, str]) -> str:
    return json.dumps([{"action_type": kind, "value": value} for kind, value in entries])


@pytest.mark.parametrize("bad_neighbour", [False, True], ids=["all_valid", "beside_a_bad_line"])
def test_action_types_that_snake_case_alike_fill_one_column_the_first_entry_winning(
    bad_neighbour: bool,
):
    """`offsite_conversion.fb_pixel_purchase` and `offsite_conversion_fb_pixel_purchase`, or
    `Lead` and `lead`, once made two columns of one name, which dlt's extract refused. A line
    sending one twice keeps its first entry, as a Lead Ads answer does."""
    parsed = _insights(
        [
            _actions(("offsite_conversion.fb_pixel_purchase", "3")),
            _actions(("offsite_conversion_fb_pixel_purchase", "4")),
            _actions(("lead", "1"), ("Lead", "2")),
            _actions(("lead", "5"), ("link_click", "9"), ("lead", "6")),
        ]
        + (["not json"] if bad_neighbour else [])
    )
    table = coerce(parsed, spec_for("facebook_ads", "insights"))
    pivoted = [name for name in table.column_names if name.startswith("actions__")]
    assert pivoted == [
        "actions__offsite_conversion_fb_pixel_purchase",
        "actions__lead",
        "actions__link_click",
    ]
    assert table.column(pivoted[0]).to_pylist() == [3.0, 4.0, None, None]
    assert table.column("actions__lead").to_pylist() == [None, None, 1.0, 5.0]
    assert table.column("actions__link_click").to_pylist() == [None, None, None, 9.0]
    assert list(parsed.quarantine.reasons) == ([6] if bad_neighbour else [])


@pytest.mark.parametrize("bad_neighbour", [False, True], ids=["all_valid", "beside_a_bad_line"])
@pytest.mark.parametrize("kind", ["!!", " "])
def test_an_action_type_that_snake_cases_to_nothing_rejects_its_line_naming_it(
    kind: str, bad_neighbour: bool
):
    """Such a type could name no column but `actions__`, which dlt read as `actions` itself."""
    parsed = _insights(
        [_actions(("lead", "1")), _actions(("lead", "2"), (kind, "3"), ("%", "4"))]
        + (["not json"] if bad_neighbour else [])
    )
    table = coerce(parsed, spec_for("facebook_ads", "insights"))
    assert [name for name in table.column_names if name.startswith("actions__")] == [
        "actions__lead"
    ]
    assert table.column("actions__lead").to_pylist() == [1.0]
    assert parsed.quarantine.reasons[3] == (
        f"actions: an entry's action_type has no a-z or 0-9 to name a column: {kind!r}"
    )
    assert sorted(parsed.quarantine.reasons) == ([3, 4] if bad_neighbour else [3])


def _coerced_insights(lines: list[object], bad_neighbour: bool) -> tuple[pa.Table, dict[int, str]]:
    """Coerced insights rows whose `actions` are `lines` as JSON, maybe beside a line that is no
    JSON, which once sent every line through another parse with other rules."""
    parsed = _insights(
        [json.dumps(line) for line in lines] + (["not json"] if bad_neighbour else [])
    )
    table = coerce(parsed, spec_for("facebook_ads", "insights"))
    reasons = dict(parsed.quarantine.reasons)
    if bad_neighbour:
        assert reasons.pop(len(lines) + 2) == "actions: not a JSON list: 'not json'"
    return table, reasons


@pytest.mark.parametrize("bad_neighbour", [False, True], ids=["all_valid", "beside_a_bad_line"])
@pytest.mark.parametrize(
    ("sent", "valid"),
    [
        ("x", "3"),
        ("1,5", "3.5"),
        ("", "3"),
        (" 3", "3"),
        (True, "3"),
        ({"n": 1}, "3"),
        (float("nan"), 3.5),
    ],
)
def test_an_action_value_that_is_no_number_rejects_its_line_naming_the_type_and_the_value(
    sent: object, valid: object, bad_neighbour: bool
):
    """A value Arrow could not cast failed the whole load (`Failed to parse string: 'x' as a
    scalar of type double`). Meta sends numbers as text; a JSON number is read too."""
    table, reasons = _coerced_insights(
        [
            [{"action_type": "lead", "value": valid}],
            [{"action_type": "link_click", "value": valid}, {"action_type": "lead", "value": sent}],
        ],
        bad_neighbour,
    )
    assert table.column("actions__lead").to_pylist() == [float(valid)]
    assert reasons == {3: f"actions: the value of 'lead' is not a number: {sent!r}"}


def test_an_action_value_beyond_a_doubles_exact_integers_loads_as_the_nearest_double():
    """Arrow's checked cast of such a JSON integer to a double raised, which stopped the load;
    a decimal column holds doubles, so the value loads as the nearest one."""
    table, reasons = _coerced_insights(
        [
            [{"action_type": "lead", "value": 9007199254740993}],
            [{"action_type": "lead", "value": 3}],
        ],
        bad_neighbour=False,
    )
    assert table.column("actions__lead").to_pylist() == [9007199254740992.0, 3.0]
    assert reasons == {}


@pytest.mark.parametrize("bad_neighbour", [False, True], ids=["all_valid", "beside_a_bad_line"])
@pytest.mark.parametrize(
    "entry",
    [{"value": "4"}, {"action_type": None, "value": "4"}, {"action_type": "", "value": "4"}],
)
def test_an_entry_without_an_action_type_rejects_its_line(entry: dict, bad_neighbour: bool):
    """Alone, such an entry was dropped and its line loaded; beside a line of no JSON, its line
    was "not a JSON list", and a null type made an `actions__none` column."""
    table, reasons = _coerced_insights(
        [[{"action_type": "lead", "value": "1"}], [{"action_type": "lead", "value": "2"}, entry]],
        bad_neighbour,
    )
    assert [name for name in table.column_names if name.startswith("actions__")] == [
        "actions__lead"
    ]
    assert table.column("actions__lead").to_pylist() == [1.0]
    assert reasons == {3: f"actions: an entry has no action_type: {entry!r}"}


@pytest.mark.parametrize("bad_neighbour", [False, True], ids=["all_valid", "beside_a_bad_line"])
@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        (1, "an entry is not an {action_type, value} object: 1"),
        (None, "an entry is not an {action_type, value} object"),
        ({"action_type": 5, "value": "4"}, "an entry's action_type is not text: 5"),
        (
            {"action_type": "le\ud800ad", "value": "4"},
            r"an entry's action_type is not text: 'le\ud800ad'",
        ),
    ],
)
def test_an_entry_that_is_no_object_or_whose_type_is_no_text_rejects_its_line(
    entry: object, reason: str, bad_neighbour: bool
):
    """Alone, such a line loaded without the entry (or with an `actions__5` column); beside a
    line of no JSON, it was "not a JSON list". A lone surrogate (`\\ud800`) failed the load."""
    table, reasons = _coerced_insights(
        [[{"action_type": "lead", "value": "1"}], [entry]], bad_neighbour
    )
    assert table.column("actions__lead").to_pylist() == [1.0]
    assert reasons == {3: f"actions: {reason}"}


@pytest.mark.parametrize("bad_neighbour", [False, True], ids=["all_valid", "beside_a_bad_line"])
def test_an_entry_without_a_value_or_a_null_list_is_an_action_not_reported(bad_neighbour: bool):
    """Beside a line of no JSON, such lines were rejected as "not a JSON list"; a file where no
    entry had a value failed the load."""
    table, reasons = _coerced_insights(
        [
            [{"action_type": "lead"}],
            [{"action_type": "lead", "value": None}, {"action_type": "lead", "value": "7"}],
            None,
        ],
        bad_neighbour,
    )
    assert table.column("actions__lead").to_pylist() == [None, None, None]
    assert reasons == {}


@pytest.mark.parametrize("bad_neighbour", [False, True], ids=["all_valid", "beside_a_bad_line"])
def test_a_rejected_row_adds_no_action_column(bad_neighbour: bool):
    """A row rejected for its date, or for another entry of its list, added its action types as
    columns null on every row that loaded."""
    lines = [
        _actions(("lead", "1")),
        _actions(("video_view", "2")),
        _actions(("post_reaction", "3"), ("lead", "x")),
    ]
    parsed = _parsed(
        {
            "campaign_id": ["1"] * 3 + (["1"] if bad_neighbour else []),
            "adset_id": ["2"] * 3 + (["2"] if bad_neighbour else []),
            "ad_id": ["1", "2", "3"] + (["4"] if bad_neighbour else []),
            "date_start": ["2026-03-04", "2026-13-01", "2026-03-04"]
            + (["2026-03-04"] if bad_neighbour else []),
            "actions": lines + (["not json"] if bad_neighbour else []),
        }
    )
    table = coerce(parsed, spec_for("facebook_ads", "insights"))
    assert [name for name in table.column_names if name.startswith("actions__")] == [
        "actions__lead"
    ]
    assert table.column("actions__lead").to_pylist() == [1.0]
    assert sorted(parsed.quarantine.reasons) == ([3, 4, 5] if bad_neighbour else [3, 4])


def test_a_day_its_month_lacks_is_rejected_whatever_the_format_and_leap_days_load():
    parsed = _parsed(
        {
            "email_address": ["a@x.com"] * 5,
            "campaign_id": ["1"] * 5,
            "timestamp": [
                "2026-02-30T10:00:00+0700",
                "2026-02-29T00:30:00+07:00",
                "2024-02-29T00:30:00+07:00",
                "2100-02-29T00:00:00+0000",
                "2000-02-29T23:30:00-0700",
            ],
        }
    )
    table = coerce(parsed, spec_for("mailchimp", "campaign_activity"))
    assert table.column("timestamp").to_pylist() == [
        dt.datetime(2024, 2, 28, 17, 30, tzinfo=dt.UTC),
        dt.datetime(2000, 3, 1, 6, 30, tzinfo=dt.UTC),
    ]
    assert sorted(parsed.quarantine.reasons) == [2, 3, 5]
    assert parsed.quarantine.reasons[2] == (
        "timestamp: not a valid timestamp (%Y-%m-%dT%H:%M:%S%z): '2026-02-30T10:00:00+0700'"
    )


def test_integer_text_loads_up_to_the_int64_bounds_and_beyond_them_is_rejected():
    values = [
        "9223372036854775807",
        "-9223372036854775808",
        "+0009223372036854775807",
        "9223372036854775808",
        "-9223372036854775809",
        "123456789012345678901",
    ]
    parsed = _parsed({"vnp_txnref": [f"DH{i}" for i in range(6)], "vnp_amount": values})
    table = coerce(parsed, spec_for("vnpay", "transactions"))
    assert table.column("vnp_amount").to_pylist() == [2**63 - 1, -(2**63), 2**63 - 1]
    assert parsed.quarantine.reasons[7] == (
        "vnp_amount: not a valid integer: '123456789012345678901'"
    )
    assert sorted(parsed.quarantine.reasons) == [5, 6, 7]
