"""Notice export files landing in `data/landing/<system>/`, for the sensor that starts ingestion.

The sensor's cursor keeps two things:

- `seen`: every file it has handed to a run, each with its mtime, so a re-delivered file under the
  same name (new mtime) counts as new, and a file still being written (mtime within the settle
  window) waits for a later tick instead of being loaded half-written.
- `pending`: the files of every requested run that has not succeeded yet, under the run key they
  were requested with. Moving past files as soon as their run was requested lost them when that
  run failed, until someone re-delivered them; now a failed or canceled run's files are requested
  again under a new key, up to `MAX_ATTEMPTS` runs, and only then given up on (and logged).
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

PARTIAL_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload")
MAX_ATTEMPTS = 3
"""Runs a file set gets in all: a transient error gets two more chances, a bad file no more."""


class RunOutcome(enum.Enum):
    """Where the runs requested under one run key stand."""

    WAITING = "waiting"
    """Queued, running, or not launched yet."""
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    """Every run under the key failed or was canceled."""


@dataclass(frozen=True)
class LandingRequest:
    """Files handed to one run, and which attempt at loading them that run is (1 = the first)."""

    files: dict[str, int]
    attempt: int = 1

    @property
    def systems(self) -> list[str]:
        return sorted({name.split("/", 1)[0] for name in self.files})

    @property
    def run_key(self) -> str:
        """The same files and attempt always give the same key, so Dagster never starts it twice;
        a retry gets a key of its own because Dagster skips a key it has already run."""
        listing = "\n".join(f"{name}@{mtime}" for name, mtime in sorted(self.files.items()))
        key = "landing-" + hashlib.sha256(listing.encode()).hexdigest()[:16]
        return key if self.attempt == 1 else f"{key}-retry{self.attempt - 1}"


@dataclass(frozen=True)
class LandingCursor:
    """Files handed to a run (`seen`), and the requests whose run has not succeeded yet."""

    seen: dict[str, int] = field(default_factory=dict)
    pending: dict[str, LandingRequest] = field(default_factory=dict)

    @classmethod
    def decode(cls, cursor: str | None) -> LandingCursor:
        """Reads this format and the flat `{file: mtime}` one of deployments from before pending
        runs were kept (a file name always holds a `/`, so no file is called `seen`)."""
        if not cursor:
            return cls()
        data = json.loads(cursor)
        if "seen" not in data:
            return cls(seen=data)
        return cls(
            seen=data["seen"],
            pending={
                key: LandingRequest(files=entry["files"], attempt=entry["attempt"])
                for key, entry in data["pending"].items()
            },
        )

    def encode(self) -> str:
        pending = {
            key: {"files": request.files, "attempt": request.attempt}
            for key, request in self.pending.items()
        }
        return json.dumps(
            {"seen": self.seen, "pending": pending}, sort_keys=True, separators=(",", ":")
        )


@dataclass(frozen=True)
class LandingTick:
    """What one sensor tick requests, gives up on, and remembers."""

    fresh: LandingRequest | None
    """New or re-delivered files, settled."""
    retries: dict[str, LandingRequest]
    """Run key of a failed run -> the request that loads its files again."""
    abandoned: dict[str, LandingRequest]
    """Run key of a failed run -> its files, which had their `MAX_ATTEMPTS` runs."""
    cursor: LandingCursor

    @property
    def requests(self) -> list[LandingRequest]:
        return [*self.retries.values(), *([self.fresh] if self.fresh else [])]


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


def settled_changes(
    landing: Path, seen: Mapping[str, int], now_ns: int, settle_seconds: float
) -> dict[str, int]:
    """Files new or changed since `seen` that have not been touched for `settle_seconds`."""
    settled_before = now_ns - int(settle_seconds * 1e9)
    return {
        name: mtime
        for name, mtime in scan_landing(landing).items()
        if seen.get(name) != mtime and mtime <= settled_before
    }


def next_tick(
    landing: Path,
    cursor: LandingCursor,
    outcomes: Mapping[str, RunOutcome],
    now_ns: int,
    settle_seconds: float,
) -> LandingTick:
    """Request what landed since `cursor`, retry pending requests whose runs failed.

    `outcomes` maps pending run keys to their runs' outcome (a key it lacks is still waiting).
    A re-delivered file supersedes its pending version: the new request loads it, so the pending
    request keeps only its other files and is dropped when none are left. A retry keeps the files
    of the failed run apart from new ones, so each file set and attempt has one run key.
    """
    fresh = settled_changes(landing, cursor.seen, now_ns, settle_seconds)
    retries: dict[str, LandingRequest] = {}
    abandoned: dict[str, LandingRequest] = {}
    pending: dict[str, LandingRequest] = {}
    for key, request in cursor.pending.items():
        files = {name: mtime for name, mtime in request.files.items() if name not in fresh}
        if not files:
            continue
        outcome = outcomes.get(key, RunOutcome.WAITING)
        # A succeeded request is done and falls out of the cursor.
        if outcome is RunOutcome.WAITING:
            pending[key] = LandingRequest(files, request.attempt)
        elif outcome is RunOutcome.FAILED and request.attempt >= MAX_ATTEMPTS:
            abandoned[key] = LandingRequest(files, request.attempt)
        elif outcome is RunOutcome.FAILED:
            retry = LandingRequest(files, request.attempt + 1)
            retries[key] = retry
            pending[retry.run_key] = retry
    new = LandingRequest(fresh) if fresh else None
    if new is not None:
        pending[new.run_key] = new
    return LandingTick(
        fresh=new,
        retries=retries,
        abandoned=abandoned,
        cursor=LandingCursor(seen={**cursor.seen, **fresh}, pending=pending),
    )
