"""Generated benchmark data, made once per size and kept under `data/bench/<size>`."""

from __future__ import annotations

import json
import shutil
import time
from datetime import date
from pathlib import Path

SIZES = {"XS": 300, "S": 1_000, "M": 1_000_000, "L": 10_000_000}
"""XS is for the harness's own smoke test; M is what the targets are set for."""
SEED = 42
END_DATE = date(2026, 11, 1)
_COMPLETE = ".complete"


def ensure_dataset(root: Path, size: str) -> Path:
    """The folder holding `landing/` and `truth/` for `size`; generated unless already there."""
    from ingestion.generate import generate

    target = root / size
    marker = target / _COMPLETE
    expected = {"people": SIZES[size], "seed": SEED, "end_date": END_DATE.isoformat()}
    if marker.exists():
        recorded = json.loads(marker.read_text())
        if all(recorded.get(key) == value for key, value in expected.items()):
            return target
    shutil.rmtree(target, ignore_errors=True)
    started = time.perf_counter()
    generate(target, people=SIZES[size], seed=SEED, end_date=END_DATE)
    marker.write_text(json.dumps({**expected, "seconds": time.perf_counter() - started}))
    return target
