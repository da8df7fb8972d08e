"""Reading a file in chunks, parsed in parallel, gives the same rows, lines and rejects as
reading it whole, in file order."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from landing_fixtures import CONTACTS_HEADER, activity, contact, write

from ingestion import reading
from ingestion.exports import spec_for
from ingestion.landing import LandingFile
from ingestion.reading import ExportReader
from ingestion.suppressed_rows import SuppressionList
from ingestion.suppression import IdentifierType, identifier_hash


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


def _activity_file(tmp_path: Path, count: int) -> Path:
    """Events with a broken line, a bad timestamp and an erased person spread over the file."""
    rows = [activity(f"p{i}@x.com") for i in range(count)]
    rows[3] = rows[3][:30]
    rows[count // 2] = rows[count // 2].replace("2026-03-04T09:12:33", "2026-03-04 nine")
    rows[count - 2] = activity("erased@x.com")
    return write(tmp_path, "mailchimp/campaign_activity_20261101.jsonl", *rows)


def _reader(path: Path, chunk_bytes: int) -> ExportReader:
    file = LandingFile(
        path, f"mailchimp/{path.name}", spec_for("mailchimp", "campaign_activity"), "sha", 0, 0
    )
    erased = SuppressionList(
        {IdentifierType.EMAIL.value: frozenset([identifier_hash("erased@x.com")])}
    )
    return ExportReader(file, chunk_bytes=chunk_bytes, suppression=erased)


def test_chunks_parsed_in_parallel_match_one_whole_read(tmp_path: Path):
    path = _activity_file(tmp_path, 400)
    whole, chunked = _reader(path, 1 << 20), _reader(path, 500)
    whole_chunks, chunks = list(whole.chunks()), list(chunked.chunks())
    assert len(whole_chunks) == 1 and len(chunks) > 50
    assert pa.concat_tables(c.rows for c in chunks).equals(whole_chunks[0].rows)
    assert pa.concat_tables(c.rejects for c in chunks).equals(whole_chunks[0].rejects)
    assert [r["source_line"] for r in whole_chunks[0].rejects.to_pylist()] == [4, 201]
    assert chunked.ledger().drop(["loaded_at"]).equals(whole.ledger().drop(["loaded_at"]))
    ledger = chunked.ledger().to_pylist()[0]
    assert (ledger["rows_read"], ledger["rows_loaded"]) == (400, 397)
    assert (ledger["rows_rejected"], ledger["rows_suppressed"]) == (2, 1)


def test_at_most_two_chunks_are_parsed_ahead_of_the_caller(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    path = _activity_file(tmp_path, 200)
    started: list[int] = []
    parse = reading.read_jsonl_file

    def counted(data, spec, first_line):
        started.append(first_line)
        return parse(data, spec, first_line)

    monkeypatch.setattr(reading, "read_jsonl_file", counted)
    for taken, _ in enumerate(_reader(path, 500).chunks(), start=1):
        assert len(started) <= taken + reading.IN_FLIGHT
    assert started == sorted(started)


def test_a_failing_chunk_names_its_file_and_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = _activity_file(tmp_path, 200)
    parse = reading.read_jsonl_file

    def failing(data, spec, first_line):
        if first_line > 100:
            raise ValueError("parser broke")
        return parse(data, spec, first_line)

    monkeypatch.setattr(reading, "read_jsonl_file", failing)
    reader = _reader(path, 500)
    with pytest.raises(ValueError, match="parser broke") as raised:
        list(reader.chunks())
    note = "\n".join(raised.value.__notes__)
    assert "mailchimp/campaign_activity_20261101.jsonl from line 1" in note
    with pytest.raises(RuntimeError, match="ledger asked before"):
        reader.ledger()
