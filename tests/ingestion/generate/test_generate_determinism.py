"""Same (people, seed, end_date) gives byte-identical output; another seed gives other data."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from ingestion.generate import generate

END = date(2026, 11, 1)


def _contents(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_same_seed_writes_byte_identical_files(tmp_path: Path) -> None:
    generate(tmp_path / "a", people=300, seed=11, end_date=END)
    generate(tmp_path / "b", people=300, seed=11, end_date=END)
    first, second = _contents(tmp_path / "a"), _contents(tmp_path / "b")
    assert first.keys() == second.keys()
    assert [name for name in first if first[name] != second[name]] == []


def test_different_seed_changes_every_person_file(tmp_path: Path) -> None:
    generate(tmp_path / "a", people=300, seed=11, end_date=END)
    generate(tmp_path / "b", people=300, seed=12, end_date=END)
    first, second = _contents(tmp_path / "a"), _contents(tmp_path / "b")
    assert first.keys() == second.keys()
    same = [n for n in first if first[n] == second[n] and "corrections" not in n]
    assert same == []


def test_end_date_moves_stamps_and_activity(tmp_path: Path) -> None:
    summary = generate(tmp_path, people=50, seed=11, end_date=date(2025, 6, 30))
    assert "hubspot/contacts_20250630.csv" in summary.files
    assert "hubspot/contacts_20250701_corrections.csv" in summary.files
    stamps = (tmp_path / "landing/mailchimp/campaign_activity_20250630.jsonl").read_text()
    assert '"timestamp":"2025-06-3' in stamps or '"timestamp":"2025-06-2' in stamps
    assert '"timestamp":"2026-' not in stamps


def test_rejects_people_outside_the_supported_range(tmp_path: Path) -> None:
    for people in (0, 10_000_001):
        with pytest.raises(ValueError, match="people must be between"):
            generate(tmp_path, people=people, seed=1, end_date=END)
    assert not (tmp_path / "landing").exists()
