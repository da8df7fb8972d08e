"""Typing columns at ingestion: bad values become rejects with reasons, good ones real types."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

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
