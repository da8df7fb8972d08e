"""Finding export files in `landing/<system>/`, recognising their type and checking headers.

Every file of a run is checked before anything loads, so a wrong file stops the run with the
warehouse untouched.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from ingestion.errors import MissingColumnsError, UnknownExportError
from ingestion.exports import ExportSpec, FileFormat, exports_of, snake_case
from ingestion.parsing.csv_file import read_header
from ingestion.parsing.jsonl_file import read_first_object


@dataclass(frozen=True)
class LandingFile:
    """`source_file` is relative to the landing folder: `hubspot/contacts_20261101.csv`."""

    path: Path
    source_file: str
    spec: ExportSpec
    sha256: str


def file_pattern(system: str) -> re.Pattern[str]:
    types = "|".join(
        sorted((spec.export_type for spec in exports_of(system)), key=len, reverse=True)
    )
    return re.compile(
        rf"^(?P<export_type>{types})_(?P<stamp>\d{{8}})(?:_(?P<suffix>[a-z0-9_]+))?"
        r"\.(?P<ext>csv|jsonl)$"
    )


def discover(landing_dir: Path, system: str) -> list[LandingFile]:
    """Files of one system in delivery order (file name order), each recognised and checked."""
    folder = landing_dir / system
    if not folder.is_dir():
        return []
    pattern = file_pattern(system)
    specs = {spec.export_type: spec for spec in exports_of(system)}
    found: list[LandingFile] = []
    for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
        source_file = f"{system}/{path.name}"
        match = pattern.match(path.name)
        spec = specs.get(match["export_type"]) if match else None
        if spec is None or match is None or match["ext"] != spec.file_format.value:
            raise UnknownExportError(source_file, sorted(specs))
        check_header(path, source_file, spec)
        found.append(LandingFile(path, source_file, spec, sha256_of(path)))
    return found


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
