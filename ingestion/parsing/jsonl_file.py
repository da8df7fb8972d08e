"""JSONL exports read by Arrow, nested objects flattened to `parent__child` columns.

Lines that cannot be a whole object (not `{…}`), lines where a declared field holds a JSON type
its column cannot take (found by one regex over all lines), and, when the chunk's braces do not
pair up in all, lines whose braces do not pair up (a line cut right after a nested object still
looks like `{…}`) are checked one by one and quarantined when they are not valid. Braces go
uncounted in a chunk whose sample looks flat (no object nested in its first lines). Arrow then
parses the rest in one pass. If that fails (a value of the wrong JSON type, a line cut inside a
string or after a nested object past the sample), lines whose braces do not pair up or whose
quotes are odd are checked too and the rest parsed again. Only if that fails too is the chunk
re-read in blocks, and only a failing block is checked line by line: its invalid lines are
quarantined and its valid ones parsed in groups that agree on each key's JSON type. Valid lines
are never quarantined for what other lines hold: a key whose JSON type differs between lines (a
number on one, text on another) loads as text (docs/raw-tables.md). A string loads as the text the
line sent: Arrow would take ISO 8601 text for a time wherever a whole parse holds nothing else, so
`_read_json` reads such keys again as text. A list to pivot (`spec.pivot_lists`) is parsed as a
list of `{name: text, values: [text]}`, so a line holding any other shape fails the parse and is
found as above; a null entry, one without a name or one whose name snake_cases to nothing parses,
and its line is quarantined after the parse by one vectorized check. An entry's other keys are
dropped after each parse.
"""

from __future__ import annotations

import json
import re
from functools import cached_property

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pa_json

from ingestion.arrow_text import is_text
from ingestion.exports import EXACT_DOUBLE, NUMBER_KINDS, ExportSpec, Kind, snake_case
from ingestion.named_entries import with_column_per_name
from ingestion.parsing.lines import NEWLINE, Bytes, Lines, blank_out, split_lines
from ingestion.parsing.result import ParsedFile, Quarantine
from ingestion.reasons import not_valid, showing

_BLOCK_LINES = 50_000
_LEAF_LINES = 256
_SAMPLE_BYTES = 64 << 10
_MISFITS = {Kind.INTEGER: r'["tf{\[]', Kind.DECIMAL: r'["tf{\[]', Kind.BOOLEAN: r"[{\[]"}
"""How a declared field's value starts when it is a JSON type the field's column cannot take: a
number field's a string, boolean, object or list; a boolean field's an object or list (text and
numbers such as `"yes"` or `1` are left to the coercion, as CSV text is)."""
_NAME_VALUES = pa.list_(pa.struct([("name", pa.string()), ("values", pa.list_(pa.string()))]))
"""The one type a list to pivot is parsed as: the Lead Ads `field_data` shape."""


def read_first_object(data: bytes) -> dict[str, object] | None:
    """The first line that is a JSON object: what a JSONL file offers as its header."""
    for raw in data.split(b"\n", 20)[:20]:
        try:
            value = json.loads(raw)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return None


def read_jsonl_file(data: Bytes, spec: ExportSpec, first_line: int = 1) -> ParsedFile:
    """`data` is the file, or a run of its whole lines starting at `first_line`."""
    lines = split_lines(data, first_line)
    quarantine = Quarantine()
    numbers = lines.numbers
    is_record = lines.lengths > 0
    rows_read = int(is_record.sum())
    if rows_read == 0:
        return ParsedFile(pa.table({}), np.zeros(0, np.int64), 0, quarantine, lines)
    quarantine.add(lines.not_utf8, "not valid UTF-8 text")
    suspect = (lines.first_bytes != ord("{")) | (lines.last_bytes != ord("}"))
    misfit_pattern = _declared_field_of_another_json_type(spec)
    if misfit_pattern:
        suspect |= pc.match_substring_regex(lines.text, misfit_pattern).to_numpy(
            zero_copy_only=False
        )
    _check_suspects(lines, numbers[is_record & suspect], spec, quarantine)
    view = np.frombuffer(data, dtype=np.uint8)
    braces = _Braces(view, lines)
    if not _looks_flat(view) and not braces.pair_up(quarantine):
        _check_suspects(lines, numbers[is_record & braces.differ], spec, quarantine)
    table, candidates = _parse_all(data, lines, numbers[is_record], spec, quarantine)
    if table is None:
        _check_suspects(lines, numbers[is_record & braces.unbalanced()], spec, quarantine)
        table, candidates = _parse_all(data, lines, numbers[is_record], spec, quarantine)
    if table is None:
        candidates = numbers[is_record & ~np.isin(numbers, list(quarantine.reasons))]
        table, candidates = _read_in_blocks(lines, candidates, spec, quarantine)
    table, candidates = _without_unnamed_entries(table, candidates, lines, spec, quarantine)
    return ParsedFile(flatten(table, spec), candidates, rows_read, quarantine, lines)


def _check_suspects(
    lines: Lines, suspects: np.ndarray, spec: ExportSpec, quarantine: Quarantine
) -> None:
    """Quarantine the suspect lines that are not valid; the others stay candidates."""
    for number in suspects[~np.isin(suspects, list(quarantine.reasons))].tolist():
        reason = _invalid_reason(lines.raw(number), spec)
        if reason:
            quarantine.add([number], reason)


def _without_unnamed_entries(
    table: pa.Table,
    candidates: np.ndarray,
    lines: Lines,
    spec: ExportSpec,
    quarantine: Quarantine,
) -> tuple[pa.Table, np.ndarray]:
    """The table without the rows whose list to pivot holds a null entry or an entry without a
    name, or whose name snake_cases to nothing (`!!`): the explicit type lets them through the
    parse, and no column could take their answer. Only those lines are checked one by one, for
    their reason."""
    unnamed = np.zeros(table.num_rows, dtype=bool)
    for name in spec.pivot_lists:
        if name not in table.column_names or not pa.types.is_list(table[name].type):
            continue
        column = table[name].combine_chunks()
        entry_names = pc.struct_field(pc.list_flatten(column), "name")
        missing = pc.is_null(entry_names)
        spellings = pc.unique(entry_names).drop_null().to_pylist()
        nameless = [entry for entry in spellings if not snake_case(entry)]
        if nameless:
            missing = pc.or_kleene(missing, pc.is_in(entry_names, pa.array(nameless, pa.string())))
        owners = pc.list_parent_indices(column).to_numpy(zero_copy_only=False)
        unnamed[owners[missing.to_numpy(zero_copy_only=False)]] = True
    if not unnamed.any():
        return table, candidates
    _check_suspects(lines, candidates[unnamed], spec, quarantine)
    keep = ~np.isin(candidates, list(quarantine.reasons))
    return table.filter(pa.array(keep)), candidates[keep]


def _parse_all(
    data: Bytes, lines: Lines, records: np.ndarray, spec: ExportSpec, quarantine: Quarantine
) -> tuple[pa.Table | None, np.ndarray]:
    """Every record line not quarantined, parsed by Arrow in one pass; None if that fails."""
    candidates = records[~np.isin(records, list(quarantine.reasons))]
    blanked = blank_out(data, lines, np.fromiter(quarantine.reasons, np.int64))
    try:
        table = _read_json(pa.py_buffer(blanked), spec)
    except pa.ArrowInvalid:
        return None, candidates
    return (table if table.num_rows == len(candidates) else None), candidates


def _looks_flat(view: np.ndarray) -> bool:
    """Whether no more `{` than lines begin in the chunk's first `_SAMPLE_BYTES`: no object
    nested there, so the brace counts are skipped, which would cost 1.5 s over the 30 chunks of
    M's email activity. The judgement is the sample's: a line cut after a nested object later in
    the chunk still fails the parse and is found by `_Braces.unbalanced` then."""
    sample = view[:_SAMPLE_BYTES]
    return np.count_nonzero(sample == ord("{")) <= np.count_nonzero(sample == NEWLINE) + 1


class _Braces:
    """Where the chunk's `{` and `}` sit, each found by one scan on first use and shared by the
    total count, the per-line counts and the check after a failed parse."""

    def __init__(self, view: np.ndarray, lines: Lines) -> None:
        self._view = view
        self._lines = lines

    @cached_property
    def opening(self) -> np.ndarray:
        return np.flatnonzero(self._view == ord("{"))

    @cached_property
    def closing(self) -> np.ndarray:
        return np.flatnonzero(self._view == ord("}"))

    @cached_property
    def differ(self) -> np.ndarray:
        """Which lines hold more or fewer `{` than `}`."""
        opening = _per_line_count(self.opening, self._lines)
        return opening != _per_line_count(self.closing, self._lines)

    def pair_up(self, quarantine: Quarantine) -> bool:
        """Whether the lines not quarantined hold as many `{` as `}` in all. A line cut right
        after a nested object still looks like `{…}` and fails the whole parse; the two totals
        (0.05 s of CPU for 64 MB) tell whether one may be there, and only then are braces counted
        per line. Braces inside strings may tip the totals, or cancel a cut line's: the exact
        check keeps such valid lines, and a cut line the totals hid fails the parse and is found
        by `unbalanced`."""
        unpaired = len(self.opening) - len(self.closing)
        for number in quarantine.reasons:
            text = self._lines.raw(number)
            unpaired -= text.count("{") - text.count("}")
        return unpaired == 0

    def unbalanced(self) -> np.ndarray:
        """Lines whose braces do not pair up or whose quotes are odd. Quotes sit on every key and
        string value, so counting them costs four times the braces (0.22 s for a 64 MB chunk of
        M's charges): this only runs when the whole parse failed. A valid line among them (a
        brace inside a string) passes the exact check."""
        quotes = _per_line_count(np.flatnonzero(self._view == ord('"')), self._lines)
        return self.differ | (quotes % 2 == 1)


def _per_line_count(positions: np.ndarray, lines: Lines) -> np.ndarray:
    """How many of the byte `positions` (where one ASCII character sits; no byte of a multibyte
    character matches one) fall on each line."""
    owners = np.searchsorted(lines.starts, positions, side="right") - 1
    return np.bincount(owners, minlength=len(lines))


def _declared_field_of_another_json_type(spec: ExportSpec) -> str | None:
    """A regex finding lines where a declared field holds a JSON type its column cannot take
    (`_MISFITS`): Arrow would fail the whole parse on them, or spread an object into
    `<field>__<child>` columns and leave the field null, so they are checked one by one first.
    It may also hit a nested key of the same name; the exact check keeps those lines."""
    names: dict[str, list[str]] = {}
    for name, typed in spec.types.items():
        if typed.kind in _MISFITS:
            names.setdefault(_MISFITS[typed.kind], []).append(re.escape(name))
    patterns = ['"(' + "|".join(found) + r')"\s*:\s*' + start for start, found in names.items()]
    return "|".join(patterns) or None


def _read_in_blocks(
    lines: Lines, candidates: np.ndarray, spec: ExportSpec, quarantine: Quarantine
) -> tuple[pa.Table, np.ndarray]:
    """The lines in blocks; a block Arrow cannot parse is halved until the culprits sit in
    blocks small enough to check line by line, so one bad line costs a few parses, not a block
    of `json.loads`. Each block infers its own types, so the blocks are joined by
    `_concat_as_text_where_types_differ`; a failing block's groups (`_parse_leaf`) are put back
    in line order."""
    tables: list[pa.Table] = []
    kept: list[np.ndarray] = []
    for start in range(0, len(candidates), _BLOCK_LINES):
        _parse_block(
            lines, candidates[start : start + _BLOCK_LINES], spec, quarantine, tables, kept
        )
    if not tables:
        return pa.table({}), np.zeros(0, np.int64)
    table = _concat_as_text_where_types_differ([_flatten_structs(t) for t in tables])
    numbers = np.concatenate(kept)
    if np.all(numbers[1:] > numbers[:-1]):
        return table, numbers
    order = np.argsort(numbers)
    return table.take(pa.array(order)), numbers[order]


def _parse_block(
    lines: Lines,
    block: np.ndarray,
    spec: ExportSpec,
    quarantine: Quarantine,
    tables: list[pa.Table],
    kept: list[np.ndarray],
) -> None:
    table = _parse_lines(lines, block, spec)
    if table is None and len(block) > _LEAF_LINES:
        half = len(block) // 2
        _parse_block(lines, block[:half], spec, quarantine, tables, kept)
        _parse_block(lines, block[half:], spec, quarantine, tables, kept)
        return
    if table is None:
        _parse_leaf(lines, block, spec, quarantine, tables, kept)
        return
    tables.append(table)
    kept.append(block)


def _parse_leaf(
    lines: Lines,
    block: np.ndarray,
    spec: ExportSpec,
    quarantine: Quarantine,
    tables: list[pa.Table],
    kept: list[np.ndarray],
) -> None:
    """A block Arrow cannot parse, small enough for `json.loads`: its invalid lines are
    quarantined, and the valid ones are parsed in groups whose values agree on each key's JSON
    type, since valid lines may still differ (a number on one, text on the next) where Arrow
    wants one type per column. A list whose items differ in JSON type, and a line Arrow cannot
    read even alone (a key twice, a number beyond a double), are quarantined with their reason:
    that is the line's own doing, never its neighbours'."""
    groups: list[tuple[dict[_Path, str], list[int]]] = []
    for number, text in zip(block.tolist(), lines.take(block).to_pylist(), strict=True):
        value, reason = _loaded(text, spec)
        if not reason:
            try:
                types = _json_types(value)
            except _Unreadable as error:
                reason = str(error)
        if reason:
            quarantine.add([number], reason)
            continue
        for group_types, members in groups:
            if all(group_types.get(path, kind) == kind for path, kind in types.items()):
                group_types.update(types)
                members.append(number)
                break
        else:
            groups.append((types, [number]))
    for _, members in groups:
        group = np.array(members, dtype=np.int64)
        table = _parse_lines(lines, group, spec)
        if table is not None:
            tables.append(table)
            kept.append(group)
            continue
        for number in members:
            try:
                tables.append(_read_lines(lines, np.array([number]), spec))
                kept.append(np.array([number], dtype=np.int64))
            except pa.ArrowInvalid as error:
                message = re.sub(r"^JSON parse error: | in row \d+$", "", str(error))
                quarantine.add([number], f"unreadable JSON: {message}")


_ITEM = None
"""The path step into a list's items; keys are text, so it can be no key."""

_Path = tuple[str | None, ...]


def _json_types(value: object) -> dict[_Path, str]:
    """The JSON type of every value in `value` by its path (`("metadata", "order_id")`,
    `("tags", _ITEM)`); nulls are left out, as Arrow fits them in any column. Paths are tuples,
    not joined text: a key may hold the joining character itself (`"a/b"` beside `"a": {"b"}`)."""
    types: dict[_Path, str] = {}
    _add_json_types(value, (), types)
    return types


def _add_json_types(value: object, path: _Path, types: dict[_Path, str]) -> None:
    if isinstance(value, dict):
        kind = "object"
        for key, child in value.items():
            if child is not None:
                _add_json_types(child, (*path, key), types)
    elif isinstance(value, list):
        kind = "array"
        for item in value:
            if item is not None:
                _add_json_types(item, (*path, _ITEM), types)
    elif isinstance(value, str):
        kind = "string"
    elif isinstance(value, bool):
        kind = "boolean"
    else:
        kind = "number"
    if types.setdefault(path, kind) != kind:
        keys = path[: path.index(_ITEM)] if _ITEM in path else path
        shown = "__".join(key for key in keys if key)
        raise _Unreadable(f"{shown}: a list of values of different JSON types")


class _Unreadable(ValueError):
    """Valid JSON no Arrow column can hold, whatever the other lines hold: a list whose items
    differ in JSON type."""


def _concat_as_text_where_types_differ(tables: list[pa.Table]) -> pa.Table:
    """The tables (structs flattened) as one. A column whose JSON types differ between them (a
    number in one block, text in another) becomes text: strings as they are, any other value
    as its JSON text (`7`, `true`, `[7]`), so no row is lost for what other rows hold."""
    try:
        return pa.concat_tables(tables, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        pass
    types: dict[str, set[pa.DataType]] = {}
    for table in tables:
        for field in table.schema:
            types.setdefault(field.name, set()).add(field.type)
    differing = {name for name, found in types.items() if not _unify(found)}
    texts = []
    for table in tables:
        for name in differing & set(table.column_names):
            index = table.column_names.index(name)
            table = table.set_column(index, name, as_json_text(table[name].combine_chunks()))
        texts.append(table)
    return pa.concat_tables(texts, promote_options="permissive")


def _unify(types: set[pa.DataType]) -> bool:
    """Whether Arrow's permissive promotion gives one column of these types."""
    try:
        pa.unify_schemas([pa.schema([("c", t)]) for t in types], promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return False
    return True


def as_json_text(column: pa.Array) -> pa.Array:
    """Strings as they are, any other value as its JSON text: the one text form of a value in
    a text column, here and in `ingestion.variants`. A whole number Arrow read as a double (a
    key holding `7` and `7.5`) is written `7`, as it was sent."""
    if is_text(column.type):
        return column.cast(pa.string())
    if pa.types.is_integer(column.type) or pa.types.is_boolean(column.type):
        return column.cast(pa.string())
    texts = [
        None
        if value is None
        else json.dumps(_whole_as_int(value), ensure_ascii=False, separators=(",", ":"))
        for value in column.to_pylist()
    ]
    return pa.array(texts, pa.string())


def _whole_as_int(value: object) -> object:
    """`value` with each whole float that a double holds exactly made an int, at any depth; a
    larger one keeps its float notation (`1e+20`) rather than spell out digits no line sent."""
    if isinstance(value, float) and value.is_integer() and abs(value) <= EXACT_DOUBLE:
        return int(value)
    if isinstance(value, list):
        return [_whole_as_int(item) for item in value]
    if isinstance(value, dict):
        return {key: _whole_as_int(item) for key, item in value.items()}
    return value


def _read_json(source: pa.Buffer, spec: ExportSpec) -> pa.Table:
    """The lines as Arrow parses them, every JSON string as the text the line sent. Arrow takes
    a key for a time when every string it holds in the parse reads as ISO 8601, and keeps only
    the instant (`2026-11-01T10:00:00+07:00` becomes `2026-11-01 03:00:00`), so the same key
    would be a time beside some lines and text beside others. pyarrow 26 has no switch for that
    guess in JSON, so the keys it made one for are read again alone, with the type found and
    every time inside it (in an object, in a list) text: half a parse, the other keys skipped.
    A parse that guessed no time, the usual one, costs no more."""
    table = _only_name_values(pa_json.read_json(source, parse_options=_parse_options(spec)), spec)
    guessed = [
        field.with_type(_times_as_text(field.type))
        for field in table.schema
        if _times_as_text(field.type) != field.type
    ]
    if not guessed:
        return table
    options = pa_json.ParseOptions(
        explicit_schema=pa.schema(guessed), unexpected_field_behavior="ignore"
    )
    texts = pa_json.read_json(source, parse_options=options)
    for field in guessed:
        index = table.schema.get_field_index(field.name)
        table = table.set_column(index, field, texts[field.name])
    return table


def _only_name_values(table: pa.Table, spec: ExportSpec) -> pa.Table:
    """The lists to pivot as `_NAME_VALUES`: Arrow adds any other key of an entry (`"id": 7`)
    to the explicit type, so lines of other such keys, or of another type under one, would
    not join as one column and every line's list would become text."""
    for name in spec.pivot_lists:
        if name in table.column_names and table.schema.field(name).type != _NAME_VALUES:
            index = table.column_names.index(name)
            table = table.set_column(index, name, table[name].cast(_NAME_VALUES))
    return table


def _times_as_text(data_type: pa.DataType) -> pa.DataType:
    """`data_type` with every time type inside its lists and structs made text."""
    if pa.types.is_temporal(data_type):
        return pa.string()
    if pa.types.is_list(data_type):
        item = data_type.value_field
        return pa.list_(item.with_type(_times_as_text(item.type)))
    if pa.types.is_struct(data_type):
        return pa.struct([field.with_type(_times_as_text(field.type)) for field in data_type])
    return data_type


def _parse_options(spec: ExportSpec) -> pa_json.ParseOptions:
    """Time columns stay text for the typed conversion: Arrow would guess timestamps itself.
    Lists to pivot take `_NAME_VALUES`, so a line of another shape fails the parse rather than
    give the column a type `pivot_name_values` cannot read."""
    explicit = [
        pa.field(name, pa.string())
        for name, typed in spec.types.items()
        if typed.kind in (Kind.TIMESTAMP, Kind.DATE)
    ]
    explicit += [pa.field(name, _NAME_VALUES) for name in spec.pivot_lists]
    return pa_json.ParseOptions(
        explicit_schema=pa.schema(explicit), unexpected_field_behavior="infer"
    )


def _parse_lines(lines: Lines, block: np.ndarray, spec: ExportSpec) -> pa.Table | None:
    """The lines as one table, or None if Arrow cannot parse them together."""
    try:
        return _read_lines(lines, block, spec)
    except pa.ArrowInvalid:
        return None


def _read_lines(lines: Lines, block: np.ndarray, spec: ExportSpec) -> pa.Table:
    if len(block) == 0:
        return pa.table({})
    table = _read_json(lines.joined(block), spec)
    if table.num_rows != len(block):
        raise pa.ArrowInvalid(f"{table.num_rows} rows parsed from {len(block)} lines")
    return table


def _invalid_reason(text: str, spec: ExportSpec) -> str | None:
    """Why a line cannot be parsed with the others, or None."""
    return _loaded(text, spec)[1]


def _loaded(text: str, spec: ExportSpec) -> tuple[object, str | None]:
    """The line's value, and why it cannot be parsed with the others: not a JSON object, a
    declared field holding a JSON type its column cannot take (a number
    field anything but a number, a time field anything but a string: `_parse_options` makes it
    a text column, a boolean field an object or list), or a list to pivot that is not a list of
    `{name, values}`. A number's value, such as a whole `9.0` for an integer, and a boolean's
    text or number, such as `"yes"`, are left to the coercion, the one rule for every line."""
    try:
        value = json.loads(text)
    except ValueError as error:
        return None, f"truncated or invalid JSON: {error}"
    if not isinstance(value, dict):
        return value, "not a JSON object"
    for name, typed in spec.types.items():
        found = value.get(name)
        if found is None:
            continue
        if typed.kind in NUMBER_KINDS:
            fits = isinstance(found, int | float) and not isinstance(found, bool)
        elif typed.kind in (Kind.TIMESTAMP, Kind.DATE):
            fits = isinstance(found, str)
        else:
            fits = not isinstance(found, dict | list)
        if not fits:
            return value, showing(not_valid(name, typed), found)
    for name in spec.pivot_lists:
        problem = _name_values_problem(value.get(name))
        if problem:
            return value, f"{name}: {problem}"
    return value, None


def _name_values_problem(found: object) -> str | None:
    """What keeps `found` from being a Lead Ads list of `{name, values}`, or None. An entry
    without values, or with null or `[]`, is an answer left out. Meta sends `values` as a list
    of text, even for one answer: a bare string is no list, so its line is not guessed at."""
    if found is None:
        return None
    if not isinstance(found, list):
        return showing("not a list of {name, values} objects", found)
    for entry in found:
        if not isinstance(entry, dict):
            return showing("an entry is not a {name, values} object", entry)
        name = entry.get("name")
        if name is None or name == "":
            return showing("an entry has no name", entry)
        if not isinstance(name, str):
            return showing("an entry's name is not text", name)
        if not snake_case(name):
            return showing("an entry's name has no a-z or 0-9 to name a column", name)
        values = entry.get("values")
        if values is None:
            continue
        if not isinstance(values, list) or not all(isinstance(item, str | None) for item in values):
            return showing(f"the values of {name!r} are not a list of text", values)
    return None


def flatten(table: pa.Table, spec: ExportSpec) -> pa.Table:
    """Nested objects become `parent__child` columns, as dlt names them; lists named in
    `spec.pivot_lists` become one column per entry name (none if every such list is empty);
    empty objects disappear; a key that is null on every line becomes a text column, so the
    column exists whatever the file held. A list holding objects without keys (`[{}]`) becomes
    its JSON text: Parquet cannot write an object without fields, which failed dlt's whole
    extract."""
    table = _join_alike_keys(_flatten_structs(table))
    for name in spec.pivot_lists:
        if name in table.column_names and pa.types.is_list(table[name].type):
            table = pivot_name_values(table, name)
    for index, column in enumerate(table.columns):
        if pa.types.is_null(column.type):
            table = table.set_column(index, table.column_names[index], column.cast(pa.string()))
        elif _holds_empty_object(column.type):
            text = as_json_text(column.combine_chunks())
            table = table.set_column(index, table.column_names[index], text)
    return table


def _join_alike_keys(table: pa.Table) -> pa.Table:
    """The columns named in snake_case, keys that snake_case alike (`Tag` and `tag`, `Tỉnh` and
    `tinh`) joined in one column, as Lead Ads answer names are: two columns of one name failed
    the whole load. A line sending both keeps the value of the spelling first in code-point
    order that it did not leave null, so every chunk and every file picks alike; spellings
    holding different types are joined as their JSON text."""
    spellings: dict[str, list[str]] = {}
    for name in table.column_names:
        snake_cased = "__".join(snake_case(part) for part in name.split("__"))
        spellings.setdefault(snake_cased, []).append(name)
    if len(spellings) == table.num_columns:
        return table.rename_columns(list(spellings))
    columns: dict[str, pa.ChunkedArray] = {}
    for snake_cased, names in spellings.items():
        alike = [table[name] for name in sorted(names)]
        typed = [column for column in alike if not pa.types.is_null(column.type)] or alike[:1]
        if len({column.type for column in typed}) > 1:
            typed = [as_json_text(column.combine_chunks()) for column in typed]
        columns[snake_cased] = pc.coalesce(*typed) if len(typed) > 1 else typed[0]
    return pa.table(columns)


def _holds_empty_object(data_type: pa.DataType) -> bool:
    if pa.types.is_struct(data_type):
        return data_type.num_fields == 0 or any(
            _holds_empty_object(field.type) for field in data_type
        )
    return pa.types.is_list(data_type) and _holds_empty_object(data_type.value_type)


def _flatten_structs(table: pa.Table) -> pa.Table:
    """Nested objects as `parent__child` columns, named as the JSON spells them."""
    while any(pa.types.is_struct(field.type) for field in table.schema):
        columns: dict[str, pa.Array] = {}
        for name, column in zip(table.column_names, table.columns, strict=True):
            if pa.types.is_struct(column.type):
                for child in column.type:
                    columns[f"{name}__{child.name}"] = pc.struct_field(column, child.name)
            else:
                columns[name] = column
        table = pa.table(columns) if columns else pa.table({})
    return table


def pivot_name_values(table: pa.Table, name: str) -> pa.Table:
    """A Lead Ads style list of `{name, values}` becomes columns `<list>__<entry name>` holding
    each entry's first value; the list column itself is dropped. Names that snake_case alike
    (`Email`, `email`) are one question: a line answering it twice keeps its first entry, as an
    entry keeps its first value."""
    column = table[name].combine_chunks()
    entries = pc.list_flatten(column)
    owners = pc.list_parent_indices(column).to_numpy(zero_copy_only=False)
    first = pc.list_slice(entries.field("values"), 0, 1)
    first_values = pc.cast(pc.list_flatten(first), pa.string())
    first_of_entry = np.full(len(entries), -1, dtype=np.int64)
    first_of_entry[pc.list_parent_indices(first).to_numpy(zero_copy_only=False)] = np.arange(
        len(first_values)
    )
    values = first_values.take(pa.array(first_of_entry, mask=first_of_entry < 0))
    return with_column_per_name(
        table.drop_columns([name]), name, owners, entries.field("name"), values
    )
