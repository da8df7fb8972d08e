"""A small dbt project for segment tests: the real macros, project config and segment models,
with `customers`, `customer_traits` and `customer_events` replaced by tiny hand-made tables that
use the contract's column names."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import yaml

from activation.segments import compile_project

REPO = Path(__file__).resolve().parents[3]
DBT_PROJECT = REPO / "dbt_project"
DBT = Path(sys.executable).parent / "dbt"

CUSTOMER_COLUMNS = {
    "customer_id": "varchar",
    "email": "varchar",
    "country": "varchar",
    "city": "varchar",
    "lifecycle_stage": "varchar",
    "first_seen_at": "timestamp",
    "email_marketing_consent": "boolean",
    "signup_date": "date",
}
TRAIT_COLUMNS = {
    "customer_id": "varchar",
    "orders_count": "integer",
    "lifetime_revenue_usd": "decimal(18,2)",
    "rfm_recency_score": "integer",
    "is_unsubscribed": "boolean",
    "acquisition_channel": "varchar",
}
EVENT_COLUMNS = {
    "event_id": "varchar",
    "customer_id": "varchar",
    "event_type": "varchar",
    "occurred_at": "timestamp",
    "amount_usd": "decimal(18,2)",
    "source": "varchar",
}
EVENT_TYPES = ["order", "refund", "email_sent", "email_open", "email_click", "lead", "ad_click"]


def marts_properties() -> dict[str, Any]:
    def columns(spec: dict[str, str]) -> list[dict[str, str]]:
        return [{"name": name, "data_type": kind} for name, kind in spec.items()]

    events = columns(EVENT_COLUMNS)
    events[2]["data_tests"] = [{"accepted_values": {"arguments": {"values": EVENT_TYPES}}}]
    return {
        "version": 2,
        "models": [
            {"name": "customers", "columns": columns(CUSTOMER_COLUMNS)},
            {"name": "customer_traits", "columns": columns(TRAIT_COLUMNS)},
            {"name": "customer_events", "columns": events},
        ],
    }


def _sql_value(value: Any, kind: str) -> str:
    if value is None:
        return f"cast(null as {kind})"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return f"cast('{value.isoformat(sep=' ')}' as {kind})"
    if isinstance(value, int | float):
        return f"cast({value} as {kind})"
    return f"cast('{value}' as {kind})"


def table_sql(columns: dict[str, str], rows: Sequence[dict[str, Any]]) -> str:
    """A model that returns exactly `rows` (missing keys are null), typed as the contract says."""
    selects = [
        "select "
        + ", ".join(f"{_sql_value(row.get(col), kind)} as {col}" for col, kind in columns.items())
        for row in rows
    ]
    if not selects:
        empty = ", ".join(f"cast(null as {kind}) as {col}" for col, kind in columns.items())
        selects = [f"select {empty} where 1 = 0"]
    return "\nunion all\n".join(selects) + "\n"


def write_sandbox(
    root: Path,
    specs: dict[str, dict[str, Any] | str],
    customers: Sequence[dict[str, Any]],
    traits: Sequence[dict[str, Any]],
    events: Sequence[dict[str, Any]],
    extra_models: dict[str, str] | None = None,
) -> Path:
    """Lay out a dbt project under `root` and compile its segment specs."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(DBT_PROJECT / "dbt_project.yml", root / "dbt_project.yml")
    shutil.copy(DBT_PROJECT / "profiles.yml", root / "profiles.yml")
    shutil.copytree(DBT_PROJECT / "macros", root / "macros")
    shutil.copytree(DBT_PROJECT / "tests" / "generic", root / "tests" / "generic")
    shutil.copytree(
        DBT_PROJECT / "models" / "segments",
        root / "models" / "segments",
        ignore=shutil.ignore_patterns("generated", "custom"),
    )
    marts = root / "models" / "marts"
    marts.mkdir(parents=True)
    (marts / "_marts__models.yml").write_text(yaml.safe_dump(marts_properties(), sort_keys=False))
    (marts / "customers.sql").write_text(table_sql(CUSTOMER_COLUMNS, customers))
    (marts / "customer_traits.sql").write_text(table_sql(TRAIT_COLUMNS, traits))
    (marts / "customer_events.sql").write_text(table_sql(EVENT_COLUMNS, events))
    for relative, text in (extra_models or {}).items():
        path = root / "models" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (root / "segments").mkdir()
    for name, spec in specs.items():
        text = spec if isinstance(spec, str) else yaml.safe_dump(spec, sort_keys=False)
        (root / "segments" / f"{name}.yml").write_text(text)
    compile_project(root)
    return root


def dbt_build(
    root: Path, as_of: str, warehouse: Path, *extra: str
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CDP_WAREHOUSE": str(warehouse), "DBT_SEND_ANONYMOUS_USAGE_STATS": "0"}
    result = subprocess.run(
        [
            str(DBT),
            "build",
            "--project-dir",
            str(root),
            "--profiles-dir",
            str(root),
            "--vars",
            yaml.safe_dump({"as_of": as_of}, default_flow_style=True).strip(),
            *extra,
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        errors = [line for line in result.stdout.splitlines() if "rror" in line]
        raise AssertionError("dbt build failed:\n" + "\n".join(errors) + result.stdout[-4000:])
    return result


def query(warehouse: Path, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.execute(sql, list(params)).fetchall()


def members(warehouse: Path, segment: str) -> set[str]:
    rows = query(
        warehouse,
        "select customer_id from marts.segment_memberships where segment = ?",
        [segment],
    )
    return {row[0] for row in rows}
