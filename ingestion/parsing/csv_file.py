"""CSV exports (RFC 4180, one record per physical line) read by Arrow, every column as text.

A line with an odd number of quote characters cannot be one record: Arrow would run it into the
next line, so such lines are quarantined and blanked before parsing. A line with the wrong number
of fields is caught by Arrow's invalid-row handler. If rows and lines still do not pair up one to
one, the file is read line by line with the standard csv module instead (slow, never silent).
"""

from __future__ import annotations

import csv
import io

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from ingestion.parsing.lines import Bytes, Lines, blank_out, split_lines
from ingestion.parsing.result import ParsedFile, Quarantine

_BLOCK_SIZE = 16 << 20


def read_header(data: bytes) -> list[str]:
    first_line = data.split(b"\n", 1)[0].decode("utf-8-sig").rstrip("\r")
    return next(csv.reader([first_line]), [])


def read_csv_file(data: Bytes, columns: list[str], first_line: int = 1) -> ParsedFile:
    """`columns` are the raw names of the header's fields, in order. `data` is the file, or a
    run of its whole lines starting at `first_line` (line 1 is the header)."""
    lines = split_lines(data, first_line)
    quarantine = Quarantine()
    numbers = lines.numbers
    if len(lines) == 0 or (first_line == 1 and len(lines) == 1):
        return ParsedFile(_empty(columns), np.zeros(0, np.int64), 0, quarantine, lines)
    is_record = (lines.lengths > 0) & (numbers > 1)
    rows_read = int(is_record.sum())
    odd_quotes = pc.bit_wise_and(pc.count_substring(lines.text, '"'), 1).to_numpy(
        zero_copy_only=False
    )
    not_utf8 = is_record & np.isin(numbers, lines.not_utf8)
    quarantine.add(numbers[not_utf8], "not valid UTF-8 text")
    broken = is_record & (odd_quotes == 1) & ~not_utf8
    quarantine.add(numbers[broken], "broken quoting: a quoted field is not closed on its line")
    broken |= not_utf8
    candidates = numbers[is_record & ~broken]

    wrong_width: list[str] = []

    def on_invalid_row(row: pa_csv.InvalidRow) -> str:
        wrong_width.append(row.text)
        return "skip"

    try:
        table = pa_csv.read_csv(
            pa.py_buffer(blank_out(data, lines, numbers[broken])),
            read_options=pa_csv.ReadOptions(
                column_names=columns, skip_rows=int(first_line == 1), block_size=_BLOCK_SIZE
            ),
            parse_options=pa_csv.ParseOptions(
                newlines_in_values=False, invalid_row_handler=on_invalid_row
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(columns, pa.string()),
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid:
        return _read_line_by_line(lines, columns, rows_read)
    if wrong_width:
        bad = pc.is_in(lines.take(candidates), value_set=pa.array(wrong_width)).to_numpy(
            zero_copy_only=False
        )
        quarantine.add(candidates[bad], f"wrong number of fields (header has {len(columns)})")
        candidates = candidates[~bad]
    if table.num_rows != len(candidates):
        return _read_line_by_line(lines, columns, rows_read)
    return ParsedFile(table, candidates, rows_read, quarantine, lines)


def _read_line_by_line(lines: Lines, columns: list[str], rows_read: int) -> ParsedFile:
    """Each line parsed on its own: the answer when Arrow's parse does not align with lines."""
    quarantine = Quarantine()
    values: list[list[str | None]] = [[] for _ in columns]
    kept: list[int] = []
    texts = lines.take(lines.numbers).to_pylist()
    for number, text in zip(lines.numbers.tolist(), texts, strict=True):
        if number == 1 or not text:
            continue
        if text.count('"') % 2:
            quarantine.add([number], "broken quoting: a quoted field is not closed on its line")
            continue
        fields = next(csv.reader(io.StringIO(text)), [])
        if len(fields) != len(columns):
            quarantine.add([number], f"wrong number of fields (header has {len(columns)})")
            continue
        for column, value in zip(values, fields, strict=True):
            column.append(value or None)
        kept.append(number)
    table = pa.table(
        {name: pa.array(column, pa.string()) for name, column in zip(columns, values, strict=True)}
    )
    return ParsedFile(table, np.array(kept, dtype=np.int64), rows_read, quarantine, lines)


def _empty(columns: list[str]) -> pa.Table:
    return pa.table({name: pa.array([], pa.string()) for name in columns})
