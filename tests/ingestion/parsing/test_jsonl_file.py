"""JSONL reading: truncated lines are quarantined, nested objects flattened, lists pivoted."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.json as pa_json
import pytest

from ingestion.coercion import coerce
from ingestion.exports import spec_for
from ingestion.parsing import jsonl_file
from ingestion.parsing.jsonl_file import _Braces, read_jsonl_file
from ingestion.parsing.lines import Lines, split_lines
from ingestion.parsing.result import ParsedFile

CHARGES = spec_for("stripe", "charges")
LEADS = spec_for("facebook_ads", "leads")


def test_truncated_line_is_quarantined_and_others_keep_their_lines():
    text = '{"id": "ch_1", "amount": 5}\n{"id": "ch_2", "amo\n\n{"id": "ch_3", "amount": 7}\n'
    parsed = read_jsonl_file(text.encode(), CHARGES)
    assert parsed.table.column("id").to_pylist() == ["ch_1", "ch_3"]
    assert parsed.line_numbers.tolist() == [1, 4]
    assert "invalid JSON" in parsed.quarantine.reasons[2]
    assert parsed.rows_read == 3


def test_amount_sent_as_text_is_quarantined_without_losing_the_block():
    text = "".join(f'{{"id": "ch_{i}", "amount": {i}}}\n' for i in range(5))
    text += '{"id": "ch_x", "amount": "N/A"}\n'
    parsed = read_jsonl_file(text.encode(), CHARGES)
    assert parsed.table.num_rows == 5
    assert parsed.quarantine.reasons == {6: "amount: not a valid integer: 'N/A'"}


def test_nested_objects_become_double_underscore_columns():
    text = '{"id": "ch_1", "billing_details": {"address": {"city": "Hue"}, "email": "a@b.c"}}\n'
    parsed = read_jsonl_file(text.encode(), CHARGES)
    assert parsed.table.to_pylist() == [
        {"id": "ch_1", "billing_details__address__city": "Hue", "billing_details__email": "a@b.c"}
    ]


def test_keys_that_snake_case_alike_fill_one_column_the_first_spelling_winning():
    """`Tag`/`tag` and `Tỉnh`/`tinh` each name one column; a line sending both spellings keeps
    the one first in code-point order, whatever order the lines came in; spellings of
    different types join as JSON text."""
    text = (
        '{"id": "ch_1", "tag": "b", "Tag": "a", "Tỉnh": "Huế", "meta": {"N": 7}}\n'
        '{"id": "ch_2", "tag": "c", "tinh": "Hue", "meta": {"n": "seven"}}\n'
        '{"id": "ch_3", "Tag": null, "tag": "d"}\n'
    )
    parsed = read_jsonl_file(text.encode(), CHARGES)
    assert parsed.quarantine.reasons == {}
    assert parsed.table.to_pylist() == [
        {"id": "ch_1", "tag": "a", "tinh": "Huế", "meta__n": "7"},
        {"id": "ch_2", "tag": "c", "tinh": "Hue", "meta__n": "seven"},
        {"id": "ch_3", "tag": "d", "tinh": None, "meta__n": None},
    ]


def test_field_data_answers_become_columns_with_their_first_value():
    text = (
        '{"id": "1", "field_data": [{"name": "email", "values": ["a@b.c"]},'
        ' {"name": "full_name", "values": ["An", "ignored"]}]}\n'
        '{"id": "2", "field_data": [{"name": "phone_number", "values": ["0912"]}]}\n'
    )
    table = read_jsonl_file(text.encode(), LEADS).table.drop_columns(["created_time"])
    assert table.to_pylist() == [
        {
            "id": "1",
            "field_data__email": "a@b.c",
            "field_data__full_name": "An",
            "field_data__phone_number": None,
        },
        {
            "id": "2",
            "field_data__email": None,
            "field_data__full_name": None,
            "field_data__phone_number": "0912",
        },
    ]


def test_line_cut_inside_a_multibyte_character_is_quarantined():
    data = b'{"id": "ch_1", "amount": 5}\n{"id": "ch_2", "name": "Nguy' + b"\xe1\xbb\n"
    data += b'{"id": "ch_3", "amount": 7}\n'
    parsed = read_jsonl_file(data, CHARGES)
    assert parsed.line_numbers.tolist() == [1, 3]
    assert parsed.quarantine.reasons == {2: "not valid UTF-8 text"}


CUT_AFTER_NESTED_OBJECT = (
    '{"id": "ch_1", "description": "{Nguyễn \\"closed", "amount": 5}\n'
    "\n"
    '{"id": "ch_2", "amount": 6, "metadata": {"order_id": "ORD-2"}\n'
    '{"id": "ch_3", "metadata": {"order_id": "ORD-}3"}, "amount": 7}\n'
)


def test_unbalanced_lines_are_found_by_their_brace_and_quote_counts():
    """The cut line still looks like `{…}`; a brace or quote inside a string flags a valid line
    too (the exact check keeps it). The blank line counts for nothing."""
    data = CUT_AFTER_NESTED_OBJECT.encode()
    view, lines = np.frombuffer(data, dtype=np.uint8), split_lines(data, 41)
    assert _Braces(view, lines).unbalanced().tolist() == [True, False, True, True]


def test_line_cut_right_after_a_nested_object_is_quarantined_in_a_later_chunk():
    parsed = read_jsonl_file(CUT_AFTER_NESTED_OBJECT.encode(), CHARGES, first_line=41)
    assert parsed.table.column("id").to_pylist() == ["ch_1", "ch_3"]
    assert parsed.line_numbers.tolist() == [41, 44]
    assert list(parsed.quarantine.reasons) == [43]
    assert "invalid JSON" in parsed.quarantine.reasons[43]
    assert parsed.rows_read == 3


@pytest.fixture
def arrow_parses(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many lines each of Arrow's JSON parses was handed (quarantined ones are blanked)."""
    parses: list[int] = []
    real = pa_json.read_json

    def counted(source: pa.Buffer, **options: pa_json.ParseOptions) -> pa.Table:
        parses.append(sum(1 for line in bytes(source).split(b"\n") if line))
        return real(source, **options)

    monkeypatch.setattr(jsonl_file.pa_json, "read_json", counted)
    return parses


def _charges(count: int) -> str:
    return "".join(
        f'{{"id": "ch_{i}", "amount": {i}, "metadata": {{"order_id": "ORD-{i}"}}}}\n'
        for i in range(count)
    )


def test_a_line_cut_after_a_nested_object_among_good_ones_is_found_before_parsing(
    arrow_parses: list[int],
):
    cut = '{"id": "ch_x", "amount": 9, "metadata": {"order_id": "ORD-9"}\n'
    parsed = read_jsonl_file((_charges(6) + cut + _charges(6)).encode(), CHARGES, first_line=101)
    assert parsed.table.num_rows == 12
    assert parsed.line_numbers.tolist() == [*range(101, 107), *range(108, 114)]
    assert list(parsed.quarantine.reasons) == [107]
    assert "invalid JSON" in parsed.quarantine.reasons[107]
    assert arrow_parses == [12]


def test_a_valid_line_with_a_lone_brace_in_a_string_is_kept(arrow_parses: list[int]):
    smiley = '{"id": "ch_x", "amount": 9, "description": "thanks :}"}\n'
    parsed = read_jsonl_file((_charges(3) + smiley).encode(), CHARGES)
    assert parsed.table.column("id").to_pylist() == ["ch_0", "ch_1", "ch_2", "ch_x"]
    assert parsed.quarantine.reasons == {}
    assert arrow_parses == [4]


def test_a_line_cut_inside_a_string_right_after_a_brace_is_found_by_its_quotes(
    arrow_parses: list[int],
):
    """Its braces pair up and it ends in `}`: only the failed parse sends it to the check."""
    cut = '{"id": "ch_x", "amount": 9, "description": "Order ORD-9}\n'
    parsed = read_jsonl_file((_charges(2) + cut + _charges(2)).encode(), CHARGES)
    assert parsed.line_numbers.tolist() == [1, 2, 4, 5]
    assert list(parsed.quarantine.reasons) == [3]
    assert "invalid JSON" in parsed.quarantine.reasons[3]
    assert arrow_parses == [5, 4]


def test_a_whole_float_amount_on_a_line_with_a_lone_brace_loads_as_it_does_without_one():
    """The brace sends the line to the exact check, which leaves the number's value to the
    coercion: `9.0` is the integer 9 either way."""
    for description in ("a {", "a"):
        line = f'{{"id": "ch_f", "amount": 9.0, "description": "{description}"}}\n'
        parsed = read_jsonl_file((_charges(3) + line).encode(), CHARGES)
        table = coerce(parsed, CHARGES)
        assert table.column("amount").to_pylist() == [0, 1, 2, 9]
        assert parsed.quarantine.reasons == {}


def test_a_nested_line_cut_after_a_flat_sample_is_found_after_the_failed_parse(
    arrow_parses: list[int],
):
    """The first `_SAMPLE_BYTES` look flat, so braces go uncounted; the failed parse finds it."""
    flat = "".join(f'{{"id": "ch_{i}", "amount": {i}}}\n' for i in range(2500))
    assert len(flat) > jsonl_file._SAMPLE_BYTES
    cut = '{"id": "ch_x", "amount": 9, "metadata": {"order_id": "ORD-9"}\n'
    parsed = read_jsonl_file((flat + _charges(2) + cut + _charges(2)).encode(), CHARGES)
    assert parsed.table.num_rows == 2504
    assert list(parsed.quarantine.reasons) == [2503]
    assert "invalid JSON" in parsed.quarantine.reasons[2503]
    assert arrow_parses == [2505, 2504]


def test_a_cut_line_whose_brace_a_valid_line_cancels_is_found_after_the_failed_parse(
    arrow_parses: list[int],
):
    """The cut line lacks a `}`, the valid one holds a spare `}` in a string: the totals pair
    up, the parse fails, and the per-line counts send both to the exact check."""
    cut = '{"id": "ch_x", "amount": 9, "metadata": {"order_id": "ORD-9"}\n'
    smiley = '{"id": "ch_y", "amount": 8, "description": "thanks :}"}\n'
    parsed = read_jsonl_file((_charges(2) + cut + smiley + _charges(2)).encode(), CHARGES)
    assert parsed.table.column("id").to_pylist() == ["ch_0", "ch_1", "ch_y", "ch_0", "ch_1"]
    assert parsed.line_numbers.tolist() == [1, 2, 4, 5, 6]
    assert list(parsed.quarantine.reasons) == [3]
    assert "invalid JSON" in parsed.quarantine.reasons[3]
    assert arrow_parses == [6, 5]


def test_flat_objects_with_a_lone_brace_past_the_sample_cost_no_per_line_counts(
    monkeypatch: pytest.MonkeyPatch, arrow_parses: list[int]
):
    """No more `{` than lines begin in the sample: the chunk looks flat and its braces go
    uncounted, though the lone `{` past the sample would tip the totals."""
    counted: list[int] = []
    real = jsonl_file._per_line_count

    def per_line_count(positions: np.ndarray, lines: Lines) -> np.ndarray:
        counted.append(len(positions))
        return real(positions, lines)

    monkeypatch.setattr(jsonl_file, "_per_line_count", per_line_count)
    events = "".join(
        f'{{"campaign_id": "c1", "email_address": "a{i}@b.c", "action": "click", '
        f'"timestamp": "2026-03-04T09:12:33+00:00", "url": "https://shop.example/{i}"}}\n'
        for i in range(4)
    )
    monkeypatch.setattr(jsonl_file, "_SAMPLE_BYTES", len(events))
    events += events.replace("/3", "/{3")
    parsed = read_jsonl_file(events.encode(), spec_for("mailchimp", "campaign_activity"))
    assert parsed.table.num_rows == 8
    assert parsed.quarantine.reasons == {}
    assert arrow_parses == [8]
    assert counted == []


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of 4 lines halved down to 2, so a few lines span several blocks and leaves."""
    monkeypatch.setattr(jsonl_file, "_BLOCK_LINES", 4)
    monkeypatch.setattr(jsonl_file, "_LEAF_LINES", 2)


def _charge(index: int, extra: str) -> str:
    return f'{{"id": "ch_{index}", "amount": {index}, {extra}}}\n'


def _reconciles(parsed: ParsedFile) -> bool:
    return parsed.rows_read == parsed.table.num_rows + len(parsed.quarantine)


@pytest.mark.usefixtures("small_blocks")
def test_an_undeclared_field_of_another_json_type_in_a_later_block_loads_as_text():
    """Each block infers its own type for a key the spec does not declare: a number in the
    first block, text in the second. The column is text, the number written as JSON."""
    text = "".join(_charge(i, f'"risk_score": {i}') for i in range(4))
    text += "".join(_charge(i, '"risk_score": "high"') for i in range(4, 8))
    parsed = read_jsonl_file(text.encode(), CHARGES)
    assert parsed.table.column("risk_score").to_pylist() == ["0", "1", "2", "3", *["high"] * 4]
    assert parsed.line_numbers.tolist() == list(range(1, 9))
    assert parsed.quarantine.reasons == {}
    assert _reconciles(parsed)


@pytest.mark.usefixtures("small_blocks")
def test_valid_lines_whose_undeclared_field_differs_in_type_within_a_block_all_load():
    """Each line is valid on its own; only together do they give a key two JSON types."""
    values = ["7", '"seven"', "true", "7.5", "[7]", '{"n": 7}', "null", "8"]
    text = "".join(_charge(i, f'"note": {value}') for i, value in enumerate(values))
    parsed = read_jsonl_file(text.encode(), CHARGES)
    assert parsed.quarantine.reasons == {}
    assert parsed.table.column("id").to_pylist() == [f"ch_{i}" for i in range(8)]
    assert parsed.table.column("note").to_pylist() == [
        "7",
        "seven",
        "true",
        "7.5",
        "[7]",
        None,
        None,
        "8",
    ]
    assert parsed.table.column("note__n").to_pylist() == [None] * 5 + [7, None, None]
    assert _reconciles(parsed)


@pytest.mark.usefixtures("small_blocks")
def test_a_whole_number_read_as_a_double_beside_a_fraction_is_written_as_sent():
    """`7` and `7.5` in one block make a double column; once the key is text, `7` reads `7`."""
    values = ['7, "tags": [7]', '7.5, "tags": [7.5]', '"x", "tags": ["a"]', '8, "tags": [1]']
    text = "".join(_charge(i, f'"note": {value}') for i, value in enumerate(values))
    parsed = read_jsonl_file(text.encode(), CHARGES)
    assert parsed.table.column("note").to_pylist() == ["7", "7.5", "x", "8"]
    assert parsed.table.column("tags").to_pylist() == ["[7]", "[7.5]", '["a"]', "[1]"]


@pytest.mark.usefixtures("small_blocks")
def test_a_nested_key_of_two_json_types_becomes_one_text_column():
    text = "".join(_charge(i, f'"metadata": {{"order_id": {i}}}') for i in range(3))
    text += _charge(3, '"metadata": {"order_id": "ORD-3"}')
    parsed = read_jsonl_file(text.encode(), CHARGES)
    assert parsed.table.column("metadata__order_id").to_pylist() == ["0", "1", "2", "ORD-3"]
    assert parsed.quarantine.reasons == {}


SENT = "2026-11-01T10:00:00+07:00"
"""ISO 8601 text with an offset: Arrow, left to guess, keeps only its instant, 03:00 UTC."""


def test_a_time_string_of_an_undeclared_key_on_every_line_keeps_its_text():
    text = "".join(_charge(i, f'"sent_at": "{SENT}"') for i in range(3))
    parsed = read_jsonl_file(text.encode(), CHARGES)
    assert parsed.table.column("sent_at").to_pylist() == [SENT] * 3


@pytest.mark.usefixtures("small_blocks")
def test_a_time_string_keeps_its_text_when_another_block_holds_plain_text_under_its_key():
    """`note`, a number and then text, sends the file to the block path, where the first
    block's `sent_at` holds only times and the second's plain text."""
    text = "".join(_charge(i, f'"note": 1, "sent_at": "{SENT}"') for i in range(4))
    text += "".join(_charge(i, '"note": "x", "sent_at": "soon"') for i in range(4, 8))
    parsed = read_jsonl_file(text.encode(), CHARGES)
    assert parsed.table.column("sent_at").to_pylist() == [SENT] * 4 + ["soon"] * 4
    assert parsed.quarantine.reasons == {}


def test_a_time_string_nested_in_an_object_keeps_its_text():
    text = "".join(
        _charge(i, f'"metadata": {{"order_id": "ORD-{i}", "sent_at": "{SENT}"}}') for i in range(3)
    )
    parsed = read_jsonl_file(text.encode(), CHARGES)
    assert parsed.table.column("metadata__sent_at").to_pylist() == [SENT] * 3
    assert parsed.table.column("metadata__order_id").to_pylist() == ["ORD-0", "ORD-1", "ORD-2"]


@pytest.mark.usefixtures("small_blocks")
def test_time_strings_in_a_list_stay_a_list_of_their_text_beside_a_block_of_plain_text():
    """Both blocks' lists hold text, so the columns stay lists, as one block would give."""
    text = "".join(
        _charge(i, f'"note": 1, "slots": ["{SENT}"], "at": [{{"on": "2026-11-02"}}]')
        for i in range(4)
    )
    text += "".join(
        _charge(i, '"note": "x", "slots": ["soon"], "at": [{"on": "later"}]') for i in range(4, 8)
    )
    parsed = read_jsonl_file(text.encode(), CHARGES)
    assert parsed.table.column("slots").to_pylist() == [[SENT]] * 4 + [["soon"]] * 4
    assert parsed.table.column("at").to_pylist() == [
        *[[{"on": "2026-11-02"}]] * 4,
        *[[{"on": "later"}]] * 4,
    ]
    assert parsed.quarantine.reasons == {}


def test_a_chunk_where_arrow_guesses_no_time_is_parsed_once(arrow_parses: list[int]):
    parsed = read_jsonl_file(_charges(5).encode(), CHARGES)
    assert parsed.table.num_rows == 5
    assert arrow_parses == [5]


@pytest.mark.usefixtures("small_blocks")
def test_declared_fields_keep_their_types_when_an_undeclared_one_conflicts():
    text = "".join(_charge(i, f'"note": {i}') for i in range(3))
    text += _charge(3, '"note": "three"')
    table = coerce(read_jsonl_file(text.encode(), CHARGES), CHARGES)
    assert table.column("amount").to_pylist() == [0, 1, 2, 3]
    assert table.column("amount").type == pa.int64()


@pytest.mark.usefixtures("small_blocks")
@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (
            '{"id": "1", "created_time": 1700000000}',
            "created_time: not a valid timestamp (%Y-%m-%dT%H:%M:%S%z): 1700000000",
        ),
        ('{"id": "1", "id": "2"}', "unreadable JSON: Column(/id) was specified twice"),
        (
            '{"id": "1", "ad_id": 1e999}',
            "unreadable JSON: Number too big to be stored in double.",
        ),
        (
            '{"id": "1", "ad_id": "\\ud800"}',
            "unreadable JSON: The surrogate pair in string is invalid.",
        ),
    ],
)
def test_a_line_arrow_cannot_read_is_quarantined_alone_with_its_reason(line: str, reason: str):
    good = "".join(
        f'{{"id": "{i}", "created_time": "2026-03-04T09:12:33+0000"}}\n' for i in range(5)
    )
    parsed = read_jsonl_file((good + line + "\n" + good).encode(), LEADS)
    assert parsed.quarantine.reasons == {6: reason}
    assert parsed.line_numbers.tolist() == [*range(1, 6), *range(7, 12)]
    assert _reconciles(parsed)


@pytest.mark.usefixtures("small_blocks")
def test_a_list_mixing_json_types_is_quarantined_alone_naming_its_field():
    """Arrow gives a list one element type; the line cannot be a row, its neighbours are."""
    text = _charge(0, '"tags": ["a"]') + _charge(1, '"tags": [1, "b"]') + _charge(2, '"tags": []')
    parsed = read_jsonl_file(text.encode(), CHARGES)
    assert parsed.line_numbers.tolist() == [1, 3]
    assert parsed.quarantine.reasons == {2: "tags: a list of values of different JSON types"}
    assert _reconciles(parsed)


@pytest.mark.usefixtures("small_blocks")
def test_a_key_holding_a_slash_beside_the_nested_key_it_spells_is_a_valid_line():
    """`"a/b"` and `"a": {"b": …}` are two paths, whatever character paths are written with."""
    text = _charge(0, '"note": 1') + _charge(1, '"note": "x", "a/b": 1, "a": {"b": "x"}')
    parsed = read_jsonl_file(text.encode(), CHARGES)
    assert parsed.quarantine.reasons == {}
    assert parsed.line_numbers.tolist() == [1, 2]
    assert parsed.table.column("a__b").to_pylist() == [None, "x"]


def test_answer_lists_empty_on_every_line_give_no_answer_columns():
    text = '{"id": "1", "created_time": "2026-03-04T09:12:33+0000", "field_data": []}\n'
    table = read_jsonl_file(text.encode(), LEADS).table
    assert table.column_names == ["created_time", "id"]


def _lead(index: int, field_data: str) -> str:
    return (
        f'{{"id": "{index}", "created_time": "2026-03-04T09:12:33+0000",'
        f' "field_data": {field_data}}}\n'
    )


_EMAIL = '[{"name": "email", "values": ["a@b.c"]}]'


@pytest.mark.parametrize("alone", [False, True], ids=["with_valid_neighbours", "alone"])
@pytest.mark.parametrize(
    ("field_data", "reason"),
    [
        ('"email=a@b.c"', "not a list of {name, values} objects: 'email=a@b.c'"),
        (
            '{"name": "email", "values": ["a@b.c"]}',
            "not a list of {name, values} objects: {'name': 'email', 'values': ['a@b.c']}",
        ),
        ('["email"]', "an entry is not a {name, values} object: 'email'"),
        ("[null]", "an entry is not a {name, values} object"),
        ("[{}]", "an entry has no name: {}"),
        ('[{"values": ["a@b.c"]}]', "an entry has no name: {'values': ['a@b.c']}"),
        (
            '[{"name": null, "values": ["a@b.c"]}]',
            "an entry has no name: {'name': None, 'values': ['a@b.c']}",
        ),
        (
            '[{"name": "", "values": ["a@b.c"]}]',
            "an entry has no name: {'name': '', 'values': ['a@b.c']}",
        ),
        ('[{"name": 7, "values": ["a@b.c"]}]', "an entry's name is not text: 7"),
        (
            '[{"name": "email", "values": "a@b.c"}]',
            "the values of 'email' are not a list of text: 'a@b.c'",
        ),
        ('[{"name": "email", "values": 5}]', "the values of 'email' are not a list of text: 5"),
        (
            '[{"name": "email", "values": [5]}]',
            "the values of 'email' are not a list of text: [5]",
        ),
    ],
)
def test_field_data_not_a_list_of_named_entries_quarantines_its_line_alone_naming_field_data(
    field_data: str, reason: str, alone: bool
):
    """Meta sends `values` as a list of text even for one answer: a bare string is malformed."""
    if alone:
        parsed = read_jsonl_file(_lead(1, field_data).encode(), LEADS)
        assert parsed.quarantine.reasons == {1: f"field_data: {reason}"}
        assert parsed.table.num_rows == 0
        return
    text = _lead(1, _EMAIL) + _lead(2, field_data) + _lead(3, _EMAIL)
    parsed = read_jsonl_file(text.encode(), LEADS)
    assert parsed.quarantine.reasons == {2: f"field_data: {reason}"}
    assert parsed.line_numbers.tolist() == [1, 3]
    assert parsed.table.column("field_data__email").to_pylist() == ["a@b.c", "a@b.c"]
    assert _reconciles(parsed)


@pytest.mark.parametrize("name", ["!!", " ", "?_"])
def test_an_answer_name_that_snake_cases_to_nothing_quarantines_its_line_naming_it(name: str):
    """Such a name could name no column but `field_data__`, which dlt read as `field_data`."""
    text = (
        _lead(1, _EMAIL)
        + _lead(
            2, f'[{{"name": "email", "values": ["d@e.f"]}}, {{"name": "{name}", "values": ["x"]}}]'
        )
        + _lead(3, _EMAIL)
    )
    parsed = read_jsonl_file(text.encode(), LEADS)
    assert parsed.quarantine.reasons == {
        2: f"field_data: an entry's name has no a-z or 0-9 to name a column: {name!r}"
    }
    assert parsed.table.column_names == ["created_time", "id", "field_data__email"]
    assert parsed.table.column("field_data__email").to_pylist() == ["a@b.c", "a@b.c"]
    assert _reconciles(parsed)


def test_an_entry_without_values_is_an_answer_left_out_even_where_no_line_sends_values():
    """No `values` anywhere in the chunk once left Arrow no list to take the first value of."""
    text = (
        _lead(1, '[{"name": "email"}]')
        + _lead(2, '[{"name": "email", "values": null}]')
        + _lead(3, "null")
    )
    parsed = read_jsonl_file(text.encode(), LEADS)
    assert parsed.quarantine.reasons == {}
    assert parsed.table.column("field_data__email").to_pylist() == [None] * 3


def test_answer_names_that_snake_case_alike_fill_one_column():
    """`"Email"` and `"email"`, `"Phone Number"` and `"phone_number"` are one question."""
    text = (
        _lead(1, '[{"name": "Email", "values": ["a@b.c"]}]')
        + _lead(2, '[{"name": "email", "values": ["d@e.f"]}]')
        + _lead(3, '[{"name": "Phone Number", "values": ["0912"]}]')
        + _lead(4, '[{"name": "phone_number", "values": ["0913"]}]')
    )
    table = read_jsonl_file(text.encode(), LEADS).table
    assert table.column_names == [
        "created_time",
        "id",
        "field_data__email",
        "field_data__phone_number",
    ]
    assert table.column("field_data__email").to_pylist() == ["a@b.c", "d@e.f", None, None]
    assert table.column("field_data__phone_number").to_pylist() == [None, None, "0912", "0913"]


@pytest.mark.parametrize(
    ("field_data", "answer"),
    [
        ('{"name": "email", "values": ["a@b.c"]}, {"name": "email", "values": ["d@e.f"]}', "a@b.c"),
        ('{"name": "Email", "values": ["a@b.c"]}, {"name": "email", "values": ["d@e.f"]}', "a@b.c"),
        (
            '{"name": "email", "values": ["a@b.c"]}, {"name": "x", "values": ["1"]},'
            ' {"name": "EMAIL", "values": ["d@e.f"]}',
            "a@b.c",
        ),
        ('{"name": "email"}, {"name": "email", "values": ["d@e.f"]}', None),
    ],
    ids=["same_name", "two_spellings", "apart", "first_left_out"],
)
def test_an_answer_sent_twice_in_a_line_is_its_first_entrys(field_data: str, answer: str | None):
    """As an entry's answer is its first value, a column's answer is its first entry's, even
    when that entry left the answer out."""
    text = _lead(1, f"[{field_data}]") + _lead(2, '[{"name": "email", "values": ["g@h.i"]}]')
    parsed = read_jsonl_file(text.encode(), LEADS)
    assert parsed.quarantine.reasons == {}
    assert parsed.table.column("field_data__email").to_pylist() == [answer, "g@h.i"]


@pytest.mark.parametrize(
    ("extra", "other"),
    [('"id": 7', '"id": "x"'), ('"id": {"n": 7}', '"id": 7')],
    ids=["number_then_text", "object_then_number"],
)
def test_keys_of_an_answer_entry_besides_name_and_values_are_ignored(extra: str, other: str):
    """Meta sends none; a line holding one must not cost the other lines their answers."""
    text = (
        _lead(1, f'[{{"name": "email", "values": ["a@b.c"], {extra}}}]')
        + _lead(2, f'[{{"name": "email", "values": ["d@e.f"], {other}}}]')
        + _lead(3, _EMAIL)
    )
    parsed = read_jsonl_file(text.encode(), LEADS)
    assert parsed.quarantine.reasons == {}
    assert parsed.table.column_names == ["created_time", "id", "field_data__email"]
    assert parsed.table.column("field_data__email").to_pylist() == ["a@b.c", "d@e.f", "a@b.c"]


def test_lines_of_interleaved_json_types_in_one_block_keep_their_line_order(
    monkeypatch: pytest.MonkeyPatch,
):
    """The block's numbers and texts are parsed as two groups, then put back in line order."""
    monkeypatch.setattr(jsonl_file, "_BLOCK_LINES", 4)
    monkeypatch.setattr(jsonl_file, "_LEAF_LINES", 4)
    values = ["1", '"a"', "2", '"b"', "3"]
    text = "".join(_charge(i, f'"note": {value}') for i, value in enumerate(values))
    parsed = read_jsonl_file(text.encode(), CHARGES)
    assert parsed.line_numbers.tolist() == [1, 2, 3, 4, 5]
    assert parsed.table.column("id").to_pylist() == [f"ch_{i}" for i in range(5)]
    assert parsed.table.column("note").to_pylist() == ["1", "a", "2", "b", "3"]
