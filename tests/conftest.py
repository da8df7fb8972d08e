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


SAMPLE_AS_OF = "2026-11-02"
"""dbt `as_of` for the built sample: the day after its last delivery, so relative windows
("last 30 days") see the sample's recent activity whatever today's date is."""


@pytest.fixture(scope="session")
def built_warehouse(
    build_once: Callable[[str, Callable[[Path], None]], Path], sample_exports: Path
) -> Path:
    """The S sample loaded by the ingestion pipelines and built by `dbt build` (every model and
    test, unit tests included). Returns the warehouse file. Treat as read-only: copy it first."""
    from ingestion.pipelines import load_all
    from orchestration.dbt_runner import run_dbt

    def _build(out: Path) -> None:
        warehouse = out / "cdp.duckdb"
        load_all(sample_exports / "landing", warehouse)
        run_dbt(
            ["build"], warehouse, target_dir=out / "dbt_target", dbt_vars={"as_of": SAMPLE_AS_OF}
        ).raise_on_failure()

    return build_once("built_warehouse", _build) / "cdp.duckdb"


@pytest.fixture
def warehouse_copy(built_warehouse: Path, tmp_path: Path) -> Path:
    """A private, writable copy of the built sample warehouse, for tests that change it."""
    copy = tmp_path / "cdp.duckdb"
    shutil.copy(built_warehouse, copy)
    return copy
