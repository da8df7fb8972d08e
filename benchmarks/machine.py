"""A description of the machine and software versions, printed with every result."""

from __future__ import annotations

import os
import platform
from importlib import metadata
from pathlib import Path

PACKAGES = (
    "duckdb",
    "dlt",
    "pyarrow",
    "dbt-core",
    "dbt-duckdb",
    "dagster",
    "dagster-dbt",
    "splink",
    "scipy",
)


def describe(load_at_start: tuple[float, float, float]) -> dict[str, str]:
    """The machine, the versions that shape the numbers, and how busy it was: the load average
    when the benchmark started and when it ended (other work on a shared machine slows it)."""
    versions = []
    for package in PACKAGES:
        try:
            versions.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            continue
    return {
        "cpu": _cpu_model(),
        "cores": str(os.cpu_count()),
        "memory": f"{_memory_gib():.1f} GiB",
        "os": platform.platform(),
        "python": platform.python_version(),
        "packages": ", ".join(versions),
        "load average (1/5/15 min) at start": " / ".join(f"{v:.1f}" for v in load_at_start),
        "load average (1/5/15 min) at the end": " / ".join(f"{v:.1f}" for v in os.getloadavg()),
    }


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _memory_gib() -> float:
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024**2
    return 0.0
