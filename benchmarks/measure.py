"""Run one measurement in a child process and read its wall time and peak memory.

Peak RSS is the child's own high-water mark (`VmHWM`, which starts afresh at exec) or the
largest of the processes it started and waited for, whichever is larger. `ru_maxrss` of the
child alone would not do: Linux keeps it across exec, so it would include the harness's own
memory at fork. The wall time is the function's own, timed inside the child, so interpreter
start-up is not counted; a function that does untimed work after its timed part (a breakdown,
a quality check) returns its own `wall_seconds` instead. A function whose processes are not all
waited-for children of its own (dbt beside a Dagster run) may return a sampled `peak_rss_bytes`
of the whole tree; the larger of the two figures is kept.
"""

from __future__ import annotations

import importlib
import json
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
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
    process.wait()
    if process.returncode != 0:
        raise RuntimeError(f"benchmark {target} failed with exit code {process.returncode}")
    line = next(line for line in output.splitlines() if line.startswith(_RESULT_PREFIX))
    result = json.loads(line.removeprefix(_RESULT_PREFIX))
    return RunResult(result["wall_seconds"], result["peak_rss_bytes"], result["outcome"])


def _child(target: str, kwargs_json: str) -> None:
    module_name, function_name = target.split(":")
    function = getattr(importlib.import_module(module_name), function_name)
    kwargs = json.loads(kwargs_json)
    started = time.perf_counter()
    outcome = function(**kwargs)
    wall = outcome.pop("wall_seconds", time.perf_counter() - started)
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    peak = max(_own_high_water_bytes(), children, outcome.pop("peak_rss_bytes", 0))
    result = {"wall_seconds": wall, "peak_rss_bytes": peak, "outcome": outcome}
    print(_RESULT_PREFIX + json.dumps(result), flush=True)


def _own_high_water_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


if __name__ == "__main__":
    _child(sys.argv[1], sys.argv[2])
