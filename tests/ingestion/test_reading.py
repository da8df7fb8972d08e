"""Reading a file in chunks gives the same rows, lines and rejects as reading it whole."""

from __future__ import annotations

from pathlib import Path

import pytest
from landing_fixtures import CONTACTS_HEADER, activity, contact, write

from ingestion.exports import spec_for
from ingestion.landing import LandingFile
from ingestion.reading import ExportReader


def _read(path: Path, export_type: str, system: str, chunk_bytes: int):
    file = LandingFile(path, f"{system}/{path.name}", spec_for(system, export_type), "sha", 0, 0)
    reader = ExportReader(file, chunk_bytes=chunk_bytes)
    chunks = list(reader.chunks())
    lines = [n for chunk in chunks for n in chunk.rows.column("_source_line").to_pylist()]
    rejects = [r for chunk in chunks for r in chunk.rejects.to_pylist()]
    return chunks, lines, rejects, reader.ledger().to_pylist()[0]


@pytest.mark.parametrize("chunk_bytes", [64, 1000, 1 << 20])
def test_csv_chunks_keep_line_numbers_and_rejects(tmp_path: Path, chunk_bytes: int):
    rows = [contact(str(i)) for i in range(40)]
    rows[17] = contact("17", modified="2026-13-01 00:00")
    path = write(tmp_path, "hubspot/contacts_20261101.csv", CONTACTS_HEADER, *rows)
    chunks, lines, rejects, ledger = _read(path, "contacts", "hubspot", chunk_bytes)
    assert lines == [n for n in range(2, 42) if n != 19]
    assert [(r["source_line"], r["raw_text"]) for r in rejects] == [(19, rows[17])]
    assert (ledger["rows_read"], ledger["rows_loaded"], ledger["rows_rejected"]) == (40, 39, 1)
    assert (len(chunks) > 1) == (chunk_bytes < 1 << 20)


@pytest.mark.parametrize("chunk_bytes", [100, 1 << 20])
def test_jsonl_chunks_keep_line_numbers_and_rejects(tmp_path: Path, chunk_bytes: int):
    rows = [activity(f"p{i}@x.com") for i in range(30)]
    rows[4] = rows[4][:25]
    path = write(tmp_path, "mailchimp/campaign_activity_20261101.jsonl", *rows)
    _, lines, rejects, ledger = _read(path, "campaign_activity", "mailchimp", chunk_bytes)
    assert lines == [n for n in range(1, 31) if n != 5]
    assert [(r["source_line"], r["raw_text"]) for r in rejects] == [(5, rows[4])]
    assert (ledger["rows_read"], ledger["rows_rejected"]) == (30, 1)
