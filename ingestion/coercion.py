"""Give declared columns their types, so a bad date or amount is a rejected row, not text in raw.

Everything is column-at-a-time Arrow compute; Python only touches the few rejected rows to word
their reasons.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pa_json

from ingestion.arrow_text import is_text
from ingestion.exports import (
    EXACT_DOUBLE,
    NUMBER_KINDS,
    ExportSpec,
    FileFormat,
    Kind,
    Typed,
    snake_case,
)
from ingestion.named_entries import with_column_per_name
from ingestion.parsing.result import ParsedFile
from ingestion.reasons import not_valid, showing

_INTEGER_TEXT = r"^[+-]?[0-9]+$"
_DECIMAL_TEXT = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$"
_DECIMAL = re.compile(_DECIMAL_TEXT)
_INT64_DIGITS = {"+": "9223372036854775807", "-": "9223372036854775808"}
_DATE_FIELDS = {
    "%Y": r"(?P<year>[0-9]{4})",
    "%m": r"(?P<month>[0-9]{1,2})",
    "%d": r"(?P<day>[0-9]{1,2})",
}
_MONTH_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
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
    rejected = np.zeros(table.num_rows, dtype=bool)
    for bad, original, reason in problems:
        for row in np.nonzero(bad & ~rejected)[0].tolist():
            reason_shown = showing(reason, original[row].as_py())
            parsed.quarantine.add([int(parsed.line_numbers[row])], reason_shown)
        rejected |= bad
    for name in spec.pivot_lists:
        if name in table.column_names and is_text(table[name].type):
            table, reasons = _pivot_json_text(table, name, rejected)
            for row, reason in reasons.items():
                parsed.quarantine.add([int(parsed.line_numbers[row])], reason)
                rejected[row] = True
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
    parsed = pc.if_else(
        _day_beyond_its_month(column, parsed, typed.fmt), pa.scalar(None, parsed.type), parsed
    )
    if typed.kind is Kind.DATE:
        return pc.cast(parsed, pa.date32())
    if parsed.type.tz is None:
        shift = pa.scalar(dt.timedelta(hours=typed.utc_offset_hours), pa.duration("us"))
        parsed = pc.cast(pc.subtract(parsed, shift), pa.timestamp("us", tz="UTC"))
    return parsed


def _day_beyond_its_month(text: pa.Array, parsed: pa.Array, fmt: str) -> pa.Array:
    """Which rows name a day their month lacks: Arrow's `strptime` takes any day up to 31 and
    rolls it over (`2026-02-30` is 2026-03-02). The year, month and day are read back from the
    text, as the parsed value no longer holds them; a format without all three is not checked.
    Only rows that may have rolled over are read: a rolled day is the 1st to 3rd of the next
    month, one day either side once a `%z` offset took the value to UTC."""
    beyond = np.zeros(len(text), dtype=bool)
    pattern = _date_fields_pattern(fmt)
    if pattern is None:
        return pa.array(beyond)
    day_parsed = pc.day(parsed)
    if parsed.type.tz is None:
        suspect = pc.less_equal(day_parsed, 3)
    else:
        suspect = pc.or_(pc.less_equal(day_parsed, 4), pc.greater_equal(day_parsed, 28))
    rows = np.nonzero(suspect.fill_null(False).to_numpy(zero_copy_only=False))[0]
    if len(rows) == 0:
        return pa.array(beyond)
    fields = pc.extract_regex(text.take(pa.array(rows)), pattern)
    year, month, day = (
        pc.cast(pc.struct_field(fields, name), pa.int64()).fill_null(1).to_numpy()
        for name in ("year", "month", "day")
    )
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    length = _MONTH_DAYS[np.clip(month, 0, 12)] + (leap & (month == 2))
    beyond[rows] = day > length
    return pa.array(beyond)


@functools.lru_cache(maxsize=64)
def _date_fields_pattern(fmt: str) -> str | None:
    """A regex reading `fmt`'s year, month and day from the start of the text it parsed, or
    None. It ends at the last of the three: RE2 matches the shorter pattern in half the time."""
    pieces = re.split(r"(%.)", fmt)
    if not all(field in pieces for field in _DATE_FIELDS):
        return None
    last = max(pieces.index(field) for field in _DATE_FIELDS)
    return "^" + "".join(
        _DATE_FIELDS.get(piece, ".*?") if piece.startswith("%") else re.escape(piece)
        for piece in pieces[: last + 1]
    )


def _number_type(kind: Kind) -> pa.DataType:
    return pa.int64() if kind is Kind.INTEGER else pa.float64()


def _convert_number(column: pa.Array, kind: Kind) -> pa.Array:
    target = _number_type(kind)
    if is_text(column.type):
        pattern = _INTEGER_TEXT if kind is Kind.INTEGER else _DECIMAL_TEXT
        valid = pc.match_substring_regex(column, pattern)
        if kind is Kind.INTEGER:
            valid = pc.and_(valid, _fits_an_int64(column))
            column = pc.utf8_ltrim(column, characters="+")
        converted = pc.cast(pc.if_else(valid, column, pa.scalar(None, column.type)), target)
        return _finite(converted) if kind is Kind.DECIMAL else converted
    if pa.types.is_floating(column.type) and kind is Kind.INTEGER:
        exact = pc.and_(
            pc.equal(pc.floor(column), column),
            pc.less(pc.abs(column), float(EXACT_DOUBLE)),
        )
        return pc.cast(pc.if_else(exact, column, pa.scalar(None, column.type)), target)
    if pa.types.is_integer(column.type) and pa.types.is_floating(target):
        return pc.cast(column, target, safe=False)
    if pa.types.is_integer(column.type) or pa.types.is_floating(column.type):
        return _finite(pc.cast(column, target))
    return pa.nulls(len(column), target)


def _fits_an_int64(text: pa.Array) -> pa.Array:
    """Whether integer text is within int64, without which the cast fails the whole load. Its
    digits less the leading zeros are at most 19, and if 19 at most the bound of their sign.
    (The cast refuses a leading `+` too, which the caller drops.)"""
    digits = pc.utf8_ltrim(text, characters="+-0")
    length = pc.utf8_length(digits)
    negative = pc.starts_with(text, "-")
    bound = pc.if_else(negative, _INT64_DIGITS["-"], _INT64_DIGITS["+"])
    within = pc.and_(pc.equal(length, 19), pc.less_equal(digits, bound))
    return pc.or_(pc.less(length, 19), within)


def _finite(numbers: pa.Array) -> pa.Array:
    """Null where a decimal is beyond a double (400 digits read as `inf`)."""
    if not pa.types.is_floating(numbers.type):
        return numbers
    return pc.if_else(pc.is_finite(numbers), numbers, pa.scalar(None, numbers.type))


def _convert_boolean(column: pa.Array) -> pa.Array:
    if pa.types.is_boolean(column.type):
        return column
    lowered = pc.utf8_lower(pc.cast(column, pa.string()))
    truth = pc.if_else(pc.is_in(lowered, pa.array(_TRUE)), True, None)
    return pc.if_else(pc.is_in(lowered, pa.array(_FALSE)), False, truth)


def _pivot_json_text(
    table: pa.Table, name: str, rejected: np.ndarray
) -> tuple[pa.Table, dict[int, str]]:
    """A JSON list of `{action_type, value}` in a CSV field (Facebook `actions`) becomes
    `<name>__<action_type>` number columns; the text is kept as it came. Also the reasons of
    the rows not yet `rejected` whose list is malformed, by row: `_actions_of` alone decides
    that, line by line, so no line's fate depends on another. The vectorized parse only serves
    lists of the shape Meta sends, and sends `_actions_of` only the lines it suspects. Columns
    come from the rows that load: a rejected row's action types add no all-null column."""
    original = table[name].combine_chunks()
    lists = _read_json_lists(original)
    reasons: dict[int, str] = {}
    if lists is None:
        rows: list[int] = []
        found: list[str] = []
        numbers: list[float | None] = []
        for row, text in enumerate(original.to_pylist()):
            if rejected[row]:
                continue
            entries, problem = _actions_of(text)
            if problem:
                reasons[row] = f"{name}: {problem}"
            for kind, value in entries:
                rows.append(row)
                found.append(kind)
                numbers.append(value)
        owners = np.array(rows, dtype=np.int64)
        kinds = pa.array(found, pa.string())
        values = pa.array(numbers, pa.float64())
    else:
        entries = pc.list_flatten(lists)
        owners = pc.list_parent_indices(lists).to_numpy(zero_copy_only=False)
        kinds = pc.cast(_entry_field(entries, "action_type"), pa.string())
        sent = _entry_field(entries, "value")
        values = _action_values(sent)
        suspect = pc.or_(
            pc.is_null(kinds),
            pc.and_(pc.is_valid(sent), pc.invert(pc.is_finite(values)).fill_null(True)),
        )
        unfit = [
            kind for kind in pc.unique(kinds).drop_null().to_pylist() if _action_type_problem(kind)
        ]
        if unfit:
            suspect = pc.or_(suspect, pc.is_in(kinds, pa.array(unfit, pa.string())))
        suspects = np.zeros(table.num_rows, dtype=bool)
        suspects[owners[suspect.fill_null(True).to_numpy(zero_copy_only=False)]] = True
        for row in np.nonzero(suspects & ~rejected)[0].tolist():
            problem = _actions_of(original[row].as_py())[1]
            if problem:
                reasons[row] = f"{name}: {problem}"
    loads = ~rejected
    loads[list(reasons)] = False
    return _with_action_columns(table, name, owners, kinds, values, loads), reasons


def _read_json_lists(text: pa.Array) -> pa.Array | None:
    """Every row's list, parsed at once, if each is a list of objects whose `action_type` is
    text and `value` text or a number (either may be missing or null), as Meta sends them; else
    None, and the rows are read one by one. A null or blank field is an empty list."""
    text = pc.utf8_trim_whitespace(text)
    text = pc.if_else(pc.or_kleene(pc.is_null(text), pc.equal(text, "")), "[]", text)
    wrapped = pc.binary_join_element_wise('{"v":', text, "}\n", "")
    try:
        lists = pa_json.read_json(pa.py_buffer(_concatenate(wrapped)))["v"].combine_chunks()
    except pa.ArrowInvalid:
        return None
    if len(lists) != len(text) or not pa.types.is_list(lists.type):
        return None
    entries = pc.list_flatten(lists)
    if len(entries) == 0:
        return lists
    if entries.null_count or not pa.types.is_struct(entries.type):
        return None
    fields = {field.name: field.type for field in entries.type}
    if fields.get("action_type", pa.null()) not in (pa.string(), pa.null()):
        return None
    if fields.get("value", pa.null()) not in (pa.string(), pa.int64(), pa.float64(), pa.null()):
        return None
    return lists


def _action_values(sent: pa.Array) -> pa.Array:
    """The values as numbers, null where `_number` would find none. Meta sends counts, text of
    digits only, which casts without the regex that took most of the pivot's own time."""
    if is_text(sent.type) and pc.all(pc.ascii_is_decimal(sent)).as_py() is not False:
        return pc.cast(sent, pa.float64())
    return _convert_number(sent, Kind.DECIMAL)


def _entry_field(entries: pa.Array, name: str) -> pa.Array:
    """The entries' `name`, null where no entry has it."""
    if pa.types.is_struct(entries.type) and entries.type.get_field_index(name) >= 0:
        return pc.struct_field(entries, name)
    return pa.nulls(len(entries))


def _actions_of(text: str | None) -> tuple[list[tuple[str, float | None]], str | None]:
    """A line's `(action_type, value)` entries, or why its list cannot be read. Meta sends the
    value as numeric text (`"3"`, `"3.5"`); a JSON number is read too, anything else is no
    number. An entry without a value is an action not reported (null). An entry's keys other
    than `action_type` and `value` are ignored. A null or blank field holds no actions."""
    try:
        found = json.loads((text or "").strip() or "[]")
    except ValueError:
        return [], showing("not a JSON list", text)
    if found is None:
        return [], None
    if not isinstance(found, list):
        return [], showing("not a JSON list", text)
    entries: list[tuple[str, float | None]] = []
    for entry in found:
        if not isinstance(entry, dict):
            return [], showing("an entry is not an {action_type, value} object", entry)
        kind = entry.get("action_type")
        if kind is None or kind == "":
            return [], showing("an entry has no action_type", entry)
        problem = _action_type_problem(kind) if isinstance(kind, str) else "is not text"
        if problem:
            return [], showing(f"an entry's action_type {problem}", kind)
        sent = entry.get("value")
        value = _number(sent)
        if sent is not None and value is None:
            return [], showing(f"the value of {kind!r} is not a number", sent)
        entries.append((kind, value))
    return entries, None


@functools.lru_cache(maxsize=4096)
def _action_type_problem(kind: str) -> str | None:
    """What keeps `kind` from naming a column, or None; once per type, as a file sends few. JSON
    can escape a lone surrogate (`\\ud800`), which no UTF-8 column takes: Arrow failed the whole
    load on it."""
    try:
        kind.encode()
    except UnicodeEncodeError:
        return "is not text"
    return None if snake_case(kind) else "has no a-z or 0-9 to name a column"


def _number(sent: object) -> float | None:
    """`sent` as a finite number, if it is a JSON number or text `_DECIMAL_TEXT` matches."""
    if isinstance(sent, str) and _DECIMAL.fullmatch(sent):
        sent = float(sent)
    if isinstance(sent, int | float) and not isinstance(sent, bool) and math.isfinite(sent):
        return float(sent)
    return None


def _with_action_columns(
    table: pa.Table,
    name: str,
    owners: np.ndarray,
    kinds: pa.Array,
    values: pa.Array,
    loads: np.ndarray,
) -> pa.Table:
    """The table with a column per snake_cased action type of the rows that load, as Lead Ads
    answers get one per question."""
    kept = loads[owners]
    if not kept.all():
        keep = pa.array(kept)
        owners, kinds, values = owners[kept], kinds.filter(keep), values.filter(keep)
    return with_column_per_name(table, name, owners, kinds, values)


def _concatenate(strings: pa.Array) -> pa.Buffer:
    """The values of a string array back to back, without copying them one by one."""
    strings = (
        strings.cast(pa.large_string()) if not pa.types.is_large_string(strings.type) else strings
    )
    offsets = np.frombuffer(strings.buffers()[1], dtype=np.int64)[strings.offset :]
    return strings.buffers()[2][int(offsets[0]) : int(offsets[len(strings)])]
