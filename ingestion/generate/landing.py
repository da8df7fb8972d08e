"""Writes landing files chunk by chunk, injecting exact duplicates and malformed rows.

Malformed rows are extra rows built from a real row with a fresh key and one broken field, so
quarantining them loses no real record; their file and line go to truth/malformed.csv.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.csv as pacsv

from ingestion.generate.mess import MESS

BROKEN_QUOTE_MARK = "\x01"
BAD_DATES = ("2026-02-30 25:61", "31/12/2026", "0000-00-00 00:00:00", "not a date")
BAD_COMPACT_DATES = ("20261341120000", "2026-13-01", "31122026")
BAD_AMOUNTS = ("1.2OO.000", "N/A", "12,50", "abc")


@dataclass(frozen=True)
class Corruption:
    """A malformed-row kind for one file: which column to break and with what."""

    kind: str
    column: str
    bad_values: tuple[Any, ...] = ()


@dataclass
class _OpenFile:
    handle: IO[bytes]
    relative: str
    lines: int = 0
    rows: int = 0


@dataclass
class Landing:
    """All files of one generation run, kept open while chunks are appended."""

    root: Path
    stamp: str
    corrections_stamp: str
    rng: np.random.Generator
    files: dict[str, _OpenFile] = field(default_factory=dict)
    malformed: list[tuple[str, int, str]] = field(default_factory=list)

    def name(self, system: str, export_type: str, ext: str, corrections: bool = False) -> str:
        stamp = f"{self.corrections_stamp}_corrections" if corrections else self.stamp
        return f"{system}/{export_type}_{stamp}.{ext}"

    def _open(self, relative: str) -> _OpenFile:
        if relative not in self.files:
            path = self.root / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            self.files[relative] = _OpenFile(path.open("wb"), relative)
        return self.files[relative]

    def touch_csv(self, relative: str, header: list[str]) -> None:
        """Create the file with its header if no chunk wrote it (an export with no rows)."""
        if relative not in self.files:
            self.write_csv(relative, pa.table({c: pa.array([], pa.string()) for c in header}))

    def touch_jsonl(self, relative: str) -> None:
        self._open(relative)

    def write_csv(
        self,
        relative: str,
        table: pa.Table,
        *,
        key: str | None = None,
        fresh_keys: Callable[[int], np.ndarray] | None = None,
        corruptions: tuple[Corruption, ...] = (),
        duplicates: bool = False,
    ) -> None:
        out = self._open(relative)
        first_chunk = out.lines == 0
        n = table.num_rows
        parts = [table]
        positions = [np.arange(n) * 2]
        marks: list[tuple[int, str]] = []
        if duplicates and n:
            dup = self._sample(n, self.rng.binomial(n, MESS.duplicate_rows))
            parts.append(table.take(dup))
            positions.append(2 * np.maximum(dup, self.rng.integers(0, n, len(dup))) + 1)
        for corruption in corruptions if n else ():
            count = max(int(first_chunk), round(MESS.malformed_rows * n))
            if count == 0:
                continue
            bad = _corrupt(table, self._sample(n, count), corruption, key, fresh_keys, self.rng)
            start = sum(len(p) for p in positions)
            parts.append(bad)
            positions.append(2 * self.rng.integers(0, n, count) + 1)
            marks.extend((start + i, corruption.kind) for i in range(count))
        combined = pa.concat_tables(parts) if len(parts) > 1 else table
        order = np.argsort(np.concatenate(positions), kind="stable")
        rank = np.empty(len(order), np.int64)
        rank[order] = np.arange(len(order))
        buffer = io.BytesIO()
        pacsv.write_csv(
            combined.take(order),
            buffer,
            pacsv.WriteOptions(include_header=first_chunk, quoting_style="needed"),
        )
        text = buffer.getvalue()
        if any(c.kind == "broken_quoting" for c in corruptions):
            text = text.replace(f'{BROKEN_QUOTE_MARK}",'.encode(), b",")
        out.handle.write(text)
        header_lines = int(first_chunk)
        for row, kind in marks:
            self.malformed.append((relative, out.lines + header_lines + int(rank[row]) + 1, kind))
        out.lines += header_lines + len(order)
        out.rows += len(order)

    def write_jsonl(
        self,
        relative: str,
        records: list[dict[str, Any]],
        *,
        key: str | None = None,
        fresh_keys: Callable[[int], np.ndarray] | None = None,
        corruptions: tuple[Corruption, ...] = (),
        duplicates: bool = False,
    ) -> None:
        out = self._open(relative)
        first_chunk = out.lines == 0
        n = len(records)
        lines = [orjson.dumps(r) for r in records]
        extra: list[tuple[int, bytes, str | None]] = []
        if duplicates and n:
            for i in self._sample(n, self.rng.binomial(n, MESS.duplicate_rows)):
                extra.append((int(max(i, self.rng.integers(0, n))), lines[i], None))
        for corruption in corruptions if n else ():
            count = max(int(first_chunk), round(MESS.malformed_rows * n))
            keys = fresh_keys(count) if fresh_keys is not None else [None] * count
            for i, fresh in zip(self._sample(n, count), keys, strict=True):
                record = dict(records[i])
                if key is not None:
                    record[key] = fresh
                extra.append(
                    (
                        int(self.rng.integers(0, n)),
                        _broken_json(record, corruption, self.rng),
                        corruption.kind,
                    )
                )
        self._write_lines(out, lines, extra)

    def write_jsonl_lines(self, relative: str, lines: pa.Array, truncated: bool) -> None:
        """Events: lines prebuilt (vectorised) as a string array, each ending in `\\n`."""
        out = self._open(relative)
        n = len(lines)
        if n == 0:
            return
        data = _string_array_bytes(lines)
        if not truncated:
            out.handle.write(data)
            out.lines += n
            out.rows += n
            return
        count = max(int(out.lines == 0), round(MESS.malformed_rows * n))
        extra = []
        for i in self._sample(n, count):
            line = lines[int(i)].as_py().rstrip("\n").encode()
            cut = int(self.rng.integers(10, len(line) - 2))
            extra.append((int(self.rng.integers(0, n)), line[:cut], "truncated_json"))
        offsets = np.frombuffer(lines.buffers()[1], np.int32, n + 1, lines.offset * 4)
        extra.sort(key=lambda e: e[0])
        written = 0
        cursor = 0
        for after, line, kind in extra:
            out.handle.write(data[offsets[cursor] - offsets[0] : offsets[after + 1] - offsets[0]])
            written += after + 1 - cursor
            cursor = after + 1
            out.handle.write(line + b"\n")
            written += 1
            self.malformed.append((relative, out.lines + written, kind))
        out.handle.write(data[offsets[cursor] - offsets[0] :])
        written += n - cursor
        out.lines += written
        out.rows += written

    def _write_lines(
        self, out: _OpenFile, lines: list[bytes], extra: list[tuple[int, bytes, str | None]]
    ) -> None:
        after: dict[int, list[tuple[bytes, str | None]]] = {}
        for position, line, kind in extra:
            after.setdefault(position, []).append((line, kind))
        chunks: list[bytes] = []
        line_no = out.lines
        for i, line in enumerate(lines):
            chunks.append(line)
            line_no += 1
            for inserted, kind in after.get(i, ()):
                chunks.append(inserted)
                line_no += 1
                if kind is not None:
                    self.malformed.append((out.relative, line_no, kind))
        if chunks:
            out.handle.write(b"\n".join(chunks) + b"\n")
        out.rows += line_no - out.lines
        out.lines = line_no

    def _sample(self, n: int, count: int) -> np.ndarray:
        return np.sort(self.rng.choice(n, size=min(count, n), replace=False))

    def close(self) -> dict[str, int]:
        """Close every file; returns data rows per file (header excluded)."""
        for out in self.files.values():
            out.handle.close()
        return {relative: out.rows for relative, out in self.files.items()}


def _corrupt(
    table: pa.Table,
    rows: np.ndarray,
    corruption: Corruption,
    key: str | None,
    fresh_keys: Callable[[int], np.ndarray] | None,
    rng: np.random.Generator,
) -> pa.Table:
    bad = table.take(rows)
    if key is not None and fresh_keys is not None:
        bad = bad.set_column(
            bad.schema.get_field_index(key), key, pa.array(fresh_keys(len(rows)), pa.string())
        )
    column = bad.column(corruption.column).to_pylist()
    if corruption.kind == "broken_quoting":
        column = [f"{value or 'x'}{BROKEN_QUOTE_MARK}" for value in column]
    else:
        column = [
            corruption.bad_values[int(rng.integers(0, len(corruption.bad_values)))] for _ in column
        ]
    index = bad.schema.get_field_index(corruption.column)
    return bad.set_column(index, corruption.column, pa.array(column, pa.string()))


def _broken_json(record: dict[str, Any], corruption: Corruption, rng: np.random.Generator) -> bytes:
    if corruption.kind == "truncated_json":
        line = orjson.dumps(record)
        return line[: int(rng.integers(10, len(line) - 2))]
    record[corruption.column] = corruption.bad_values[
        int(rng.integers(0, len(corruption.bad_values)))
    ]
    return orjson.dumps(record)


def _string_array_bytes(lines: pa.Array) -> bytes:
    offsets = np.frombuffer(lines.buffers()[1], np.int32, len(lines) + 1, lines.offset * 4)
    return lines.buffers()[2].to_pybytes()[offsets[0] : offsets[-1]]


def write_csv_rows(path: Path, header: list[str], rows: list[tuple[Any, ...]]) -> None:
    """Small truth files: plain CSV with the same conventions as the landing files."""
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in header]
    table = pa.table(
        {
            name: pa.array([str(v) for v in col], pa.string())
            for name, col in zip(header, columns, strict=True)
        }
    )
    pacsv.write_csv(table, path, pacsv.WriteOptions(quoting_style="needed"))
