"""Finding export files in `landing/<system>/`, recognising their type and checking headers.

Every file of a run is checked before anything loads, so a wrong file stops the run with the
warehouse untouched.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingestion.errors import MissingColumnsError, UnknownExportError
from ingestion.exports import ExportSpec, FileFormat, exports_of, snake_case
from ingestion.parsing.csv_file import read_header
from ingestion.parsing.jsonl_file import read_first_object

Stamp = tuple[str, int, int]
"""A file as the file system describes it: `source_file`, size in bytes, modified time in ns."""


@dataclass(frozen=True)
class LandingFile:
    """`source_file` is relative to the landing folder: `hubspot/contacts_20261101.csv`."""

    path: Path
    source_file: str
    spec: ExportSpec
    sha256: str
    size: int
    modified_ns: int


@dataclass(frozen=True)
class LoadedFiles:
    """What a system's file ledger (`raw_<system>._files`) holds: the contents already loaded,
    and the stamp each loaded file had, so `discover_all` need not hash it again."""

    contents: frozenset[str] = frozenset()
    stamps: Mapping[Stamp, str] = field(default_factory=dict)

    @classmethod
    def of(cls, ledger_rows: Iterable[Mapping[str, Any]]) -> LoadedFiles:
        """From ledger rows; rows written before stamps were recorded only give contents."""
        rows = list(ledger_rows)
        return cls(
            frozenset(row["sha256"] for row in rows),
            {
                (row["source_file"], row["file_size"], row["file_modified_ns"]): row["sha256"]
                for row in rows
                if row.get("file_size") is not None and row.get("file_modified_ns") is not None
            },
        )


def file_pattern(system: str) -> re.Pattern[str]:
    types = "|".join(
        sorted((spec.export_type for spec in exports_of(system)), key=len, reverse=True)
    )
    return re.compile(
        rf"^(?P<export_type>{types})_(?P<stamp>\d{{8}})(?:_(?P<suffix>[a-z0-9_]+))?"
        r"\.(?P<ext>csv|jsonl)$"
    )


HASHING_THREADS = 2
"""Files hashed at once: hashlib lets go of the GIL while it hashes, so two use both cores."""


@dataclass(frozen=True)
class _Found:
    """A recognised file whose header passed, before its content hash is known."""

    path: Path
    source_file: str
    spec: ExportSpec
    stamp: Stamp


def discover_all(
    landing_dir: Path, loaded: Mapping[str, LoadedFiles]
) -> dict[str, list[LandingFile]]:
    """The files of each system of `loaded` in delivery order (file name order), each
    recognised and its header checked, every system's before any file is hashed: a wrong file
    fails the run at once, naming it.

    A file whose stamp (name, size, modified time) is among the system's `loaded` files takes
    its content hash from the file ledger instead of being read whole again: the landing folder
    keeps every past delivery (3 GB at M), and hashing it all again was most of an incremental
    run's ingestion. A file rewritten in place gets a new modified time, so it is hashed and, if
    its bytes changed, loaded (the trust `make` and `rsync` put in a file's size and time). The
    new files are hashed `HASHING_THREADS` at a time (a full refresh at M hashes 3 GB: 2.8 s on
    one core)."""
    found = {system: _recognised(landing_dir, system) for system in loaded}
    to_hash = [
        file.path
        for system, files in found.items()
        for file in files
        if file.stamp not in loaded[system].stamps
    ]
    with ThreadPoolExecutor(HASHING_THREADS, thread_name_prefix="cdp-hash") as hashing:
        hashes = dict(zip(to_hash, hashing.map(sha256_of, to_hash), strict=True))
    return {
        system: [
            LandingFile(
                file.path,
                file.source_file,
                file.spec,
                loaded[system].stamps.get(file.stamp) or hashes[file.path],
                file.stamp[1],
                file.stamp[2],
            )
            for file in files
        ]
        for system, files in found.items()
    }


def _recognised(landing_dir: Path, system: str) -> list[_Found]:
    folder = landing_dir / system
    if not folder.is_dir():
        return []
    pattern = file_pattern(system)
    specs = {spec.export_type: spec for spec in exports_of(system)}
    found: list[_Found] = []
    for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
        source_file = f"{system}/{path.name}"
        match = pattern.match(path.name)
        spec = specs.get(match["export_type"]) if match else None
        if spec is None or match is None or match["ext"] != spec.file_format.value:
            raise UnknownExportError(source_file, sorted(specs))
        check_header(path, source_file, spec)
        stat = path.stat()
        found.append(_Found(path, source_file, spec, (source_file, stat.st_size, stat.st_mtime_ns)))
    return found


def first_of_each_content(files: list[LandingFile]) -> list[LandingFile]:
    """Two files with the same bytes in one delivery are one file (the first by name)."""
    seen: set[str] = set()
    unique: list[LandingFile] = []
    for file in files:
        if file.sha256 not in seen:
            seen.add(file.sha256)
            unique.append(file)
    return unique


def check_header(path: Path, source_file: str, spec: ExportSpec) -> None:
    """Raise naming the file and the missing columns; an empty file has nothing to check."""
    with path.open("rb") as handle:
        head = handle.read(1 << 16)
    if not head.strip():
        return
    if spec.file_format is FileFormat.CSV:
        columns = {snake_case(name) for name in read_header(head)}
        if len(columns) == 1 and "" in columns:
            return
    else:
        first = read_first_object(head)
        if first is None:
            return
        columns = {snake_case(name) for name in first}
    missing = [name for name in spec.required if name not in columns]
    if missing:
        raise MissingColumnsError(source_file, spec.export_type, missing)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()
