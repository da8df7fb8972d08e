"""The stages `make bench` knows. A stage is a module in `benchmarks/stages/` that registers
itself; adding dbt, identity, segments or activation later means adding one module."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class BenchContext:
    """What every stage gets: the size, the generated data and a scratch folder of its own."""

    size: str
    engine: str
    data_dir: Path
    work_dir: Path

    @property
    def landing(self) -> Path:
        return self.data_dir / "landing"


@dataclass(frozen=True)
class Measurement:
    """One timed thing a stage does: `target` is `module:function`, called in a child process
    with `kwargs(context, run)`; it returns a dict holding at least `rows`."""

    name: str
    target: str
    kwargs: Callable[[BenchContext, int], dict[str, Any]]
    reference: bool = False


@dataclass(frozen=True)
class Stage:
    name: str
    description: str
    measurements: tuple[Measurement, ...]
    engines: tuple[str, ...] = ("duckdb",)


STAGES: dict[str, Stage] = {}


def register(stage: Stage) -> Stage:
    STAGES[stage.name] = stage
    return stage
