"""The dbt project as Dagster prepares it: parsed once, re-parsed only after a change, and that
parse handed to every dbt invocation so none starts by parsing the whole project again."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from dagster_dbt import DbtCliResource, DbtProject

from orchestration import settings
from orchestration.defs.transform import (
    PARTIAL_PARSE,
    dbt_resource,
    invocation_target,
    prepare_manifest,
    profile_fingerprint,
    project_changed_since,
)


def _project(root: Path) -> Path:
    (root / "models").mkdir(parents=True)
    (root / "models" / "customers.sql").write_text("select 1 as id")
    (root / "target" / "dagster").mkdir(parents=True)
    return root


def _touch_later(path: Path, instant_ns: int) -> None:
    path.write_text(path.read_text() if path.exists() else "")
    os.utime(path, ns=(instant_ns + 1_000_000, instant_ns + 1_000_000))


def test_only_a_project_file_changed_after_the_parse_makes_it_stale(tmp_path: Path) -> None:
    project = _project(tmp_path)
    parsed_at = time.time_ns()
    assert not project_changed_since(project, parsed_at)

    for artifact in ("target/dbt_build-1/compiled/x.sql", "logs/dbt.log", "models/notes.txt"):
        (project / artifact).parent.mkdir(parents=True, exist_ok=True)
        _touch_later(project / artifact, parsed_at)
    assert not project_changed_since(project, parsed_at)

    _touch_later(project / "models" / "customers.sql", parsed_at)
    assert project_changed_since(project, parsed_at)


def test_the_parse_is_redone_for_another_warehouse_but_not_for_unrelated_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """dbt rejects a partial parse made under a profile that rendered differently."""
    project = settings.dbt_project_dir()
    monkeypatch.setenv("CDP_WAREHOUSE", str(tmp_path / "a.duckdb"))
    parsed_for = profile_fingerprint(project)

    monkeypatch.setenv("CDP_LANDING", str(tmp_path / "elsewhere"))
    assert profile_fingerprint(project) == parsed_for
    monkeypatch.setenv("CDP_DUCKDB_MEMORY_LIMIT", "3GB")
    assert profile_fingerprint(project) != parsed_for
    monkeypatch.setenv("CDP_WAREHOUSE", str(tmp_path / "b.duckdb"))
    assert profile_fingerprint(project) != parsed_for


def test_each_invocation_gets_a_fresh_folder_seeded_with_the_prepared_parse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DBT_TARGET_PATH", raising=False)
    project = _project(tmp_path)
    prepared = project / "target" / "dagster"
    (prepared / PARTIAL_PARSE).write_bytes(b"parsed project")

    first = invocation_target(project, prepared, "dbt_build-abc1234")
    second = invocation_target(project, prepared, "dbt_build-abc1234")

    assert first != second
    assert first.parent == second.parent == project / "target"
    assert first.name.startswith("dbt_build-abc1234-")
    assert (first / PARTIAL_PARSE).read_bytes() == b"parsed project"


def test_invocation_folders_follow_dbt_target_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The benchmarks point DBT_TARGET_PATH at their own folder and read the build's results
    there; with nothing prepared yet, dbt simply parses from scratch."""
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "artifacts"))
    project = _project(tmp_path / "project")

    target = invocation_target(project, project / "target" / "dagster", "dbt_build-abc1234")

    assert target.parent == tmp_path / "artifacts"
    assert list(target.iterdir()) == []


@pytest.mark.slow
def test_dbt_accepts_the_prepared_parse_in_an_invocation_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the seeding is for: dbt run in a fresh folder skips parsing the project."""
    monkeypatch.setenv("CDP_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "artifacts"))
    project = DbtProject(project_dir=settings.dbt_project_dir(), target_path=tmp_path / "prepared")
    prepare_manifest(project)

    target = invocation_target(Path(project.project_dir), tmp_path / "prepared", "dbt_ls-test")
    dbt_resource(project).cli(["ls", "--quiet"], target_path=target).wait()

    log = (target / "dbt.log").read_text()
    assert "Partial parsing enabled" in log
    assert "Unable to do partial parsing" not in log


def test_the_spill_folder_is_set_when_the_database_opens_not_on_every_cursor() -> None:
    """dbt-duckdb runs each `settings` entry again on every new cursor, and DuckDB refuses
    `SET temp_directory` once it has spilled: a build that spilled failed on its next model."""
    profile = yaml.safe_load((settings.dbt_project_dir() / "profiles.yml").read_text())
    duckdb_output = profile["open_cdp"]["outputs"]["duckdb"]
    assert "temp_directory" in duckdb_output["config_options"]
    assert "temp_directory" not in duckdb_output["settings"]
    assert "memory_limit" in duckdb_output["settings"]


def test_the_dbt_version_dagster_checks_is_the_installed_one_without_starting_dbt(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """dagster-dbt asks every invocation's resource which dbt it runs (Core or Fusion); the
    answer must be the real version of the `dbt` it runs, read without a second dbt start-up."""
    assert "_cli_version" in vars(DbtCliResource), "dagster-dbt reads the version elsewhere now"
    resource = dbt_resource(DbtProject(project_dir=settings.dbt_project_dir()))
    reported = subprocess.run(
        [resource.dbt_executable, "--version"], capture_output=True, text=True, check=True
    ).stdout

    def no_subprocess(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"dbt was started to read its version: {args}")

    monkeypatch.setattr("dagster_dbt.core.resource.check_output", no_subprocess)
    assert f"installed: {resource._cli_version}" in reported


def test_no_dbt_adapter_is_opened_in_dagsters_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """dagster-dbt would load the profile, the project and dbt's macros into this process before
    every invocation, only to fetch row counts or column metadata these assets never ask for."""
    assert "_initialize_dbt_core_adapter" in vars(DbtCliResource), "dagster-dbt changed the hook"
    started: dict[str, object] = {}
    registered: list[object] = []
    monkeypatch.setattr(
        "dagster_dbt.core.resource.DbtCliInvocation.run", lambda **kwargs: started.update(kwargs)
    )
    monkeypatch.setattr(
        "dbt.adapters.factory.register_adapter", lambda *args, **kwargs: registered.append(args)
    )
    dbt_resource(DbtProject(project_dir=settings.dbt_project_dir())).cli(["ls"])
    assert started["args"][-1] == "ls"
    assert started["adapter"] is None
    assert registered == []
