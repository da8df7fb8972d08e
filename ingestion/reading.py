"""One landing file in, three things out: typed rows, quarantined lines and its ledger entry.

Large files are read in chunks of whole lines; each chunk's rows and rejects go out as soon as
they are ready, in file order, and the ledger entry comes last, once every line is accounted for.
Rows and quarantined lines of erased people (the suppression list) are dropped whole and only
counted.

Chunks are parsed on worker threads, at most `IN_FLIGHT` at a time, while the caller (dlt's
extract, which writes each yielded table to Parquet) works on the previous one: the parse, the
typing and the Parquet write are Arrow and numpy kernels that release the GIL, so a file is read
on both cores instead of one, and memory stays bounded by the chunks in flight.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from ingestion.coercion import coerce
from ingestion.exports import FileFormat, snake_case
from ingestion.landing import LandingFile
from ingestion.parsing.chunks import CHUNK_BYTES, line_chunks
from ingestion.parsing.csv_file import read_csv_file, read_header
from ingestion.parsing.jsonl_file import read_jsonl_file
from ingestion.parsing.result import ParsedFile
from ingestion.suppressed_rows import SuppressionList

IN_FLIGHT = 2
"""Chunks being parsed while the caller holds the previous one: two keep both cores busy."""

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
        ("file_size", pa.int64()),
        ("file_modified_ns", pa.int64()),
        ("rows_read", pa.int64()),
        ("rows_loaded", pa.int64()),
        ("rows_rejected", pa.int64()),
        ("rows_suppressed", pa.int64()),
        ("loaded_at", pa.timestamp("us", tz="UTC")),
    ]
)


class ReconciliationError(AssertionError):
    """Rows read did not equal rows loaded + rejected + suppressed: a loader bug, never data."""


@dataclass(frozen=True)
class Chunk:
    rows: pa.Table
    rejects: pa.Table
    rows_read: int
    rows_suppressed: int


class ExportReader:
    """Reads one landing file: iterate `chunks()`, then take `ledger()`."""

    def __init__(
        self,
        file: LandingFile,
        chunk_bytes: int = CHUNK_BYTES,
        suppression: SuppressionList | None = None,
    ) -> None:
        self.file = file
        self.chunk_bytes = chunk_bytes
        self.suppression = None if suppression is None or suppression.is_empty else suppression
        self.rows_read = self.rows_loaded = self.rows_rejected = self.rows_suppressed = 0
        self._done = False

    def chunks(self) -> Iterator[Chunk]:
        columns: list[str] = []
        if self.file.spec.file_format is FileFormat.CSV:
            with self.file.path.open("rb") as handle:
                columns = _unique([snake_case(name) for name in read_header(handle.read(1 << 20))])
        pending: deque[Future[Chunk]] = deque()
        workers = ThreadPoolExecutor(max_workers=IN_FLIGHT, thread_name_prefix="cdp-parse")
        try:
            for first_line, data in line_chunks(self.file.path, self.chunk_bytes):
                pending.append(workers.submit(self._parse, data, columns, first_line))
                if len(pending) == IN_FLIGHT:
                    yield self._counted(pending.popleft().result())
            while pending:
                yield self._counted(pending.popleft().result())
        finally:
            workers.shutdown(cancel_futures=True)
        self._done = True

    def _parse(self, data: memoryview, columns: list[str], first_line: int) -> Chunk:
        """One chunk's typed rows and rejects, on a worker thread; touches no reader state."""
        try:
            spec = self.file.spec
            if spec.file_format is FileFormat.CSV:
                parsed = read_csv_file(data, columns, first_line)
            else:
                parsed = read_jsonl_file(data, spec, first_line)
            rows = coerce(parsed, spec)
            rows = rows.append_column(
                "_source_file", _constant(self.file.source_file, rows.num_rows)
            )
            rows = rows.append_column("_source_line", pa.array(parsed.line_numbers, pa.int64()))
            rows = _keys_not_null(rows, spec.key)
            rejects = self._rejects(parsed)
            suppressed = 0
            if self.suppression is not None:
                rows, rejects, suppressed = self._suppress(rows, rejects)
        except Exception as error:
            error.add_note(f"while reading {self.file.source_file} from line {first_line}")
            raise
        return Chunk(rows, rejects, parsed.rows_read, suppressed)

    def _counted(self, chunk: Chunk) -> Chunk:
        self.rows_read += chunk.rows_read
        self.rows_loaded += chunk.rows.num_rows
        self.rows_rejected += chunk.rejects.num_rows
        self.rows_suppressed += chunk.rows_suppressed
        return chunk

    def ledger(self) -> pa.Table:
        if not self._done:
            raise RuntimeError(f"{self.file.source_file}: ledger asked before the file was read")
        if self.rows_read != self.rows_loaded + self.rows_rejected + self.rows_suppressed:
            raise ReconciliationError(
                f"{self.file.source_file}: read {self.rows_read} rows but loaded "
                f"{self.rows_loaded}, rejected {self.rows_rejected} and suppressed "
                f"{self.rows_suppressed}"
            )
        entry = {
            "source_file": self.file.source_file,
            "export_type": self.file.spec.export_type,
            "sha256": self.file.sha256,
            "file_size": self.file.size,
            "file_modified_ns": self.file.modified_ns,
            "rows_read": self.rows_read,
            "rows_loaded": self.rows_loaded,
            "rows_rejected": self.rows_rejected,
            "rows_suppressed": self.rows_suppressed,
            "loaded_at": dt.datetime.now(dt.UTC),
        }
        return pa.Table.from_pylist([entry], schema=LEDGER_SCHEMA)

    def _suppress(self, rows: pa.Table, rejects: pa.Table) -> tuple[pa.Table, pa.Table, int]:
        """Drop the rows and quarantined lines of erased people; they only count as suppressed."""
        assert self.suppression is not None
        spec = self.file.spec
        drop_rows = self.suppression.rows_to_drop(rows, spec)
        drop_rejects = self.suppression.lines_to_drop(rejects["raw_text"].to_pylist(), spec)
        if drop_rows.any():
            rows = rows.filter(pa.array(~drop_rows))
        if drop_rejects.any():
            rejects = rejects.filter(pa.array(~drop_rejects))
        return rows, rejects, int(drop_rows.sum()) + int(drop_rejects.sum())

    def _rejects(self, parsed: ParsedFile) -> pa.Table:
        reasons = parsed.quarantine.reasons
        if not reasons:
            return REJECTS_SCHEMA.empty_table()
        numbers = np.array(sorted(reasons), dtype=np.int64)
        return pa.table(
            {
                "source_file": [self.file.source_file] * len(numbers),
                "source_line": numbers,
                "raw_text": parsed.lines.take(numbers).cast(pa.string()),
                "reason": [reasons[n] for n in numbers.tolist()],
                "export_type": [self.file.spec.export_type] * len(numbers),
            },
            schema=REJECTS_SCHEMA,
        )


def _constant(value: str, length: int) -> pa.DictionaryArray:
    """`value` on every row, dictionary-encoded: Parquet then writes one dictionary entry and
    the indices instead of hashing the same text on every row (half of a chunk's write)."""
    return pa.DictionaryArray.from_arrays(
        pa.array(np.zeros(length, dtype=np.int32)), pa.array([value], pa.string())
    )


def _keys_not_null(rows: pa.Table, key: tuple[str, ...]) -> pa.Table:
    """Key columns as dlt declares them (not null); rows without a key were rejected already."""
    schema = pa.schema(
        [field.with_nullable(False) if field.name in key else field for field in rows.schema]
    )
    return rows.cast(schema)


def _unique(names: list[str]) -> list[str]:
    """Two headers that snake_case alike keep both columns: the second gets `_2`, or the next
    number that no other header is named (`A, a, a_2` give `a, a_3, a_2`, not two `a_2`)."""
    headers = set(names)
    used: set[str] = set()
    unique: list[str] = []
    for name in names:
        chosen, number = name, 1
        while chosen in used or (chosen != name and chosen in headers):
            number += 1
            chosen = f"{name}_{number}"
        used.add(chosen)
        unique.append(chosen)
    return unique
