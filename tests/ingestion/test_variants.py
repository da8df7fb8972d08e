"""Undeclared columns keep their first type; values that do not fit go to `<column>__v_text`."""

from __future__ import annotations

import pyarrow as pa
import pytest
from dlt.common.schema.utils import new_column

from ingestion.exports import spec_for
from ingestion.parsing.jsonl_file import read_jsonl_file
from ingestion.variants import ColumnTypes, VariantClashError, VariantKeyError

CHARGES = spec_for("stripe", "charges")


def _rows(**columns: pa.Array) -> pa.Table:
    ids = pa.array([f"ch_{i}" for i in range(len(next(iter(columns.values()))))])
    return pa.table({"id": ids, **columns})


def test_the_first_chunk_sets_the_type_and_a_later_chunks_text_goes_to_the_variant():
    types = ColumnTypes()
    first = types.fit(_rows(note=pa.array([5, None])), CHARGES, "a.jsonl")
    assert first.column_names == ["id", "note"]
    later = types.fit(_rows(note=pa.array(["five", None])), CHARGES, "b.jsonl")
    assert later.schema.field("note").type == pa.int64()
    assert later["note"].to_pylist() == [None, None]
    assert later["note__v_text"].to_pylist() == ["five", None]


def test_a_number_stays_in_its_column_only_when_it_converts_without_loss():
    types = ColumnTypes({"note": pa.int64(), "score": pa.float64()})
    rows = types.fit(
        _rows(note=pa.array([8.0, 7.5, None]), score=pa.array([1, 2**53 + 1, 3])), CHARGES, "a"
    )
    assert rows["note"].to_pylist() == [8, None, None]
    assert rows["note__v_text"].to_pylist() == [None, "7.5", None]
    assert rows["score"].to_pylist() == [1.0, None, 3.0]
    assert rows["score__v_text"].to_pylist() == [None, str(2**53 + 1), None]


def test_a_text_column_takes_any_value_as_its_json_text_and_needs_no_variant():
    types = ColumnTypes({"note": pa.string()})
    rows = types.fit(_rows(note=pa.array([True, None])), CHARGES, "a")
    assert rows.column_names == ["id", "note"]
    assert rows["note"].to_pylist() == ["true", None]


def _read(extra: str) -> pa.Table:
    """One charge line with `extra` keys, as the JSONL reader hands it on."""
    line = f'{{"id": "ch_0", "amount": 5, {extra}}}\n'
    return read_jsonl_file(line.encode(), CHARGES).table


SENT = "2026-11-01T10:00:00+07:00"


def test_a_time_string_loads_as_its_text_where_the_raw_table_holds_the_key_as_text():
    """A file of only times under a key the warehouse already holds as text: Arrow alone would
    have read them as times, to be written back in its spelling, `2026-11-01 03:00:00`."""
    types = ColumnTypes.of_raw_table({"sent_at": new_column("sent_at", "text")})
    rows = types.fit(_read(f'"sent_at": "{SENT}"'), CHARGES, "b")
    assert rows["sent_at"].to_pylist() == [SENT]
    assert rows.column_names == ["id", "amount", "sent_at"]


def test_time_strings_in_a_list_go_to_the_variant_as_sent_where_the_column_holds_numbers():
    types = ColumnTypes({"slots": pa.int64()})
    rows = types.fit(_read(f'"slots": ["{SENT}"]'), CHARGES, "b")
    assert rows["slots"].to_pylist() == [None]
    assert rows["slots__v_text"].to_pylist() == [f'["{SENT}"]']


def test_a_column_null_on_every_line_takes_the_established_type_without_a_variant():
    types = ColumnTypes({"note": pa.int64()})
    rows = types.fit(_rows(note=pa.array([None, None], pa.string())), CHARGES, "a")
    assert rows.column_names == ["id", "note"]
    assert rows.schema.field("note").type == pa.int64()


def test_a_chunk_that_already_has_the_variant_key_keeps_its_values_beside_the_misfits():
    types = ColumnTypes({"note": pa.int64()})
    rows = types.fit(
        _rows(note=pa.array(["five", None]), note__v_text=pa.array([None, "kept"])), CHARGES, "a"
    )
    assert rows.column_names == ["id", "note", "note__v_text"]
    assert rows["note__v_text"].to_pylist() == ["five", "kept"]


def test_a_misfit_on_a_row_whose_own_variant_key_holds_a_value_fails_naming_file_and_column():
    types = ColumnTypes({"note": pa.int64()})
    rows = _rows(note=pa.array(["five", None]), note__v_text=pa.array(["sent", "kept"]))
    with pytest.raises(
        VariantClashError, match=r"^stripe/a\.jsonl: a value of note .* note__v_text"
    ):
        types.fit(rows, CHARGES, "stripe/a.jsonl")


def test_declared_and_bookkeeping_columns_are_left_to_the_typing():
    types = ColumnTypes({"amount": pa.string(), "_source_line": pa.string()})
    rows = _rows(amount=pa.array([12950]), _source_line=pa.array([1]))
    assert types.fit(rows, CHARGES, "a").equals(rows)


def test_a_key_that_does_not_fit_its_column_fails_naming_the_file_and_column():
    types = ColumnTypes({"id": pa.int64()})
    with pytest.raises(VariantKeyError, match=r"stripe/b\.jsonl: key column id holds string"):
        types.fit(_rows(note=pa.array([1])), CHARGES, "stripe/b.jsonl")


def test_a_key_held_as_a_number_takes_text_that_reads_back_as_the_same_text():
    types = ColumnTypes({"id": pa.int64()})
    rows = types.fit(pa.table({"id": pa.array(["123", "-4"])}), CHARGES, "a")
    assert rows.schema.field("id").type == pa.int64()
    assert rows["id"].to_pylist() == [123, -4]


@pytest.mark.parametrize("sent", ["12x", "007", "1e3"])
def test_a_key_held_as_a_number_fails_on_text_that_is_not_that_number(sent: str):
    """`007` would read 7 and merge with key 7: two keys the export tells apart."""
    types = ColumnTypes({"id": pa.int64()})
    with pytest.raises(VariantKeyError, match="a: key column id holds string"):
        types.fit(pa.table({"id": pa.array(["123", sent])}), CHARGES, "a")


def test_a_key_held_as_text_takes_numbers_as_their_text():
    types = ColumnTypes({"id": pa.string()})
    rows = types.fit(pa.table({"id": pa.array([7])}), CHARGES, "a")
    assert rows["id"].to_pylist() == ["7"]


def test_the_raw_tables_column_types_seed_the_types():
    columns = {"note": new_column("note", "bigint"), "paid": new_column("paid", "bool")}
    types = ColumnTypes.of_raw_table(columns)
    rows = types.fit(_rows(note=pa.array(["five"]), paid=pa.array([True])), CHARGES, "a")
    assert rows["note__v_text"].to_pylist() == ["five"]
    assert rows.column_names == ["id", "note", "paid", "note__v_text"]
    assert ColumnTypes.of_raw_table({}).fit(rows, CHARGES, "a").equals(rows)


def _lists(*values: list) -> pa.Table:
    return _rows(tags=pa.array(values))


def test_a_list_column_takes_lists_of_any_items_without_a_variant():
    """A first chunk of `[]` only is `list<null>` to Arrow: it must not make `["vip"]` a
    misfit, nor `[]` be one beside lists with items. dlt stores every list as `json`."""
    types = ColumnTypes()
    for chunk in (_lists([]), _lists(["vip"]), _lists([{"k": 1}], None), _lists([], [7.5])):
        rows = types.fit(chunk, CHARGES, "a")
        assert rows.equals(chunk)


def test_a_raw_json_column_takes_any_list_and_sends_other_values_to_its_variant():
    """DuckDB reads no `x` as JSON: the load would fail, and so would every run after it."""
    seeded = {"tags": new_column("tags", "json")}
    rows = ColumnTypes.of_raw_table(seeded).fit(_rows(tags=pa.array(["x", None])), CHARGES, "a")
    assert rows["tags"].to_pylist() == [None, None]
    assert rows["tags__v_text"].to_pylist() == ["x", None]
    lists = _lists(["vip"], [])
    assert ColumnTypes.of_raw_table(seeded).fit(lists, CHARGES, "a").equals(lists)
