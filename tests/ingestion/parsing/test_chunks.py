"""Chunks of whole lines from read buffers that are used again: never while a chunk is held."""

from __future__ import annotations

from pathlib import Path

from ingestion.parsing.chunks import line_chunks


def _export(tmp_path: Path) -> tuple[Path, bytes]:
    data = b"".join(f'{{"line": {n}, "text": "{"x" * (n % 97)}"}}\n'.encode() for n in range(5000))
    path = tmp_path / "export.jsonl"
    path.write_bytes(data)
    return path, data


def test_chunks_held_by_the_caller_keep_their_bytes_while_later_blocks_are_read(tmp_path: Path):
    path, data = _export(tmp_path)
    held = list(line_chunks(path, chunk_bytes=4096))
    assert len(held) > 20
    assert b"".join(bytes(chunk) for _, chunk in held) == data


def test_chunks_start_at_their_line_numbers_when_buffers_are_used_again(tmp_path: Path):
    path, data = _export(tmp_path)
    lines = data.splitlines(keepends=True)
    for first_line, chunk in line_chunks(path, chunk_bytes=4096):
        text = bytes(chunk)
        assert text.startswith(lines[first_line - 1])
        assert text.endswith(b"\n")


def test_a_line_longer_than_a_chunk_comes_whole(tmp_path: Path):
    path = tmp_path / "export.jsonl"
    path.write_bytes(b"short\n" + b"y" * 10_000 + b"\nlast")
    chunks = [(first, bytes(chunk)) for first, chunk in line_chunks(path, chunk_bytes=1024)]
    assert chunks == [(1, b"short\n"), (2, b"y" * 10_000 + b"\nlast")]
