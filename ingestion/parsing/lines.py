"""Physical lines of an export file as one Arrow array, without a Python object per line.

Both export formats put one record on one physical line (docs/landing-files.md), so the line array
is what ties a parsed row back to its line number and raw text, and what lets a broken line be
cut out before the real parser sees it.

The array is built over the file's own bytes: newline positions come from one vectorized scan,
and each value spans its line *with* the `\\n` that ends it, so no byte is copied. Checks that
care about the line's end use `first_bytes`/`last_bytes`/`lengths`; raw text handed out by
`raw` and `take` has the newline removed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

NEWLINE = ord("\n")

Bytes = bytes | bytearray | memoryview
"""File content as read: whole files are bytes, chunks are views of the block read."""


@dataclass(frozen=True)
class Lines:
    """`text[i]` is physical line `first_line + i` followed by its `\\n` (the file's last line
    may lack one); `starts[i]` is its byte offset in the data, `lengths[i]` its length without
    the newline."""

    text: pa.Array
    starts: np.ndarray
    lengths: np.ndarray
    first_line: int = 1
    not_utf8: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    """Numbers of lines that are not valid UTF-8 (their `text` shows them decoded with U+FFFD)."""
    first_bytes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint8))
    """Each line's first byte (0 for an empty line)."""
    last_bytes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint8))
    """Each line's last byte before its newline (0 for an empty line)."""

    def __len__(self) -> int:
        return len(self.text)

    @property
    def numbers(self) -> np.ndarray:
        return np.arange(self.first_line, self.first_line + len(self.text), dtype=np.int64)

    def raw(self, line_number: int) -> str:
        return self.text[line_number - self.first_line].as_py().removesuffix("\n")

    def joined(self, line_numbers: np.ndarray) -> pa.Buffer:
        """The lines' bytes back to back, each with its newline: a JSONL buffer of just these
        lines (ascending, so a last line without a newline stays last), one take and no Python
        string per line."""
        taken = self.text.take(pa.array(np.asarray(line_numbers) - self.first_line))
        offsets = np.frombuffer(taken.buffers()[1], dtype=np.int64)[taken.offset :]
        return taken.buffers()[2][int(offsets[0]) : int(offsets[len(taken)])]

    def take(self, line_numbers: np.ndarray) -> pa.Array:
        """The lines' text without their newline."""
        taken = self.text.take(pa.array(np.asarray(line_numbers) - self.first_line))
        return pc.replace_substring_regex(taken, "\n$", "")


def split_lines(data: Bytes, first_line: int = 1) -> Lines:
    """Split on `\\n` only; a trailing newline does not start another line."""
    empty = np.zeros(0, dtype=np.int64)
    if not data:
        return Lines(pa.array([], pa.large_string()), empty, empty, first_line)
    view = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(view == NEWLINE)
    ends = newlines if view[-1] == NEWLINE else np.append(newlines, len(view))
    starts = np.zeros(len(ends), dtype=np.int64)
    starts[1:] = ends[:-1] + 1
    lengths = ends - starts
    offsets = np.append(starts, len(view)).astype(np.int64)
    raw = pa.Array.from_buffers(
        pa.large_binary(), len(ends), [None, pa.py_buffer(offsets), pa.py_buffer(data)]
    )
    has_text = lengths > 0
    first_bytes = np.where(has_text, view[np.minimum(starts, len(view) - 1)], 0).astype(np.uint8)
    last_bytes = np.where(has_text, view[np.maximum(ends - 1, 0)], 0).astype(np.uint8)
    try:
        text = raw.cast(pa.large_string())
    except pa.ArrowInvalid:
        invalid = _invalid_utf8(raw, 0, len(raw))
        return Lines(
            _decoded(raw, invalid),
            starts,
            lengths,
            first_line,
            np.array(invalid, dtype=np.int64) + first_line,
            first_bytes,
            last_bytes,
        )
    return Lines(text, starts, lengths, first_line, empty, first_bytes, last_bytes)


def _invalid_utf8(raw: pa.Array, start: int, length: int) -> list[int]:
    """Rare: positions of the lines that are not UTF-8 (an export cut inside a character).
    Halving the run whose validation fails finds them with a few vectorized checks, however
    long the chunk, instead of decoding every line in Python."""
    try:
        raw.slice(start, length).cast(pa.large_string())
        return []
    except pa.ArrowInvalid:
        if length == 1:
            return [start]
    half = length // 2
    return _invalid_utf8(raw, start, half) + _invalid_utf8(raw, start + half, length - half)


def _decoded(raw: pa.Array, invalid: list[int]) -> pa.Array:
    """The lines as text, the invalid ones decoded with U+FFFD in place of their bad bytes."""
    pieces: list[pa.Array] = []
    start = 0
    for index in invalid:
        pieces.append(raw.slice(start, index - start).cast(pa.large_string()))
        pieces.append(pa.array([raw[index].as_py().decode("utf-8", "replace")], pa.large_string()))
        start = index + 1
    pieces.append(raw.slice(start).cast(pa.large_string()))
    return pa.concat_arrays(pieces)


def blank_out(data: Bytes, lines: Lines, line_numbers: np.ndarray) -> Bytes:
    """The file with the given lines overwritten by newlines: parsers skip them as empty lines
    while every other line keeps its place. One copy, only when there is something to blank."""
    if len(line_numbers) == 0:
        return data
    buffer = np.frombuffer(data, dtype=np.uint8).copy()
    for index in (np.asarray(line_numbers) - lines.first_line).tolist():
        start, length = int(lines.starts[index]), int(lines.lengths[index])
        buffer[start : start + length] = NEWLINE
    return memoryview(buffer)
