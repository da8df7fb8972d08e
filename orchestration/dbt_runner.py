"""Run dbt outside Dagster: the CLI, the tests and the benchmarks build the warehouse through here.

dbt runs as a child process (the `dbt` installed beside this interpreter), not in-process: dbt keeps
global state between invocations, and parallel test workers each need their own warehouse, target
folder and logs. The warehouse is passed explicitly and handed to the profile via CDP_WAREHOUSE.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestration import settings


class DbtFailed(RuntimeError):
    """dbt exited non-zero; the message ends with the tail of its output."""


@dataclass(frozen=True)
class DbtResult:
    args: tuple[str, ...]
    returncode: int
    output: str
    seconds: float

    @property
    def success(self) -> bool:
        return self.returncode == 0

    def raise_on_failure(self) -> DbtResult:
        if not self.success:
            tail = "\n".join(self.output.splitlines()[-60:])
            raise DbtFailed(f"dbt {' '.join(self.args)} failed ({self.returncode}):\n{tail}")
        return self


def dbt_executable() -> str:
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


def run_dbt(
    args: Sequence[str],
    warehouse: Path,
    *,
    project_dir: Path | None = None,
    target_dir: Path | None = None,
    dbt_vars: Mapping[str, Any] | None = None,
) -> DbtResult:
    """Run `dbt <args>` against `warehouse`.

    `target_dir` keeps dbt's artifacts and logs apart per caller (default: the project's
    `target/cli`, so a CLI run never races Dagster's own `target/dagster`).
    """
    project = (project_dir or settings.dbt_project_dir()).resolve()
    target = (target_dir or project / "target" / "cli").resolve()
    command = [
        dbt_executable(),
        *args,
        "--project-dir",
        str(project),
        "--profiles-dir",
        str(project),
        "--target-path",
        str(target),
        "--log-path",
        str(target / "logs"),
    ]
    if dbt_vars:
        command += ["--vars", json.dumps(dict(dbt_vars))]
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "CDP_WAREHOUSE": str(warehouse.resolve()),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    started = time.perf_counter()
    completed = subprocess.run(
        command, cwd=project, env=env, capture_output=True, text=True, check=False
    )
    return DbtResult(
        args=tuple(args),
        returncode=completed.returncode,
        output=completed.stdout + completed.stderr,
        seconds=time.perf_counter() - started,
    )
