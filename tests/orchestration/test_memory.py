"""What an ingestion step leaves behind is given back before dbt's build starts beside it."""

from __future__ import annotations

import gc

import pyarrow as pa

from orchestration.defs.memory import release_unused_memory


class _Pipeline:
    """Like a dlt pipeline after a load: Arrow buffers held by objects in a reference cycle."""

    def __init__(self) -> None:
        self.buffers = pa.array(range(1_000_000), type=pa.int64())
        self.myself = self


def test_buffers_held_by_a_dropped_reference_cycle_are_freed() -> None:
    gc.disable()
    try:
        before = pa.total_allocated_bytes()
        _Pipeline()
        assert pa.total_allocated_bytes() >= before + 8_000_000

        release_unused_memory()

        assert pa.total_allocated_bytes() <= before
    finally:
        gc.enable()
