"""Spec errors that point a marketer at the exact place to fix, before dbt ever sees SQL."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SpecProblem:
    """One thing wrong with one segment: where it is (file, segment, rule path, field) and why."""

    file: Path
    segment: str
    message: str
    path: str = ""
    field: str | None = None

    def __str__(self) -> str:
        where = [str(self.file), f"segment '{self.segment}'"]
        if self.field is not None:
            where.append(f"field '{self.field}'")
        if self.path:
            where.append(f"at {self.path}")
        return f"{': '.join(where)}: {self.message}"


class SegmentSpecError(ValueError):
    """Every problem in a set of specs, reported together so one edit-compile cycle fixes all."""

    def __init__(self, problems: list[SpecProblem]) -> None:
        self.problems = list(problems)
        noun = "problem" if len(self.problems) == 1 else "problems"
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(f"invalid segment specs ({len(self.problems)} {noun}):\n{lines}")
