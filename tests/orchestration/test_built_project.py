from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from orchestration.built_project import (
    needs_full_refresh,
    project_fingerprint,
    record_build,
    stamp_path,
)

DBT_PROJECT = Path(__file__).parents[2] / "dbt_project"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    copy = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT, copy, ignore=shutil.ignore_patterns("target", "logs"))
    return copy


def test_touching_files_without_changing_them_keeps_the_fingerprint(project: Path) -> None:
    before = project_fingerprint(project)
    for path in project.rglob("*.sql"):
        os.utime(path)
    assert project_fingerprint(project) == before


def test_a_changed_macro_changes_the_fingerprint(project: Path) -> None:
    before = project_fingerprint(project)
    macro = project / "macros" / "normalization" / "phone.sql"
    macro.write_text(macro.read_text() + "\n")
    assert project_fingerprint(project) != before


def test_compiled_artifacts_and_documentation_do_not_count(project: Path) -> None:
    before = project_fingerprint(project)
    (project / "target").mkdir()
    (project / "target" / "compiled.sql").write_text("select 1")
    (project / "models" / "notes.md").write_text("# notes")
    assert project_fingerprint(project) == before


def test_a_warehouse_built_by_the_same_project_builds_incrementally(tmp_path: Path) -> None:
    warehouse = tmp_path / "cdp.duckdb"
    warehouse.write_bytes(b"")
    record_build(warehouse, "abc")
    assert not needs_full_refresh(warehouse, "abc")


def test_a_warehouse_built_by_other_code_is_refreshed(tmp_path: Path) -> None:
    warehouse = tmp_path / "cdp.duckdb"
    warehouse.write_bytes(b"")
    record_build(warehouse, "abc")
    assert needs_full_refresh(warehouse, "def")


def test_a_warehouse_of_unknown_build_is_refreshed_and_an_absent_one_is_not(
    tmp_path: Path,
) -> None:
    warehouse = tmp_path / "cdp.duckdb"
    assert not needs_full_refresh(warehouse, "abc")
    warehouse.write_bytes(b"")
    assert needs_full_refresh(warehouse, "abc")
    assert not stamp_path(warehouse).exists()
