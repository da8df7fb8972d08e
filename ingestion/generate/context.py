"""State shared by all chunks of one generation run: files, truth, id counters, ad structures."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from ingestion.generate.landing import Landing
from ingestion.generate.people import DAY, Population

TRUTH_COLUMNS = ("source", "source_table", "source_record_id", "person_id")
WINDOW_DAYS = 365


class Truth:
    """Streams truth/records.csv; one row per distinct person-referring record."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        schema = pa.schema([(c, pa.string()) for c in TRUTH_COLUMNS])
        self._writer = pacsv.CSVWriter(
            str(path), schema, write_options=pacsv.WriteOptions(quoting_style="needed")
        )
        self.rows = 0

    def add(self, source: str, table: str, record_ids: np.ndarray, person_ids: np.ndarray) -> None:
        n = len(record_ids)
        if n == 0:
            return
        batch = pa.table(
            {
                "source": pa.array([source] * n, pa.string()),
                "source_table": pa.array([table] * n, pa.string()),
                "source_record_id": pa.array(record_ids, pa.string()),
                "person_id": pa.array(person_ids, pa.string()),
            }
        )
        self._writer.write_table(batch)
        self.rows += n

    def close(self) -> None:
        self._writer.close()


@dataclass
class Run:
    out_dir: Path
    people: int
    seed: int
    end_date: date
    population: Population
    landing: Landing
    truth: Truth
    counters: dict[str, int] = field(default_factory=dict)

    @property
    def end_ts(self) -> int:
        """Last second of `end_date` (UTC): nothing in the primary delivery happens later."""
        return int(datetime.combine(self.end_date, time(23, 59, 59), UTC).timestamp())

    @property
    def window_start(self) -> int:
        return self.end_ts + 1 - WINDOW_DAYS * DAY

    @property
    def correction_ts(self) -> int:
        """Morning of the day after `end_date`, when late corrections were made."""
        return self.end_ts + 1 + 3 * 3600

    def take_ids(self, name: str, n: int) -> np.ndarray:
        """The next `n` values of a run-wide counter (record ids, order numbers)."""
        start = self.counters.get(name, 0)
        self.counters[name] = start + n
        return np.arange(start, start + n, dtype=np.int64)

    def rng(self, chunk: int, stream: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, chunk, stream])

    def day_index(self, ts: np.ndarray, offset_seconds: int = 0) -> np.ndarray:
        """Day of the reporting window (0 = first day) in a timezone `offset_seconds` from UTC."""
        return (np.asarray(ts) + offset_seconds - self.window_start) // DAY
