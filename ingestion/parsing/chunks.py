"""A file as runs of whole lines, so memory stays bounded however large the export is."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

CHUNK_BYTES = 64 << 20


def line_chunks(path: Path, chunk_bytes: int = CHUNK_BYTES) -> Iterator[tuple[int, memoryview]]:
    """(number of the chunk's first line, bytes of whole lines), in file order.

    Each chunk is a view of the block as read, cut after its last newline; the partial line
    after the cut is read again as the start of the next block, so no chunk is copied.
    """
    first_line = 1
    with path.open("rb") as handle:
        size = chunk_bytes
        while block := handle.read(size):
            cut = block.rfind(b"\n") + 1
            if cut == 0 and len(block) == size:
                handle.seek(-len(block), 1)
                size *= 2
                continue
            if cut == 0 or handle.peek(1) == b"":
                cut = len(block)
            else:
                handle.seek(cut - len(block), 1)
            size = chunk_bytes
            yield first_line, memoryview(block)[:cut]
            first_line += _newlines(block, cut)


def _newlines(block: bytes, end: int) -> int:
    """Newlines in `block[:end]`, counted by numpy, which lets go of the GIL while it scans (the
    file is read on the caller's thread while workers parse the chunks before)."""
    return int(np.count_nonzero(np.frombuffer(block, dtype=np.uint8, count=end) == ord("\n")))
