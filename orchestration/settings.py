"""Run-time settings, read when asked for and never at import.

Libraries (`ingestion`, `activation`, `predictive`) take explicit paths; this module is the one
place that turns the environment into those paths, so a scheduler other than ours can pass its own.
"""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    return Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    return Path(os.environ.get("CDP_DATA_DIR", project_root() / "data"))


def landing_dir() -> Path:
    return Path(os.environ.get("CDP_LANDING", data_dir() / "landing"))


def warehouse_path() -> Path:
    return Path(os.environ.get("CDP_WAREHOUSE", data_dir() / "warehouse" / "cdp.duckdb"))


def serving_path() -> Path:
    return warehouse_path().with_name("serving.duckdb")


def dbt_project_dir() -> Path:
    return project_root() / "dbt_project"


def dagster_home() -> Path:
    return Path(os.environ.get("DAGSTER_HOME", data_dir() / "dagster_home"))


def ops_dir() -> Path:
    return data_dir() / "ops"
