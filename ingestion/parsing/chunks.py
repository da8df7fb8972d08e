"""A file as runs of whole lines, so memory stays bounded however large the export is."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

CHUNK_BYTES = 64 << 20


def line_chunks(path: Path, chunk_bytes: int = CHUNK_BYTES) -> Iterator[tuple[int, bytes]]:
    """(number of the chunk's first line, bytes of whole lines), in file order."""
    first_line = 1
    carry = b""
    with path.open("rb") as handle:
        while block := handle.read(chunk_bytes):
            data = carry + block
            cut = data.rfind(b"\n") + 1
            if cut == 0:
                carry = data
                continue
            carry = data[cut:]
            yield first_line, data[:cut]
            first_line += data.count(b"\n", 0, cut)
    if carry:
        yield first_line, carry
