"""JSONL reading: truncated lines are quarantined, nested objects flattened, lists pivoted."""

from __future__ import annotations

from ingestion.exports import spec_for
from ingestion.parsing.jsonl_file import _unbalanced, read_jsonl_file
from ingestion.parsing.lines import split_lines

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
    assert parsed.quarantine.reasons == {6: "amount: not a integer: 'N/A'"}


def test_nested_objects_become_double_underscore_columns():
    text = '{"id": "ch_1", "billing_details": {"address": {"city": "Hue"}, "email": "a@b.c"}}\n'
    parsed = read_jsonl_file(text.encode(), CHARGES)
    assert parsed.table.to_pylist() == [
        {"id": "ch_1", "billing_details__address__city": "Hue", "billing_details__email": "a@b.c"}
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
    assert _unbalanced(data, split_lines(data, 41)).tolist() == [True, False, True, True]


def test_line_cut_right_after_a_nested_object_is_quarantined_in_a_later_chunk():
    parsed = read_jsonl_file(CUT_AFTER_NESTED_OBJECT.encode(), CHARGES, first_line=41)
    assert parsed.table.column("id").to_pylist() == ["ch_1", "ch_3"]
    assert parsed.line_numbers.tolist() == [41, 44]
    assert list(parsed.quarantine.reasons) == [43]
    assert "invalid JSON" in parsed.quarantine.reasons[43]
    assert parsed.rows_read == 3
