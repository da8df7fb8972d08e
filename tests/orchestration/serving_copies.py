"""What the serving tests compare about the published copies."""

from __future__ import annotations

from pathlib import Path


def published_inodes(folder: Path) -> dict[str, int]:
    """The published copies in `folder`, by name: swapping one in changes its inode."""
    return {copy.name: copy.stat().st_ino for copy in folder.glob("serving*.duckdb")}
