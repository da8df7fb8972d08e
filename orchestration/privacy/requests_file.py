"""A file of erasure requests, CSV or JSONL: one identifier per line with its type.

CSV has the header `type,value` and an optional `request_id` column; JSONL lines are objects
with the same keys. `type` is `email`, `phone` or `customer_id`. A line without a request id gets
one derived from the file name and the identifier's hash, so running the same file twice repeats
the same requests (and does nothing the second time).
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from orchestration.privacy.erasure import check_request_id
from orchestration.privacy.identifiers import Identifier, InvalidIdentifierError, parse_identifier


class RequestsFileError(ValueError):
    """The file cannot be read as requests; names the file and line, never the value."""


@dataclass(frozen=True)
class FileRequest:
    line: int
    request_id: str
    identifier: Identifier


def _rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    if path.suffix.lower() == ".csv":
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            missing = {"type", "value"} - set(reader.fieldnames or ())
            if missing:
                raise RequestsFileError(f"{path.name}: header lacks {', '.join(sorted(missing))}")
            for row in reader:
                yield reader.line_num, row
        return
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        with path.open(encoding="utf-8") as handle:
            for number, text in enumerate(handle, start=1):
                if not text.strip():
                    continue
                try:
                    row = json.loads(text)
                except json.JSONDecodeError:
                    raise RequestsFileError(f"{path.name}:{number}: not a JSON object") from None
                if not isinstance(row, dict):
                    raise RequestsFileError(f"{path.name}:{number}: not a JSON object")
                yield number, row
        return
    raise RequestsFileError(f"{path.name}: expected a .csv or .jsonl file")


def read_requests(path: Path) -> list[FileRequest]:
    """Every request of the file, all checked before any is carried out."""
    requests = []
    for line, row in _rows(path):
        try:
            identifier = parse_identifier(str(row.get("type") or ""), str(row.get("value") or ""))
        except InvalidIdentifierError as error:
            raise RequestsFileError(f"{path.name}:{line}: {error}") from None
        given = str(row.get("request_id") or "").strip()
        stem = re.sub(r"[^A-Za-z0-9._-]+", "-", path.stem).strip("-._") or "requests"
        request_id = given or f"{stem}-{identifier.hash[:16]}"
        try:
            check_request_id(request_id)
        except ValueError as error:
            raise RequestsFileError(f"{path.name}:{line}: {error}") from None
        requests.append(FileRequest(line, request_id, identifier))
    return requests
