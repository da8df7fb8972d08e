"""dbt models as Dagster assets, dbt tests as their asset checks.

dbt sources are named like the raw datasets (`raw_<system>`, one table per export type), so the
default dagster-dbt keys of sources (`[raw_hubspot, contacts]`) are exactly the keys of the
ingestion assets and the graph joins by naming alone. Tests with `severity: error` fail the build
step, so nothing downstream (activation, the serving copy) runs on data that failed its tests.
"""

import hashlib
import importlib.metadata
import os
import re
import shutil
import sys
import uuid
from collections.abc import Iterator, Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import dagster as dg
from dagster import AssetExecutionContext
from dagster._utils import run_with_concurrent_update_guard
from dagster_dbt import (
    DagsterDbtTranslator,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)
from packaging import version

from orchestration import settings
from orchestration.built_project import (
    needs_full_refresh,
    project_files,
    project_fingerprint,
    record_build,
)
from orchestration.instance import WAREHOUSE_POOL

SEGMENT_TAG = "segment"
"""dbt tag of every segment model (compiled from YAML or written by an analyst)."""

DAGSTER_TARGET = Path("target") / "dagster"
"""Dagster's own dbt target folder, so its parses never race the plain `dbt` runner's."""


DAGSTER_SPARK_TARGET = Path("target") / "dagster-spark"
"""On the Spark engine: dbt target `spark`, with a manifest of its own (Python models are off)."""

PRODUCTION_BUILD = ["build", "--exclude-resource-type", "unit_test", "--log-level-file", "none"]
"""dbt unit tests check model logic on fixed inputs, so their verdict does not depend on the day's
data: they run in CI (tests/dbt_project/test_unit_tests.py), as dbt Labs recommends, not in every
build of the warehouse, where they cost 2.2-2.7 s at M.

No `dbt.log`: dbt formats every event (about 5,600 per build, 90% of them debug lines: each SQL
statement, connection and cache step) as JSON once per log it keeps, whatever that log's level,
and the file log took 2-3 s of each build. What a failure needs is kept: dbt's info events, errors
included, reach Dagster on stdout, and every node's compiled SQL and result stay in the target
folder (`run/`, `run_results.json`)."""


def cdp_dbt_project() -> DbtProject:
    if settings.engine() == "spark":
        return DbtProject(
            project_dir=settings.dbt_project_dir(), target_path=DAGSTER_SPARK_TARGET, target="spark"
        )
    return DbtProject(
        project_dir=settings.dbt_project_dir(),
        target_path=DAGSTER_TARGET,
    )


def dbt_executable() -> str:
    """The `dbt` next to this interpreter: `make` runs `.venv/bin/cdp` without the venv on PATH."""
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else "dbt"


class LocalDbtCliResource(DbtCliResource):
    """dagster-dbt prepares every invocation with work these assets do not need.

    It runs `dbt --version` to tell dbt Core from Fusion: a second Python start-up of dbt, 2.3 s
    on this machine, in every build. The `dbt` beside this interpreter runs the dbt-core package
    this interpreter has installed, so its version is that package's."""

    @cached_property
    def _cli_version(self) -> version.Version:
        if Path(self.dbt_executable) == Path(sys.executable).with_name("dbt"):
            return version.parse(importlib.metadata.version("dbt-core"))
        return super()._cli_version

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:
        """Before each invocation dagster-dbt also opens a dbt adapter in this process (profile,
        project and dbt's own macros loaded: 1.1-2 s, measured at S under load 4-5), used only to
        fetch row counts or column metadata after the build, which these assets never ask for.
        Without it the same dbt command runs and streams the same events."""
        return None


def dbt_resource(project: DbtProject) -> DbtCliResource:
    return LocalDbtCliResource(project_dir=project, dbt_executable=dbt_executable())


def prepare_manifest(project: DbtProject, refresh: bool = False) -> Path:
    """Make sure a manifest exists; with `refresh` (and always under `dagster dev`) also compile
    segment specs into dbt models and re-parse if any project file, or the environment the
    profile reads, changed since the last parse.

    Concurrent preparers (parallel test workers, a code server reload) wait for each other.
    """
    refresh = refresh or project.preparer.using_dagster_dev()
    if refresh:
        from activation.segments import compile_project

        compile_project(Path(project.project_dir))
    if not project.manifest_path.exists() or (refresh and _manifest_is_stale(project)):
        run_with_concurrent_update_guard(project.manifest_path, _parse, project=project)
    return project.manifest_path


PARTIAL_PARSE = "partial_parse.msgpack"
PARSED_FOR = "parsed_for_profile.sha256"
"""Beside the manifest: which rendering of the profile the prepared parse was made with."""


def _manifest_is_stale(project: DbtProject) -> bool:
    """Re-parsing costs seconds on every run; skip it when no model, macro, seed or YAML changed
    and the profile renders as it did. dbt discards a partial parse made under another profile
    (another warehouse path, memory limit), so the parse handed to the build must match it."""
    stamp = project.manifest_path.with_name(PARSED_FOR)
    if not stamp.exists() or stamp.read_text() != profile_fingerprint(Path(project.project_dir)):
        return True
    parsed_at = project.manifest_path.stat().st_mtime_ns
    return project_changed_since(Path(project.project_dir), parsed_at)


def profile_fingerprint(project_dir: Path) -> str:
    """The environment variables `profiles.yml` reads, with their current values."""
    names = sorted(
        set(re.findall(r"env_var\(\s*['\"](\w+)['\"]", (project_dir / "profiles.yml").read_text()))
    )
    rendered = "\n".join(f"{name}={os.environ.get(name, '')}" for name in names)
    return hashlib.sha256(rendered.encode()).hexdigest()


def project_changed_since(project_dir: Path, instant_ns: int) -> bool:
    """Whether a project file was modified after `instant_ns`."""
    return any(path.stat().st_mtime_ns > instant_ns for path in project_files(project_dir))


def invocation_target(project_dir: Path, prepared_in: Path, name: str) -> Path:
    """A fresh target folder for one dbt invocation, holding the prepared parse of the project.

    dagster-dbt gives every invocation a folder of its own (concurrent runs keep their artifacts
    apart) but seeds it only from `$DBT_TARGET_PATH` (default `target/`), never from the folder
    the manifest was prepared in (`prepared_in`), so each build parsed the whole project again
    (10 s of the build's start-up). With that parse's `partial_parse.msgpack` copied in, dbt
    re-reads only the files changed since. Folders are placed and named as dagster-dbt does
    (`<name>-<random>` under `$DBT_TARGET_PATH`), where the benchmarks find a build's results.
    """
    root = project_dir / os.environ.get("DBT_TARGET_PATH", "target")
    target = root / f"{name}-{uuid.uuid4().hex[:7]}"
    target.mkdir(parents=True)
    seed_parse(prepared_in, target)
    return target


def seed_parse(prepared_in: Path, target: Path) -> None:
    """Copy the prepared parse into `target`, so dbt run there parses only what changed since."""
    parsed = prepared_in / PARTIAL_PARSE
    if parsed.exists():
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(parsed, target / PARTIAL_PARSE)


def _parse(project: DbtProject) -> None:
    dbt = dbt_resource(project)
    if (Path(project.project_dir) / "packages.yml").exists():
        dbt.cli(["deps", "--quiet"], target_path=project.target_path).wait()
    fingerprint = profile_fingerprint(Path(project.project_dir))
    dbt.cli(["parse", "--quiet"], target_path=project.target_path).wait()
    project.manifest_path.with_name(PARSED_FOR).write_text(fingerprint)


class CdpDbtTranslator(DagsterDbtTranslator):
    """Groups models by their project folder (staging, intermediate, marts, segments); seeds are
    the `reference` lookups."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else "dbt"


def build_transform_defs(project: DbtProject) -> dg.Definitions:
    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        name="dbt_build",
        dagster_dbt_translator=CdpDbtTranslator(),
        pool=WAREHOUSE_POOL,
    )
    def dbt_build(context: AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
        target = invocation_target(
            Path(project.project_dir),
            project.manifest_path.parent,
            f"{context.op_def.name}-{context.run_id[:7]}",
        )
        # The stamp describes the DuckDB warehouse's models, which a Spark build does not write.
        on_duckdb = settings.engine() == "duckdb"
        fingerprint = project_fingerprint(Path(project.project_dir))
        warehouse = settings.warehouse_path()
        refresh = on_duckdb and needs_full_refresh(warehouse, fingerprint)
        if refresh:
            context.log.info(
                "the dbt project changed since this warehouse was last built: --full-refresh"
                " (models that keep history stay incremental)"
            )
        args = [*PRODUCTION_BUILD, "--full-refresh"] if refresh else PRODUCTION_BUILD
        yield from dbt.cli(args, context=context, target_path=target).stream()
        if on_duckdb and not context.is_subset:
            record_build(warehouse, fingerprint)
        if settings.engine() == "spark":
            from orchestration.spark import publish_marts

            tables = publish_marts(settings.spark_dir(), settings.warehouse_path())
            context.log.info(f"published {len(tables)} Spark-built marts into the warehouse")

    return dg.Definitions(
        assets=[dbt_build],
        resources={"dbt": dbt_resource(project)},
    )
