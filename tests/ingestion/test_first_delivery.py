"""The first delivery of a keyed table keeps the newest row per key, by the merge's own rule."""

from __future__ import annotations

import pyarrow as pa

from ingestion.exports import spec_for
from ingestion.first_delivery import newest_per_key


def _rows(keys: list[str], versions: list[int | None], file: str, first_line: int) -> pa.Table:
    return pa.table(
        {
            "record_id": keys,
            "last_modified_date": pa.array(versions, pa.int64()),
            "_source_file": [file] * len(keys),
            "_source_line": list(range(first_line, first_line + len(keys))),
        }
    )


def _kept(chunks: list[pa.Table]) -> list[tuple[str, int | None, str, int]]:
    return sorted(
        tuple(row.values())
        for chunk in chunks
        for row in chunk.to_pylist()  # type: ignore[misc]
    )


def test_greatest_version_wins_across_chunks_then_later_file_then_later_line():
    spec = spec_for("hubspot", "contacts")
    first = _rows(["1", "2", "3", "3"], [5, 9, 1, 1], "hubspot/contacts_1.csv", 2)
    second = _rows(["1", "2", "4"], [7, 9, None], "hubspot/contacts_2.csv", 2)
    kept = newest_per_key([first, second], spec)
    assert [chunk.num_rows for chunk in kept] == [1, 3]
    assert _kept(kept) == [
        ("1", 7, "hubspot/contacts_2.csv", 2),
        ("2", 9, "hubspot/contacts_2.csv", 3),
        ("3", 1, "hubspot/contacts_1.csv", 5),
        ("4", None, "hubspot/contacts_2.csv", 4),
    ]


def test_a_null_version_loses_to_any_version():
    spec = spec_for("hubspot", "contacts")
    first = _rows(["1"], [3], "hubspot/contacts_1.csv", 2)
    second = _rows(["1"], [None], "hubspot/contacts_2.csv", 2)
    assert _kept(newest_per_key([first, second], spec)) == [("1", 3, "hubspot/contacts_1.csv", 2)]


def test_without_a_version_the_later_file_wins_on_a_key_of_several_columns():
    spec = spec_for("google_ads", "campaign_performance")
    chunks = [
        pa.table(
            {
                "campaign_id": ["c1", "c1", "c2"],
                "segments_date": ["2026-11-01", "2026-11-02", "2026-11-01"],
                "_source_file": [file] * 3,
                "_source_line": [2, 3, 4],
            }
        )
        for file in (
            "google_ads/campaign_performance_1.csv",
            "google_ads/campaign_performance_2.csv",
        )
    ]
    kept = newest_per_key(chunks, spec)
    assert [chunk.num_rows for chunk in kept] == [0, 3]


def test_a_chunk_without_the_version_column_loses_to_one_with_it():
    spec = spec_for("hubspot", "contacts")
    first = _rows(["1"], [3], "hubspot/contacts_1.csv", 2)
    second = _rows(["1"], [None], "hubspot/contacts_2.csv", 2).drop_columns(["last_modified_date"])
    assert _kept(newest_per_key([first, second], spec)) == [("1", 3, "hubspot/contacts_1.csv", 2)]
