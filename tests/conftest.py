"""Fixtures shared across the suite.

Expensive artifacts (the sample exports, a fully built warehouse) are built once per test session,
even under pytest-xdist: the first worker builds under a file lock, the others reuse the result.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from filelock import FileLock

SAMPLE_PEOPLE = 1000
SAMPLE_SEED = 7
SAMPLE_END_DATE = date(2026, 11, 1)


@pytest.fixture(scope="session")
def shared_dir(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """A folder all xdist workers of this session see."""
    base = tmp_path_factory.getbasetemp()
    return base if worker_id == "master" else base.parent


@pytest.fixture(scope="session")
def build_once(shared_dir: Path) -> Callable[[str, Callable[[Path], None]], Path]:
    """Build an artifact folder once per session; later callers get the finished folder."""

    def _build(name: str, builder: Callable[[Path], None]) -> Path:
        target = shared_dir / name
        done = shared_dir / f"{name}.done"
        with FileLock(str(shared_dir / f"{name}.lock")):
            if not done.exists():
                shutil.rmtree(target, ignore_errors=True)
                target.mkdir(parents=True)
                builder(target)
                done.touch()
        return target

    return _build


@pytest.fixture(scope="session")
def sample_exports(build_once: Callable[[str, Callable[[Path], None]], Path]) -> Path:
    """The S sample (landing/ and truth/) as `cdp generate` writes it. Treat as read-only."""
    from ingestion.generate import generate

    def _generate(out: Path) -> None:
        generate(out, people=SAMPLE_PEOPLE, seed=SAMPLE_SEED, end_date=SAMPLE_END_DATE)

    return build_once("sample_exports", _generate)


@pytest.fixture
def landing_copy(sample_exports: Path, tmp_path: Path) -> Path:
    """A private, writable copy of the sample landing folder."""
    target = tmp_path / "landing"
    shutil.copytree(sample_exports / "landing", target)
    return target
