"""Record failed runs where an operator looks: `data/ops/run_failures.jsonl`.

Dagster's event log keeps the full story, but only for whoever opens the UI. The JSON-lines file is
readable with `tail`, `jq` or DuckDB (`select * from read_json('data/ops/run_failures.jsonl')`)
and is written outside the warehouse on purpose: a failed run may still hold the warehouse lock.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

FAILURE_LOG = "run_failures.jsonl"


@dataclass(frozen=True)
class RunFailure:
    run_id: str
    job_name: str
    message: str
    failed_steps: list[str]
    launched_by: str
    failed_at: str


def record_run_failure(
    ops_dir: Path,
    *,
    run_id: str,
    job_name: str,
    message: str,
    failed_steps: list[str],
    launched_by: str,
) -> Path:
    """Append one failure; a single `write` of one line keeps concurrent appends whole."""
    ops_dir.mkdir(parents=True, exist_ok=True)
    log = ops_dir / FAILURE_LOG
    failure = RunFailure(
        run_id=run_id,
        job_name=job_name,
        message=message,
        failed_steps=sorted(failed_steps),
        launched_by=launched_by,
        failed_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    line = (json.dumps(asdict(failure), ensure_ascii=False) + "\n").encode()
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)
    return log


def read_run_failures(ops_dir: Path) -> list[RunFailure]:
    log = ops_dir / FAILURE_LOG
    if not log.exists():
        return []
    return [RunFailure(**json.loads(line)) for line in log.read_text().splitlines() if line]
