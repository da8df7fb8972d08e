"""Run one measurement in a child process and read its wall time and peak memory.

Peak RSS comes from the kernel's accounting of the finished child (`wait4`): the largest
resident set of the child or of any process it started and waited for. The wall time is the
function's own, timed inside the child, so interpreter start-up is not counted.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any

_RESULT_PREFIX = "BENCH-RESULT "


@dataclass(frozen=True)
class RunResult:
    wall_seconds: float
    peak_rss_bytes: int
    outcome: dict[str, Any]


def run_in_child(target: str, kwargs: dict[str, Any]) -> RunResult:
    command = [sys.executable, "-m", "benchmarks.measure", target, json.dumps(kwargs)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"benchmark {target} failed with exit code {process.returncode}")
    line = next(line for line in output.splitlines() if line.startswith(_RESULT_PREFIX))
    result = json.loads(line.removeprefix(_RESULT_PREFIX))
    return RunResult(result["wall_seconds"], usage.ru_maxrss * 1024, result["outcome"])


def _child(target: str, kwargs_json: str) -> None:
    module_name, function_name = target.split(":")
    function = getattr(importlib.import_module(module_name), function_name)
    kwargs = json.loads(kwargs_json)
    started = time.perf_counter()
    outcome = function(**kwargs)
    wall = time.perf_counter() - started
    print(_RESULT_PREFIX + json.dumps({"wall_seconds": wall, "outcome": outcome}), flush=True)


if __name__ == "__main__":
    _child(sys.argv[1], sys.argv[2])
