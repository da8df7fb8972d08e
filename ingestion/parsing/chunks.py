"""A file as runs of whole lines, so memory stays bounded however large the export is."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

CHUNK_BYTES = 64 << 20
KEPT_BUFFERS = 4
"""Read buffers kept for reuse: the chunks being parsed (`ingestion.reading.IN_FLIGHT`), the one
the caller holds and the one being read."""


def line_chunks(path: Path, chunk_bytes: int = CHUNK_BYTES) -> Iterator[tuple[int, memoryview]]:
    """(number of the chunk's first line, bytes of whole lines), in file order.

    Each chunk is a view of the block as read, cut after its last newline; the partial line
    after the cut is read again as the start of the next block, so no chunk is copied. Blocks are
    read into buffers used again once their chunk is parsed (`_Buffers`).
    """
    buffers = _Buffers()
    first_line = 1
    with path.open("rb") as handle:
        size = chunk_bytes
        remaining = os.fstat(handle.fileno()).st_size
        while remaining > 0:
            buffer = buffers.take(min(size, remaining))
            count = handle.readinto(buffer)
            if count == 0:
                return
            cut = buffer.rfind(b"\n", 0, count) + 1
            if cut == 0 and count == size:
                handle.seek(-count, 1)
                size *= 2
                continue
            if cut == 0 or count == remaining:
                cut = count
            else:
                handle.seek(cut - count, 1)
            remaining -= cut
            size = chunk_bytes
            yield first_line, memoryview(buffer)[:cut]
            first_line += buffer.count(b"\n", 0, cut)


class _Buffers:
    """Read buffers handed out again once nothing outside refers to them; a block shorter than a
    chunk (a small file, a file's end) gets a buffer of its own size, since a new buffer is
    zero-filled whole.

    Reading each block into fresh memory cost a page fault per 4 KB page: 1.9 s of CPU to read
    the 1.9 GB mailchimp activity file against 0.5 s into a buffer used again. A chunk's parse
    may keep views of its buffer (Arrow arrays built without a copy, numpy arrays over it); each
    view holds a reference to the buffer, so a buffer with references beyond this pool's is never
    overwritten, and the pool keeps only the last `KEPT_BUFFERS`, so one held for long is left to
    its holders, not kept here.
    """

    def __init__(self) -> None:
        self._kept: list[bytearray] = []

    def take(self, size: int) -> bytearray:
        for buffer in self._kept:
            if len(buffer) == size and sys.getrefcount(buffer) == _UNSHARED:
                return buffer
        buffer = bytearray(size)
        self._kept = [*self._kept[-(KEPT_BUFFERS - 1) :], buffer]
        return buffer


def _references_when_unshared() -> int:
    """What `_Buffers.take` counts for a buffer only the pool holds: measured on one held the
    same way (a list, a loop's name, getrefcount's argument), since how many of those references
    the interpreter counts differs between Python versions."""
    kept = [bytearray()]
    for buffer in kept:
        references = sys.getrefcount(buffer)
    return references


_UNSHARED = _references_when_unshared()
