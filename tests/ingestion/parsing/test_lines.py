"""Lines that are not UTF-8 are found among many valid ones, and every line keeps its text."""

from __future__ import annotations

from ingestion.parsing.lines import split_lines


def test_invalid_utf8_lines_are_numbered_and_shown_with_replacement_characters():
    lines = [f"Nguyễn {i}".encode() for i in range(5000)]
    broken = [0, 17, 18, 2500, 4999]
    for index in broken:
        lines[index] = lines[index][:-1] + b"\xe1\xbb"
    parsed = split_lines(b"\n".join(lines) + b"\n", first_line=10)
    assert parsed.not_utf8.tolist() == [index + 10 for index in broken]
    assert parsed.text.to_pylist() == [line.decode("utf-8", "replace") + "\n" for line in lines]
    assert parsed.raw(27) == lines[17].decode("utf-8", "replace")


def test_a_last_line_without_newline_can_be_the_invalid_one():
    parsed = split_lines(b"a\n\xff", first_line=1)
    assert parsed.not_utf8.tolist() == [2]
    assert parsed.text.to_pylist() == ["a\n", "\ufffd"]
