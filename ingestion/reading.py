"""One landing file in, three things out: typed rows, quarantined lines and its ledger entry."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from ingestion.coercion import coerce
from ingestion.exports import FileFormat, snake_case
from ingestion.landing import LandingFile
from ingestion.parsing.csv_file import read_csv_file, read_header
from ingestion.parsing.jsonl_file import read_jsonl_file
from ingestion.parsing.lines import split_lines

REJECTS_SCHEMA = pa.schema(
    [
        ("source_file", pa.string()),
        ("source_line", pa.int64()),
        ("raw_text", pa.string()),
        ("reason", pa.string()),
        ("export_type", pa.string()),
    ]
)
LEDGER_SCHEMA = pa.schema(
    [
        ("source_file", pa.string()),
        ("export_type", pa.string()),
        ("sha256", pa.string()),
        ("rows_read", pa.int64()),
        ("rows_loaded", pa.int64()),
        ("rows_rejected", pa.int64()),
        ("loaded_at", pa.timestamp("us", tz="UTC")),
    ]
)


class ReconciliationError(AssertionError):
    """Rows read did not equal rows loaded plus rows rejected: a loader bug, never data."""


@dataclass(frozen=True)
class FileLoad:
    rows: pa.Table
    rejects: pa.Table
    ledger: pa.Table


def read_export(file: LandingFile) -> FileLoad:
    data = file.path.read_bytes()
    spec = file.spec
    if spec.file_format is FileFormat.CSV:
        header = read_header(data) if data.strip() else []
        parsed = read_csv_file(data, _unique([snake_case(name) for name in header]))
    else:
        parsed = read_jsonl_file(data, spec)
    rows = coerce(parsed, spec)
    rows = rows.append_column(
        "_source_file", pa.array([file.source_file] * rows.num_rows, pa.string())
    )
    rows = rows.append_column("_source_line", pa.array(parsed.line_numbers, pa.int64()))
    rejects = _rejects_table(file, data, parsed.quarantine.reasons)
    if parsed.rows_read != rows.num_rows + rejects.num_rows:
        raise ReconciliationError(
            f"{file.source_file}: read {parsed.rows_read} rows but loaded {rows.num_rows} "
            f"and rejected {rejects.num_rows}"
        )
    ledger = pa.Table.from_pylist(
        [
            {
                "source_file": file.source_file,
                "export_type": spec.export_type,
                "sha256": file.sha256,
                "rows_read": parsed.rows_read,
                "rows_loaded": rows.num_rows,
                "rows_rejected": rejects.num_rows,
                "loaded_at": dt.datetime.now(dt.UTC),
            }
        ],
        schema=LEDGER_SCHEMA,
    )
    return FileLoad(rows, rejects, ledger)


def _rejects_table(file: LandingFile, data: bytes, reasons: dict[int, str]) -> pa.Table:
    if not reasons:
        return REJECTS_SCHEMA.empty_table()
    numbers = np.array(sorted(reasons), dtype=np.int64)
    lines = split_lines(data).text
    return pa.table(
        {
            "source_file": [file.source_file] * len(numbers),
            "source_line": numbers,
            "raw_text": lines.take(pa.array(numbers - 1)).cast(pa.string()),
            "reason": [reasons[n] for n in numbers.tolist()],
            "export_type": [file.spec.export_type] * len(numbers),
        },
        schema=REJECTS_SCHEMA,
    )


def _unique(names: list[str]) -> list[str]:
    """Two headers that snake_case alike keep both columns: the second gets `_2`."""
    seen: dict[str, int] = {}
    unique: list[str] = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return unique
