"""Which version of the dbt project built the warehouse, so changed code never meets stale rows.

Incremental models (staging, email events) keep what earlier runs computed. After their code
changes (a model, a normalization macro, a seed), those rows were computed by the old code; dbt
leaves the fix to a `--full-refresh` someone has to remember. Here the warehouse remembers the
fingerprint of the project files it was last built with, in a file beside it, and a build under
any other fingerprint (or with none recorded) is a `--full-refresh`. Models that keep history a
rebuild cannot recreate (stable customer ids, id changes, segment history, consent signals,
model fits) are marked `full_refresh: false`, so dbt keeps building them incrementally.

A content hash rather than modification times: a fresh clone or a branch switch touches every
file without changing what it says.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

PROJECT_FILE_SUFFIXES = {".sql", ".yml", ".yaml", ".py", ".csv", ".md"}
NOT_PROJECT_FOLDERS = {"target", "dbt_packages", "logs"}
DOCUMENTATION = ".md"


def project_files(project_dir: Path) -> Iterator[Path]:
    """Every file dbt reads as part of the project, in a stable order. The walk never enters
    `target/`, which keeps every run's compiled SQL and grows with the run history."""
    for folder, subfolders, files in os.walk(project_dir):
        subfolders[:] = sorted(name for name in subfolders if name not in NOT_PROJECT_FOLDERS)
        for name in sorted(files):
            path = Path(folder, name)
            if path.suffix in PROJECT_FILE_SUFFIXES:
                yield path


def project_fingerprint(project_dir: Path) -> str:
    """sha256 over every project file's path and content; documentation pages change no rows."""
    digest = hashlib.sha256()
    for path in project_files(project_dir):
        if path.suffix != DOCUMENTATION:
            digest.update(str(path.relative_to(project_dir)).encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def stamp_path(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".built_project")


def needs_full_refresh(warehouse: Path, fingerprint: str) -> bool:
    """Whether the warehouse holds models built by other code than `fingerprint` (or by code of
    unknown version). An empty warehouse needs no refresh: every model is built whole anyway."""
    if not warehouse.exists():
        return False
    stamp = stamp_path(warehouse)
    return not stamp.exists() or stamp.read_text() != fingerprint


def record_build(warehouse: Path, fingerprint: str) -> None:
    """After a successful build: the warehouse's models are those of `fingerprint`."""
    stamp = stamp_path(warehouse)
    partial = stamp.with_name(stamp.name + ".partial")
    partial.write_text(fingerprint)
    partial.replace(stamp)
