"""Errors that stop a load before anything is written, each naming the file at fault."""

from __future__ import annotations


class LandingError(Exception):
    """A landing file the loader cannot accept; nothing of the load is written."""


class UnknownExportError(LandingError):
    def __init__(self, path: str, known: list[str]) -> None:
        super().__init__(
            f"{path}: file name names no known export type (expected <type>_<YYYYMMDD>[_suffix]"
            f".csv|.jsonl with type one of {', '.join(known)})"
        )


class MissingColumnsError(LandingError):
    def __init__(self, path: str, export_type: str, missing: list[str]) -> None:
        self.missing = missing
        super().__init__(
            f"{path}: header of a {export_type} export lacks required columns: {', '.join(missing)}"
        )
