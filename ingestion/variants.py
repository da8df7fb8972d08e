"""An undeclared column keeps the type it first had; a value of another type goes to a variant.

Arrow infers the type of every key an export spec does not declare, chunk by chunk, so a key can
be a number in one file (or one 64 MB chunk of a file) and text in the next. dlt cannot put both
in one column: within a run its Parquet writer joins only types Arrow promotes without loss
(`ingestion.pipelines`), never a number and text; in a later run DuckDB cannot cast the text
into the raw table's number column, and the failed package, kept for the next run to finish,
failed every run after.

dlt's own answer for dict rows is a variant column: a value that does not fit its column goes to
`<column>__v_<type>`. The same is done here on the Arrow path, before dlt sees a table: a column
keeps the type the raw table has in the warehouse (read once per run), else the type
of its first chunk in this run. A list is a list whatever its items: dlt stores every list as
`json`, so `[]` (Arrow's `list<null>`), `["vip"]` and `[{"k": 1}]` fit one column, and a run
that meets lists of another item type writes them to Parquet files of their own
(`ingestion.pipelines`). A value that does not fit goes, as its JSON text, to
`<column>__v_text`: one variant per column, text, so it can never conflict itself (dlt would add
`__v_double`, `__v_bool` by the value's type). A number that converts without loss (a whole
`8.0` to an integer column) stays in the column; a text column takes any value as its JSON text,
as within a chunk (`ingestion.parsing.jsonl_file`). Declared columns are typed by
`ingestion.coercion` and untouched here.
"""

from __future__ import annotations

from collections.abc import Mapping

import pyarrow as pa
import pyarrow.compute as pc
from dlt.common.schema.typing import TTableSchemaColumns

from ingestion.arrow_text import is_text
from ingestion.exports import ExportSpec
from ingestion.parsing.jsonl_file import as_json_text

VARIANT_SUFFIX = "__v_text"
"""dlt's variant naming: the column, `__`, `v_` and the type of the values it holds."""

_BOOKKEEPING = ("_source_file", "_source_line")

_ARROW_TYPE_OF_DLT_TYPE = {
    "text": pa.string(),
    "bigint": pa.int64(),
    "double": pa.float64(),
    "bool": pa.bool_(),
    "timestamp": pa.timestamp("us", tz="UTC"),
    "date": pa.date32(),
    "json": pa.list_(pa.null()),
}
"""The raw column types a JSON key can be given. `json` holds lists (objects are flattened), of
items no type is known of."""


class VariantKeyError(ValueError):
    """A key column whose values do not fit its type: a row without its key cannot merge."""


class VariantClashError(ValueError):
    """A row whose misfit value and whose own `<column>__v_text` value would share one cell."""


class ColumnTypes:
    """The types the undeclared columns of one raw table hold, for one run of its resource."""

    def __init__(self, types: Mapping[str, pa.DataType] | None = None) -> None:
        self._types = dict(types or {})

    @classmethod
    def of_raw_table(cls, columns: TTableSchemaColumns) -> ColumnTypes:
        """The column types a raw table has, its `columns` as dlt reads them from the
        warehouse (`StoredVersions.raw_columns`) or from the lake's Parquet footers
        (`ingestion.lake.LakeColumns`)."""
        return cls(
            {
                name: _ARROW_TYPE_OF_DLT_TYPE[column["data_type"]]
                for name, column in columns.items()
                if column.get("data_type") in _ARROW_TYPE_OF_DLT_TYPE
            }
        )

    def fit(self, rows: pa.Table, spec: ExportSpec, source_file: str) -> pa.Table:
        """`rows` with each undeclared column in the type it already has; values that do not
        fit move to the column's `__v_text` variant. The first type seen of a new column is its
        type from then on."""
        skipped = {*spec.types, *spec.constants, *_BOOKKEEPING}
        for name in rows.column_names:
            if name in skipped:
                continue
            column = rows[name]
            target = self._types.setdefault(name, column.type)
            if _same_kind(column.type, target):
                continue
            fitted, variant = _fit(column.combine_chunks(), target, parse_text=name in spec.key)
            if variant is not None and name in spec.key:
                raise VariantKeyError(
                    f"{source_file}: key column {name} holds {column.type} values where its "
                    f"table holds {target}"
                )
            index = rows.column_names.index(name)
            rows = rows.set_column(index, rows.schema.field(index).with_type(target), fitted)
            if variant is not None:
                rows = self._with_variant(rows, f"{name}{VARIANT_SUFFIX}", variant, source_file)
        return rows

    def _with_variant(
        self, rows: pa.Table, name: str, values: pa.Array, source_file: str
    ) -> pa.Table:
        """`rows` with the misfit `values` in the variant column `name`. A file may send a key
        of that name itself; its values stay, and a row holding one and a misfit fails the
        load, since one text column cannot keep both."""
        self._types.setdefault(name, pa.string())
        if name not in rows.column_names:
            return rows.append_column(name, values)
        index = rows.column_names.index(name)
        sent = as_json_text(rows[name].combine_chunks())
        if pc.any(pc.and_(pc.is_valid(sent), pc.is_valid(values))).as_py():
            raise VariantClashError(
                f"{source_file}: a value of {name.removesuffix(VARIANT_SUFFIX)} does not fit "
                f"its column and the same row's own {name} holds a value too"
            )
        return rows.set_column(index, name, pc.coalesce(sent, values))


def _kind(data_type: pa.DataType) -> str:
    """The raw column type dlt gives an Arrow type (`ARROW_TYPE_OF_DLT_TYPE` reversed)."""
    if pa.types.is_integer(data_type):
        return "bigint"
    if pa.types.is_floating(data_type):
        return "double"
    if is_text(data_type):
        return "text"
    if pa.types.is_timestamp(data_type):
        return "timestamp"
    if pa.types.is_list(data_type):
        return "json"
    return str(data_type)


def _same_kind(data_type: pa.DataType, target: pa.DataType) -> bool:
    return data_type == target or _kind(data_type) == _kind(target)


def _fit(
    column: pa.Array, target: pa.DataType, *, parse_text: bool = False
) -> tuple[pa.Array, pa.Array | None]:
    """`column` as `target`, and the JSON text of the values that do not fit it (None: all
    fit). Numbers convert, and with `parse_text` (a key column, which a row cannot do without)
    text too, each only when converting back gives the same value."""
    if _kind(target) == "text":
        return as_json_text(column), None
    if column.null_count == len(column):
        return pa.nulls(len(column), target), None
    if _kind(column.type) in ("bigint", "double") and _kind(target) in ("bigint", "double"):
        converted = pc.cast(column, target, safe=False)
        fits = pc.equal(pc.cast(converted, column.type, safe=False), column).fill_null(True)
        return _split(column, converted, fits, target)
    if parse_text and _kind(column.type) == "text":
        converted = _parsed(column, target)
        same_text = pc.equal(pc.cast(converted, column.type), column).fill_null(False)
        return _split(column, converted, pc.or_(column.is_null(), same_text), target)
    return pa.nulls(len(column), target), as_json_text(column)


def _split(
    column: pa.Array, converted: pa.Array, fits: pa.Array, target: pa.DataType
) -> tuple[pa.Array, pa.Array | None]:
    """`converted` where the value `fits`, else null, and the JSON text of the others."""
    if pc.all(fits).as_py():
        return converted, None
    misfits = pc.if_else(fits, pa.scalar(None, column.type), column)
    return pc.if_else(fits, converted, pa.scalar(None, target)), as_json_text(misfits)


def _parsed(column: pa.Array, target: pa.DataType) -> pa.Array:
    """The text `column` read as `target`, null where a value does not read (Arrow casts an
    array whole or not at all, so a failed cast is redone value by value)."""
    try:
        return pc.cast(column, target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return pa.array([_parsed_value(value, target) for value in column], target)


def _parsed_value(value: pa.Scalar, target: pa.DataType) -> object:
    try:
        return value.cast(target).as_py()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
