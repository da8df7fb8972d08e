"""Notice export files landing in `data/landing/<system>/`, for the sensor that starts ingestion.

The sensor's cursor is the set of files it has already handed to a run, each with its mtime, so a
re-delivered file under the same name (new mtime) counts as new, and a file still being written
(mtime within the settle window) waits for a later tick instead of being loaded half-written.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

PARTIAL_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload")


@dataclass(frozen=True)
class LandingChange:
    """Files that are new or changed since the cursor, and the cursor that includes them."""

    files: dict[str, int]
    cursor: dict[str, int]

    @property
    def systems(self) -> list[str]:
        return sorted({name.split("/", 1)[0] for name in self.files})

    @property
    def run_key(self) -> str:
        """The same file set always gives the same key, so Dagster never starts it twice."""
        listing = "\n".join(f"{name}@{mtime}" for name, mtime in sorted(self.files.items()))
        return "landing-" + hashlib.sha256(listing.encode()).hexdigest()[:16]


def scan_landing(landing: Path) -> dict[str, int]:
    """Every complete-looking export file under `landing`, as `<system>/<file>` -> mtime (ns)."""
    if not landing.is_dir():
        return {}
    found: dict[str, int] = {}
    for path in landing.glob("*/**/*"):
        if not path.is_file():
            continue
        relative = path.relative_to(landing)
        if any(part.startswith(".") for part in relative.parts):
            continue
        if path.name.endswith(PARTIAL_SUFFIXES):
            continue
        found[relative.as_posix()] = path.stat().st_mtime_ns
    return found


def detect_change(
    landing: Path, cursor: str | None, now_ns: int, settle_seconds: float
) -> LandingChange | None:
    """What landed since `cursor` and has not been touched for `settle_seconds`, if anything."""
    seen: dict[str, int] = json.loads(cursor) if cursor else {}
    settled_before = now_ns - int(settle_seconds * 1e9)
    fresh = {
        name: mtime
        for name, mtime in scan_landing(landing).items()
        if seen.get(name) != mtime and mtime <= settled_before
    }
    if not fresh:
        return None
    return LandingChange(files=fresh, cursor={**seen, **fresh})


def encode_cursor(cursor: dict[str, int]) -> str:
    return json.dumps(cursor, sort_keys=True, separators=(",", ":"))
