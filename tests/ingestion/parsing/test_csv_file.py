"""CSV reading: every line is one record, and a broken line never swallows its neighbour."""

from __future__ import annotations

import numpy as np

from ingestion.parsing.csv_file import read_csv_file

COLUMNS = ["id", "name", "city"]


def _read(text: str):
    return read_csv_file(text.encode(), COLUMNS)


def test_rows_keep_their_physical_line_numbers_across_blank_lines():
    parsed = _read('id,name,city\n"1","An","Hue"\n\n"2","Binh","Hanoi"\n')
    assert parsed.table.column("id").to_pylist() == ["1", "2"]
    assert parsed.line_numbers.tolist() == [2, 4]
    assert parsed.rows_read == 2


def test_unclosed_quote_is_quarantined_and_the_next_line_still_loads():
    parsed = _read('id,name,city\n"1","An,"Hue"\n"2","Binh","Hanoi"\n')
    assert parsed.table.column("id").to_pylist() == ["2"]
    assert parsed.line_numbers.tolist() == [3]
    assert "broken quoting" in parsed.quarantine.reasons[2]


def test_wrong_field_count_is_quarantined_by_line():
    parsed = _read('id,name,city\n"1","An"\n"2","Binh","Hanoi"\n"3","C","D","E"\n')
    assert parsed.line_numbers.tolist() == [3]
    assert set(parsed.quarantine.reasons) == {2, 4}
    assert parsed.rows_read == 3


def test_empty_unquoted_field_is_null_and_quoted_empty_is_text():
    parsed = _read('id,name,city\n"1",,""\n')
    assert parsed.table.to_pylist() == [{"id": "1", "name": None, "city": ""}]


def test_crlf_line_endings_are_read_like_lf():
    parsed = _read('id,name,city\r\n"1","An","Hue"\r\n"2","B","C"\r\n')
    assert parsed.table.column("city").to_pylist() == ["Hue", "C"]
    assert parsed.line_numbers.tolist() == [2, 3]


def test_header_only_and_empty_files_have_no_rows():
    for text in ("", "id,name,city\n"):
        parsed = _read(text)
        assert parsed.rows_read == 0
        assert parsed.table.num_rows == 0
        assert np.array_equal(parsed.line_numbers, [])


def test_line_cut_inside_a_multibyte_character_is_quarantined():
    data = 'id,name,city\n"1","Nguyễn","Hue"\n'.encode() + b'"2","Nguy'[:-1] + b"\xe1\n"
    data += b'"3","Tran","Hanoi"\n'
    parsed = read_csv_file(data, COLUMNS)
    assert parsed.table.column("id").to_pylist() == ["1", "3"]
    assert parsed.quarantine.reasons == {3: "not valid UTF-8 text"}
