"""Reads generated landing files the way docs/landing-files.md describes them, line by line.

Kept independent of the generator's code on purpose: the tests check the files against the
document the loaders are written from, not against the generator's own constants.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

DOC = Path(__file__).resolve().parents[3] / "docs" / "landing-files.md"
FILE_NAME = re.compile(
    r"^(?P<export_type>contacts|deals|subscribed|unsubscribed|cleaned|campaign_activity|customers"
    r"|charges|refunds|transactions|insights|leads|campaign_performance|clicks)"
    r"_(?P<stamp>\d{8})(?:_(?P<suffix>[a-z0-9_]+))?\.(?P<ext>csv|jsonl)$"
)
HEADER_LINE = re.compile(r"^- `(?P<export_type>\w+)` (?P<ext>csv|jsonl): `(?P<columns>[^`]+)`$")

# export type -> (source, source_table, key column or JSON key)
PERSON_RECORDS: dict[str, tuple[str, str, str]] = {
    "contacts": ("hubspot", "contacts", "Record ID"),
    "deals": ("hubspot", "deals", "Record ID"),
    "subscribed": ("mailchimp", "members", "LEID"),
    "unsubscribed": ("mailchimp", "members", "LEID"),
    "cleaned": ("mailchimp", "members", "LEID"),
    "customers": ("stripe", "customers", "id"),
    "charges": ("stripe", "charges", "id"),
    "refunds": ("stripe", "refunds", "id"),
    "transactions": ("vnpay", "transactions", "vnp_TxnRef"),
    "leads": ("facebook_ads", "leads", "id"),
    "clicks": ("google_ads", "clicks", "click_view.gclid"),
}


def documented_headers() -> dict[str, tuple[str, list[str]]]:
    found = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        match = HEADER_LINE.match(line)
        if match:
            found[match["export_type"]] = (match["ext"], match["columns"].split(","))
    return found


def landing_files(root: Path) -> list[tuple[str, str, Path]]:
    """(system, export_type, path) of every landing file, in delivery order per type."""
    files = []
    for path in sorted((root / "landing").glob("*/*")):
        match = FILE_NAME.match(path.name)
        assert match, f"unexpected file name {path}"
        files.append((path.parent.name, match["export_type"], path))
    return files


def _is_time(fmt: str) -> Callable[[str], bool]:
    def check(value: str) -> bool:
        if value == "":
            return True
        try:
            datetime.strptime(value, fmt)
        except ValueError:
            return False
        return True

    return check


def _is_number(value: str) -> bool:
    if value == "":
        return True
    try:
        float(value)
    except ValueError:
        return False
    return "," not in value


def _is_int(value: str) -> bool:
    return value == "" or value.isdigit()


HUBSPOT_TIME = _is_time("%Y-%m-%d %H:%M")
MAILCHIMP_TIME = _is_time("%Y-%m-%d %H:%M:%S")
DAY = _is_time("%Y-%m-%d")
CSV_RULES: dict[str, dict[str, Callable[[str], bool]]] = {
    "contacts": {
        c: HUBSPOT_TIME for c in ("Create Date", "Last Modified Date", "Last Activity Date")
    },
    "deals": {
        "Amount": _is_number,
        "Close Date": DAY,
        "Create Date": HUBSPOT_TIME,
        "Last Modified Date": HUBSPOT_TIME,
    },
    **{
        kind: {
            c: MAILCHIMP_TIME
            for c in ("OPTIN_TIME", "CONFIRM_TIME", "LAST_CHANGED", "UNSUB_TIME", "CLEAN_TIME")
        }
        for kind in ("subscribed", "unsubscribed", "cleaned")
    },
    "transactions": {"vnp_Amount": _is_int, "vnp_PayDate": _is_time("%Y%m%d%H%M%S")},
    "insights": {
        "date_start": DAY,
        "date_stop": DAY,
        "impressions": _is_int,
        "clicks": _is_int,
        "spend": _is_number,
    },
    "campaign_performance": {
        "segments.date": DAY,
        "metrics.impressions": _is_int,
        "metrics.clicks": _is_int,
        "metrics.cost_micros": _is_int,
    },
    "clicks": {"segments.date": DAY},
}
JSON_INTS: dict[str, tuple[str, ...]] = {
    "charges": ("amount", "amount_captured", "amount_refunded", "created"),
    "refunds": ("amount", "created"),
    "customers": ("created",),
}


def read_csv(path: Path, export_type: str) -> tuple[list[str], Iterator[tuple[int, dict | None]]]:
    """Header and (line, row) pairs; row is None when the line is not a valid record."""
    lines = path.read_text(encoding="utf-8").split("\n")
    assert lines[-1] == "", f"{path} does not end with a newline"
    header = next(csv.reader([lines[0]], strict=True))
    rules = CSV_RULES.get(export_type, {})

    def rows() -> Iterator[tuple[int, dict | None]]:
        for number, line in enumerate(lines[1:-1], start=2):
            try:
                fields = next(csv.reader([line], strict=True))
            except csv.Error:
                yield number, None
                continue
            if len(fields) != len(header):
                yield number, None
                continue
            row = dict(zip(header, fields, strict=True))
            valid = all(check(row[c]) for c, check in rules.items() if c in row)
            yield number, row if valid else None

    return header, rows()


def read_jsonl(path: Path, export_type: str) -> Iterator[tuple[int, dict[str, Any] | None]]:
    ints = JSON_INTS.get(export_type, ())
    for number, line in enumerate(path.read_bytes().split(b"\n")[:-1], start=1):
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError:
            yield number, None
            continue
        valid = all(type(record.get(k)) is int for k in ints)
        yield number, record if valid else None


def records(
    root: Path, export_types: set[str] | None = None
) -> Iterator[tuple[str, str, Path, int, dict[str, Any] | None]]:
    """(system, export_type, path, line, record-or-None) over the landing files."""
    for system, export_type, path in landing_files(root):
        if export_types is not None and export_type not in export_types:
            continue
        if path.suffix == ".csv":
            _, rows = read_csv(path, export_type)
            for number, row in rows:
                yield system, export_type, path, number, row
        else:
            for number, record in read_jsonl(path, export_type):
                yield system, export_type, path, number, record


def read_truth(root: Path) -> list[dict[str, str]]:
    with (root / "truth" / "records.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def read_malformed(root: Path) -> list[dict[str, str]]:
    with (root / "truth" / "malformed.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))
