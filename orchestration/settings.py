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


_SWITCH_VALUES = {
    "1": True,
    "true": True,
    "yes": True,
    "0": False,
    "false": False,
    "no": False,
    "": False,
}


def restricted_copy() -> bool:
    """Whether each publish also copies the raw warehouse to `serving_restricted.duckdb`
    (CDP_RESTRICTED_COPY, default off, as is an empty value): a second full copy of everyone's
    raw data exists only where a deployment asks for it (docs/serving.md)."""
    value = os.environ.get("CDP_RESTRICTED_COPY", "")
    switch = _SWITCH_VALUES.get(value.strip().lower())
    if switch is None:
        expected = ", ".join(name for name in _SWITCH_VALUES if name)
        raise ValueError(f"CDP_RESTRICTED_COPY={value!r}: expected one of {expected} or nothing")
    return switch


def dbt_project_dir() -> Path:
    return project_root() / "dbt_project"


def activation_config_dir() -> Path:
    """The folder with destinations.yml and syncs.yml (CDP_ACTIVATION_CONFIG)."""
    return Path(os.environ.get("CDP_ACTIVATION_CONFIG", project_root() / "activation" / "config"))


def project_path(path: Path) -> Path:
    """A path from a config file: absolute as written, `data/...` under the data folder
    (CDP_DATA_DIR) so file drops follow the warehouse wherever it lives, else under the project."""
    if path.is_absolute():
        return path
    if path.parts and path.parts[0] == "data":
        return data_dir().joinpath(*path.parts[1:])
    return project_root() / path


ENGINES = ("duckdb", "spark")


def engine() -> str:
    """Which engine the chain builds on (CDP_ENGINE): `duckdb` (default) or `spark`, where raw
    data goes to the Parquet lake and dbt runs with `--target spark` (docs/spark.md)."""
    value = os.environ.get("CDP_ENGINE", "duckdb")
    if value not in ENGINES:
        raise ValueError(f"CDP_ENGINE={value!r}: expected one of {', '.join(ENGINES)}")
    return value


def lake_dir() -> Path:
    return Path(os.environ.get("CDP_LAKE", data_dir() / "lake"))


def spark_dir() -> Path:
    """Local Spark's tables and metastore (dbt profile target `spark`)."""
    return Path(os.environ.get("CDP_SPARK_DIR", data_dir() / "spark"))


def dagster_home() -> Path:
    return Path(os.environ.get("DAGSTER_HOME", data_dir() / "dagster_home"))


def ops_dir() -> Path:
    return data_dir() / "ops"
