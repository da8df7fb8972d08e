"""dbt models as Dagster assets, dbt tests as their asset checks.

dbt sources are named like the raw datasets (`raw_<system>`, one table per export type), so the
default dagster-dbt keys of sources (`[raw_hubspot, contacts]`) are exactly the keys of the
ingestion assets and the graph joins by naming alone. Tests with `severity: error` fail the build
step, so nothing downstream (activation, the serving copy) runs on data that failed its tests.
"""

import sys
from collections.abc import Iterator, Mapping
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

from orchestration import settings
from orchestration.instance import WAREHOUSE_POOL

SEGMENT_TAG = "segment"
"""dbt tag of every segment model (compiled from YAML or written by an analyst)."""

DAGSTER_TARGET = Path("target") / "dagster"
"""Dagster's own dbt target folder, so its parses never race the plain `dbt` runner's."""


DAGSTER_SPARK_TARGET = Path("target") / "dagster-spark"
"""On the Spark engine: dbt target `spark`, with a manifest of its own (Python models are off)."""


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


def dbt_resource(project: DbtProject) -> DbtCliResource:
    return DbtCliResource(project_dir=project, dbt_executable=dbt_executable())


def prepare_manifest(project: DbtProject, refresh: bool = False) -> Path:
    """Make sure a manifest exists; with `refresh` (and always under `dagster dev`) also compile
    segment specs into dbt models and re-parse if any project file changed since the last parse.

    Concurrent preparers (parallel test workers, a code server reload) wait for each other.
    """
    refresh = refresh or project.preparer.using_dagster_dev()
    if refresh:
        from activation.segments import compile_project

        compile_project(Path(project.project_dir))
    if not project.manifest_path.exists() or (refresh and _manifest_is_stale(project)):
        run_with_concurrent_update_guard(project.manifest_path, _parse, project=project)
    return project.manifest_path


PROJECT_FILE_SUFFIXES = {".sql", ".yml", ".yaml", ".py", ".csv", ".md"}
NOT_PROJECT_FILES = {"target", "dbt_packages", "logs"}


def _manifest_is_stale(project: DbtProject) -> bool:
    """Re-parsing costs seconds on every run; skip it when no model, macro, seed or YAML changed."""
    parsed_at = project.manifest_path.stat().st_mtime_ns
    root = Path(project.project_dir)
    for path in root.rglob("*"):
        if NOT_PROJECT_FILES & set(path.relative_to(root).parts):
            continue
        if path.suffix in PROJECT_FILE_SUFFIXES and path.stat().st_mtime_ns > parsed_at:
            return True
    return False


def _parse(project: DbtProject) -> None:
    dbt = dbt_resource(project)
    if (Path(project.project_dir) / "packages.yml").exists():
        dbt.cli(["deps", "--quiet"], target_path=project.target_path).wait()
    dbt.cli(["parse", "--quiet"], target_path=project.target_path).wait()


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
        yield from dbt.cli(["build"], context=context).stream()
        if settings.engine() == "spark":
            from orchestration.spark import publish_marts

            tables = publish_marts(settings.spark_dir(), settings.warehouse_path())
            context.log.info(f"published {len(tables)} Spark-built marts into the warehouse")

    return dg.Definitions(
        assets=[dbt_build],
        resources={"dbt": dbt_resource(project)},
    )
