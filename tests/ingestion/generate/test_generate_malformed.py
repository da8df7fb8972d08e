"""truth/malformed.csv lists exactly the lines a strict loader must quarantine."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from generated_exports import read_malformed, records

KINDS = {"bad_date", "non_numeric_amount", "broken_quoting", "truncated_json"}


def test_listed_lines_are_exactly_the_invalid_lines(sample_exports: Path) -> None:
    listed = {(m["source_file"], int(m["line"])) for m in read_malformed(sample_exports)}
    invalid = {
        (f"{path.parent.name}/{path.name}", line)
        for _system, _type, path, line, row in records(sample_exports)
        if row is None
    }
    assert invalid == listed


def test_every_kind_occurs_and_is_named(sample_exports: Path) -> None:
    kinds = Counter(m["kind"] for m in read_malformed(sample_exports))
    assert set(kinds) == KINDS


def test_each_listed_line_shows_its_kind(sample_exports: Path) -> None:
    landing = sample_exports / "landing"
    for m in read_malformed(sample_exports):
        text = (landing / m["source_file"]).read_text(encoding="utf-8").split("\n")
        line = text[int(m["line"]) - 1]
        if m["kind"] == "truncated_json":
            assert line.startswith("{") and not line.endswith("}")
        elif m["kind"] == "broken_quoting":
            assert line.count('"') % 2 == 1
        elif m["kind"] == "non_numeric_amount":
            assert any(bad in line for bad in ("1.2OO.000", "N/A", "12,50", "abc"))
        else:
            assert m["kind"] == "bad_date"


def test_corrections_files_are_clean(sample_exports: Path) -> None:
    assert not [m for m in read_malformed(sample_exports) if "corrections" in m["source_file"]]
