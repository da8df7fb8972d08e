"""Give declared columns their types, so a bad date or amount is a rejected row, not text in raw.

Everything is column-at-a-time Arrow compute; Python only touches the few rejected rows to word
their reasons.
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pa_json

from ingestion.arrow_text import is_text
from ingestion.exports import NUMBER_KINDS, ExportSpec, FileFormat, Kind, Typed, snake_case
from ingestion.parsing.result import ParsedFile
from ingestion.reasons import not_valid, showing

_INTEGER_TEXT = r"^[+-]?[0-9]+$"
_DECIMAL_TEXT = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$"
_TRUE = ["true", "1", "yes"]
_FALSE = ["false", "0", "no"]


def coerce(parsed: ParsedFile, spec: ExportSpec) -> pa.Table:
    """Typed rows of `parsed` that passed every check; the others go to its quarantine."""
    table = parsed.table
    problems: list[tuple[np.ndarray, pa.Array, str]] = []
    for name, typed in spec.types.items():
        if name not in table.column_names:
            continue
        original = table[name].combine_chunks()
        converted, bad = _convert(original, typed, spec.file_format)
        table = table.set_column(table.column_names.index(name), name, converted)
        problems.append((bad, original, not_valid(name, typed)))
    for name in spec.key:
        column = table[name].combine_chunks() if name in table.column_names else None
        if column is None:
            missing = np.ones(table.num_rows, dtype=bool)
        elif is_text(column.type):
            missing = pc.or_kleene(
                pc.is_null(column), pc.equal(pc.utf8_trim_whitespace(column), "")
            )
            missing = missing.fill_null(True).to_numpy(zero_copy_only=False)
        else:
            missing = pc.is_null(column).to_numpy(zero_copy_only=False)
        shown = column if column is not None else pa.nulls(table.num_rows)
        problems.append((missing, shown, f"{name}: key is missing"))
    for name in spec.pivot_lists:
        if name in table.column_names and is_text(table[name].type):
            table, found = _pivot_json_text(table, name)
            problems += found
    rejected = np.zeros(table.num_rows, dtype=bool)
    for bad, original, reason in problems:
        for row in np.nonzero(bad & ~rejected)[0].tolist():
            reason_shown = showing(reason, original[row].as_py())
            parsed.quarantine.add([int(parsed.line_numbers[row])], reason_shown)
        rejected |= bad
    keep = pa.array(~rejected)
    parsed.line_numbers = parsed.line_numbers[~rejected]
    table = table.filter(keep)
    for name, value in spec.constants.items():
        table = table.append_column(name, pa.array([value] * table.num_rows, pa.string()))
    return table


def _convert(
    column: pa.Array, typed: Typed, file_format: FileFormat
) -> tuple[pa.Array, np.ndarray]:
    """The typed column, and which rows held a value that did not convert."""
    if _json_text_for_a_number(column, typed, file_format):
        bad = pc.is_valid(column).to_numpy(zero_copy_only=False)
        return pa.nulls(len(column), _number_type(typed.kind)), bad
    if is_text(column.type):
        column = pc.utf8_trim_whitespace(column)
        column = pc.if_else(pc.equal(column, ""), pa.scalar(None, column.type), column)
    if typed.kind in (Kind.TIMESTAMP, Kind.DATE):
        converted = _convert_time(column, typed)
    elif typed.kind in (Kind.INTEGER, Kind.DECIMAL):
        converted = _convert_number(column, typed.kind)
    else:
        converted = _convert_boolean(column)
    bad = pc.and_(pc.is_valid(column), pc.is_null(converted)).to_numpy(zero_copy_only=False)
    return converted, bad


def _json_text_for_a_number(column: pa.Array, typed: Typed, file_format: FileFormat) -> bool:
    """Whether a declared number column of a JSONL file holds JSON strings. Every CSV field is
    text, but JSON values keep their JSON type (docs/raw-tables.md): `"9"` is not a number, as
    the parser's pre-check rules for the lines it finds (ingestion/parsing/jsonl_file.py). Those
    it misses reach this point: a key spelled with a JSON escape (`amoun\\u0074`), which its
    regex does not match and Arrow decodes, on every line of a file."""
    return file_format is FileFormat.JSONL and typed.kind in NUMBER_KINDS and is_text(column.type)


def _convert_time(column: pa.Array, typed: Typed) -> pa.Array:
    if not is_text(column.type):
        column = pc.cast(column, pa.string())
    parsed = pc.strptime(column, format=typed.fmt, unit="us", error_is_null=True)
    if typed.kind is Kind.DATE:
        return pc.cast(parsed, pa.date32())
    if parsed.type.tz is None:
        shift = pa.scalar(dt.timedelta(hours=typed.utc_offset_hours), pa.duration("us"))
        parsed = pc.cast(pc.subtract(parsed, shift), pa.timestamp("us", tz="UTC"))
    return parsed


def _number_type(kind: Kind) -> pa.DataType:
    return pa.int64() if kind is Kind.INTEGER else pa.float64()


def _convert_number(column: pa.Array, kind: Kind) -> pa.Array:
    target = _number_type(kind)
    if is_text(column.type):
        pattern = _INTEGER_TEXT if kind is Kind.INTEGER else _DECIMAL_TEXT
        valid = pc.match_substring_regex(column, pattern)
        return pc.cast(pc.if_else(valid, column, pa.scalar(None, column.type)), target)
    if pa.types.is_floating(column.type) and kind is Kind.INTEGER:
        whole = pc.equal(pc.floor(column), column)
        return pc.cast(pc.if_else(whole, column, pa.scalar(None, column.type)), target)
    if pa.types.is_integer(column.type) or pa.types.is_floating(column.type):
        return pc.cast(column, target)
    return pa.nulls(len(column), target)


def _convert_boolean(column: pa.Array) -> pa.Array:
    if pa.types.is_boolean(column.type):
        return column
    lowered = pc.utf8_lower(pc.cast(column, pa.string()))
    truth = pc.if_else(pc.is_in(lowered, pa.array(_TRUE)), True, None)
    return pc.if_else(pc.is_in(lowered, pa.array(_FALSE)), False, truth)


def _pivot_json_text(
    table: pa.Table, name: str
) -> tuple[pa.Table, list[tuple[np.ndarray, pa.Array, str]]]:
    """A JSON list of `{action_type, value}` in a CSV field (Facebook `actions`) becomes
    `<name>__<action_type>` number columns; the text is kept as it came. Action types that
    snake_case alike are one column, as dlt could take no two of one name; a line sending one
    twice keeps its first entry, as Lead Ads answers do (`owners` ascends, so that entry is
    where the line's row number first appears). A type that snake_cases to nothing (`!!`)
    could name no column: its line is rejected, as a Lead Ads answer without a name."""
    text = pc.utf8_trim_whitespace(table[name].combine_chunks())
    text = pc.if_else(pc.or_kleene(pc.is_null(text), pc.equal(text, "")), "[]", text)
    wrapped = pc.binary_join_element_wise('{"v":', text, "}\n", "")
    try:
        lists = pa_json.read_json(pa.py_buffer(_concatenate(wrapped)))["v"].combine_chunks()
        bad = np.zeros(table.num_rows, dtype=bool)
        if len(lists) != table.num_rows or not pa.types.is_list(lists.type):
            raise ValueError("rows and lists do not pair up")
    except (pa.ArrowInvalid, ValueError):
        lists, bad = _parse_json_lists_one_by_one(text)
    problems = [(bad, table[name].combine_chunks(), f"{name}: not a JSON list")]
    entries = pc.list_flatten(lists)
    if len(entries) == 0 or not pa.types.is_struct(entries.type):
        return table, problems
    owners = pc.list_parent_indices(lists).to_numpy(zero_copy_only=False)
    kinds = pc.cast(entries.field("action_type"), pa.string())
    values = pc.cast(pc.cast(entries.field("value"), pa.string()), pa.float64(), safe=False)
    alike: dict[str, list[str]] = {}
    for kind in pc.unique(kinds).drop_null().to_pylist():
        alike.setdefault(snake_case(kind), []).append(kind)
    for snake_cased, spellings in alike.items():
        chosen = pc.is_in(kinds, pa.array(spellings, pa.string()))
        chosen = chosen.fill_null(False).to_numpy(zero_copy_only=False)
        rows = owners[chosen]
        first = np.ones(len(rows), dtype=bool)
        first[1:] = rows[1:] != rows[:-1]
        positions = np.full(table.num_rows, -1, dtype=np.int64)
        positions[rows[first]] = np.nonzero(chosen)[0][first]
        index = pa.array(positions, mask=positions < 0)
        if snake_cased:
            table = table.append_column(f"{name}__{snake_cased}", values.take(index))
        else:
            reason = f"{name}: an entry's action_type has no a-z or 0-9 to name a column"
            problems.append((positions >= 0, kinds.take(index), reason))
    return table, problems


def _parse_json_lists_one_by_one(text: pa.Array) -> tuple[pa.Array, np.ndarray]:
    rows: list[list[dict[str, str]] | None] = []
    bad = np.zeros(len(text), dtype=bool)
    for index, value in enumerate(text.to_pylist()):
        try:
            entries = json.loads(value)
            rows.append(
                [{"action_type": str(e["action_type"]), "value": str(e["value"])} for e in entries]
            )
        except (ValueError, TypeError, KeyError):
            rows.append(None)
            bad[index] = True
    entry = pa.struct([("action_type", pa.string()), ("value", pa.string())])
    return pa.array(rows, pa.list_(entry)), bad


def _concatenate(strings: pa.Array) -> pa.Buffer:
    """The values of a string array back to back, without copying them one by one."""
    strings = (
        strings.cast(pa.large_string()) if not pa.types.is_large_string(strings.type) else strings
    )
    offsets = np.frombuffer(strings.buffers()[1], dtype=np.int64)[strings.offset :]
    return strings.buffers()[2][int(offsets[0]) : int(offsets[len(strings)])]
