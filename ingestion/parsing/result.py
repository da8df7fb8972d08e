"""What reading one export file yields: the rows that parsed, tied to their lines, and the rest."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from ingestion.parsing.lines import Lines


@dataclass
class Quarantine:
    """Rejected lines of one file: line number -> reason. Raw text is looked up at the end."""

    reasons: dict[int, str] = field(default_factory=dict)

    def add(self, line_numbers: np.ndarray | list[int], reason: str) -> None:
        for number in np.asarray(line_numbers, dtype=np.int64).tolist():
            self.reasons.setdefault(number, reason)

    def __len__(self) -> int:
        return len(self.reasons)


@dataclass
class ParsedFile:
    """`table` holds text or JSON-typed columns; `line_numbers[i]` is the line of row `i`;
    `lines` the text the rows came from, for the raw text of quarantined lines."""

    table: pa.Table
    line_numbers: np.ndarray
    rows_read: int
    quarantine: Quarantine
    lines: Lines
