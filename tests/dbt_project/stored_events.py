"""customer_events' rows by event id with `written_at` apart, for the tests of which rows an
incremental build writes."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import NamedTuple

import duckdb


class StoredEvent(NamedTuple):
    written_at: datetime
    columns: tuple[object, ...]
    """Every other column but `event_id`."""


def stored_events(warehouse: Path) -> dict[str, StoredEvent]:
    """customer_events by event id (each id once, as its unique test requires)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select event_id, written_at, * exclude (event_id, written_at)"
            " from marts.customer_events"
        ).fetchall()
    events = {
        event_id: StoredEvent(written_at, tuple(columns)) for event_id, written_at, *columns in rows
    }
    assert len(events) == len(rows), "customer_events repeats an event id"
    return events
