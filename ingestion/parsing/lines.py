"""Physical lines of an export file as one Arrow array, without a Python object per line.

Both export formats put one record on one physical line (docs/landing-files.md), so the line array
is what ties a parsed row back to its line number and raw text, and what lets a broken line be
cut out before the real parser sees it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

_UNIT_SEPARATOR = "\x1f"
"""Absent from CSV text and from valid JSON (which escapes control characters): splits nothing."""

_BLOCK_SIZE = 16 << 20


@dataclass(frozen=True)
class Lines:
    """`text[i]` is physical line `first_line + i`; `starts[i]` its byte offset in the text."""

    text: pa.Array
    starts: np.ndarray
    first_line: int = 1
    not_utf8: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    """Numbers of lines that are not valid UTF-8 (their `text` shows them decoded with U+FFFD)."""

    def __len__(self) -> int:
        return len(self.text)

    @property
    def numbers(self) -> np.ndarray:
        return np.arange(self.first_line, self.first_line + len(self.text), dtype=np.int64)

    def raw(self, line_number: int) -> str:
        return self.text[line_number - self.first_line].as_py()

    def take(self, line_numbers: np.ndarray) -> pa.Array:
        return self.text.take(pa.array(line_numbers - self.first_line))


def split_lines(data: bytes, first_line: int = 1) -> Lines:
    """Split on `\\n` only; a trailing newline does not start another line."""
    if not data:
        return Lines(pa.array([], pa.large_string()), np.zeros(0, dtype=np.int64), first_line)
    raw = None if b"\r" in data else _split_with_arrow(data)
    if raw is None:
        parts = data.split(b"\n")
        if parts[-1] == b"":
            parts.pop()
        raw = pa.array(parts, pa.large_binary())
    lengths = pc.binary_length(raw).to_numpy(zero_copy_only=False).astype(np.int64)
    starts = np.zeros(len(lengths), dtype=np.int64)
    if len(lengths) > 1:
        np.cumsum(lengths[:-1] + 1, out=starts[1:])
    try:
        return Lines(raw.cast(pa.large_string()), starts, first_line)
    except pa.ArrowInvalid:
        return _with_invalid_utf8(raw, starts, first_line)


def _with_invalid_utf8(raw: pa.Array, starts: np.ndarray, first_line: int) -> Lines:
    """Rare: some line is not UTF-8 (an export cut inside a multi-byte character)."""
    decoded: list[str] = []
    invalid: list[int] = []
    for index, value in enumerate(raw.to_pylist()):
        try:
            decoded.append(value.decode("utf-8"))
        except UnicodeDecodeError:
            decoded.append(value.decode("utf-8", errors="replace"))
            invalid.append(first_line + index)
    text = pa.array(decoded, pa.large_string())
    return Lines(text, starts, first_line, np.array(invalid, dtype=np.int64))


def _split_with_arrow(data: bytes) -> pa.Array | None:
    """Arrow's multi-threaded CSV chunker with quoting off; None where it cannot split exactly
    (Arrow also ends lines at carriage returns, and a stray unit separator would add a column)."""
    try:
        table = pa_csv.read_csv(
            io.BytesIO(data),
            read_options=pa_csv.ReadOptions(column_names=["line"], block_size=_BLOCK_SIZE),
            parse_options=pa_csv.ParseOptions(
                delimiter=_UNIT_SEPARATOR,
                quote_char=False,
                escape_char=False,
                newlines_in_values=False,
                ignore_empty_lines=False,
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types={"line": pa.large_binary()}, strings_can_be_null=False
            ),
        )
    except pa.ArrowInvalid:
        return None
    return table["line"].combine_chunks()


def blank_out(data: bytes, lines: Lines, line_numbers: np.ndarray) -> bytes:
    """The file with the given lines overwritten by newlines: parsers skip them as empty lines
    while every other line keeps its place."""
    if len(line_numbers) == 0:
        return data
    buffer = bytearray(data)
    ends = np.append(lines.starts[1:] - 1, len(data))
    lengths = ends - lines.starts
    for index in (line_numbers - lines.first_line).tolist():
        start, length = int(lines.starts[index]), int(lengths[index])
        buffer[start : start + length] = b"\n" * length
    return bytes(buffer)
