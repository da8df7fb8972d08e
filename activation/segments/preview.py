"""Read-only looks at segments for people: what exists, how big it was at the last refresh, and
what a spec would select right now, without building, writing or sending anything.

A preview compiles the spec's current text (not the last generated model) through dbt itself, so
it sees exactly the SQL a refresh would run, then counts and samples it on a read-only connection.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from activation.segments.project import SegmentProject, load_project
from activation.segments.sql import render_segment_query

SAMPLE_COLUMNS = ("email", "first_name", "last_name", "country", "city", "lifecycle_stage")
_CONFIG_CALL = re.compile(r"\{\{\s*config\(.*?\)\s*\}\}", re.DOTALL)


class PreviewError(RuntimeError):
    """The preview could not run: unknown segment, no warehouse, or dbt could not compile it."""


@dataclass(frozen=True)
class SegmentStatus:
    name: str
    kind: str
    owner: str
    description: str
    members: int | None
    refreshed_at: datetime | None


@dataclass(frozen=True)
class Preview:
    name: str
    size: int
    sample: list[dict[str, Any]]
    sql: str


def _connect(warehouse: Path) -> duckdb.DuckDBPyConnection:
    if not warehouse.exists():
        raise PreviewError(f"no warehouse at {warehouse}: build it first (cdp run)")
    return duckdb.connect(str(warehouse), read_only=True)


def _latest_sizes(warehouse: Path) -> dict[str, tuple[int, datetime]]:
    if not warehouse.exists():
        return {}
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        found = connection.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'marts' and table_name = 'segment_sizes'"
        ).fetchone()
        if not found or not found[0]:
            return {}
        rows = connection.execute(
            "select segment, members, refreshed_at from marts.segment_sizes "
            "qualify row_number() over (partition by segment order by refreshed_at desc) = 1"
        ).fetchall()
    return {segment: (members, refreshed) for segment, members, refreshed in rows}


def segment_statuses(project_dir: Path, warehouse: Path) -> list[SegmentStatus]:
    """Every defined segment with its size and time at the last refresh (None if never built)."""
    project = load_project(project_dir)
    sizes = _latest_sizes(warehouse)
    entries = [(spec.name, "spec", spec.owner, spec.description) for spec in project.specs] + [
        (model.name, "model", model.owner, model.description) for model in project.models
    ]
    return [
        SegmentStatus(name, kind, owner, description, *sizes.get(name, (None, None)))
        for name, kind, owner, description in sorted(entries)
    ]


def _segment_query(project: SegmentProject, name: str) -> str:
    for spec in project.specs:
        if spec.name == name:
            return render_segment_query(spec)
    for model in project.models:
        if model.name == name:
            return _CONFIG_CALL.sub("", model.file.read_text())
    raise PreviewError(f"unknown segment '{name}' (segments: {', '.join(project.names)})")


def _dbt_executable() -> str:
    beside_python = Path(sys.executable).parent / "dbt"
    return str(beside_python) if beside_python.exists() else shutil.which("dbt") or "dbt"


def compile_inline(project_dir: Path, warehouse: Path, sql: str, as_of: str | None) -> str:
    """Compile dbt Jinja SQL in the project's context without touching the project's target/."""
    with tempfile.TemporaryDirectory(prefix="cdp-segment-preview-") as scratch:
        command = [
            _dbt_executable(),
            "compile",
            "--inline",
            sql,
            "--project-dir",
            str(project_dir),
            "--profiles-dir",
            str(project_dir),
            "--target-path",
            str(Path(scratch) / "target"),
            "--log-path",
            str(Path(scratch) / "logs"),
            "--quiet",
            "--output",
            "json",
        ]
        if as_of:
            command += ["--vars", json.dumps({"as_of": as_of})]
        env = {**os.environ, "CDP_WAREHOUSE": str(warehouse)}
        result = subprocess.run(
            command, cwd=project_dir, env=env, capture_output=True, text=True, check=False
        )
    if result.returncode != 0:
        raise PreviewError(f"dbt could not compile the segment:\n{result.stdout}{result.stderr}")
    start = result.stdout.find("{")
    try:
        return json.loads(result.stdout[start:])["compiled"]
    except (ValueError, KeyError) as error:
        raise PreviewError(f"unexpected dbt compile output: {result.stdout[:500]}") from error


def preview_segment(
    project_dir: Path, warehouse: Path, name: str, limit: int = 10, as_of: str | None = None
) -> Preview:
    """Size and a sample of who `name` selects now, read-only; nothing is written or sent."""
    project = load_project(project_dir)
    query = _segment_query(project, name)
    if not warehouse.exists():
        raise PreviewError(f"no warehouse at {warehouse}: build it first (cdp run)")
    compiled = compile_inline(project_dir, warehouse, query, as_of)
    with _connect(warehouse) as connection:
        size_row = connection.execute(f"select count(*) from ({compiled}) as members").fetchone()
        customer_columns = {
            row[0]
            for row in connection.execute(
                "select column_name from information_schema.columns "
                "where table_schema = 'marts' and table_name = 'customers'"
            ).fetchall()
        }
        shown = [column for column in SAMPLE_COLUMNS if column in customer_columns]
        selected = ", ".join(["members.customer_id", *(f"c.{column}" for column in shown)])
        cursor = connection.execute(
            f"select {selected} from ({compiled}) as members "
            "left join marts.customers as c on c.customer_id = members.customer_id "
            "order by members.customer_id limit ?",
            [limit],
        )
        names = [description[0] for description in cursor.description]
        sample = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    return Preview(name, int(size_row[0]) if size_row else 0, sample, compiled)
