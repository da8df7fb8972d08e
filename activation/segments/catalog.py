"""The fields a segment may test, read from the marts' dbt YAML contracts so they never drift.

`customers` and `customer_traits` declare `data_type` for every column (their contracts are
enforced); that declaration is the single source of truth for which fields exist and what values
they accept. `customer_predictions` (p_alive, churn_risk, predicted CLV...) declares its types the
same way and adds its columns when the project has it; a customer without a prediction row has
null in every one of them (docs/segments.md). Event types come from the `accepted_values` test on
`customer_events.event_type`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml

CUSTOMER_MODEL = "customers"
TRAITS_MODEL = "customer_traits"
EVENTS_MODEL = "customer_events"
PREDICTIONS_MODEL = "customer_predictions"
FIELD_MODELS = (CUSTOMER_MODEL, TRAITS_MODEL)
OPTIONAL_FIELD_MODELS = (PREDICTIONS_MODEL,)
"""Read when the project defines them: segments using their fields join them (left join)."""
# docs/contracts.md: used when the events model does not (yet) pin its types with accepted_values.
CONTRACT_EVENT_TYPES = (
    "order",
    "refund",
    "email_sent",
    "email_open",
    "email_click",
    "email_bounce",
    "lead",
    "ad_click",
)


class FieldKind(StrEnum):
    STRING = "string"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATE = "date"
    TIMESTAMP = "timestamp"
    OTHER = "other"


_KIND_PATTERNS = (
    (FieldKind.TIMESTAMP, re.compile(r"^(timestamp|datetime)")),
    (FieldKind.DATE, re.compile(r"^date$")),
    (FieldKind.BOOLEAN, re.compile(r"^(bool|boolean)$")),
    (
        FieldKind.NUMBER,
        re.compile(
            r"^(u?(tiny|small|big|huge)?int(eger)?\d*|bigint|double( precision)?|float\d*|real"
            r"|decimal|numeric|number)"
        ),
    ),
    (FieldKind.STRING, re.compile(r"^(varchar|text|string|char|character|nvarchar)")),
)


def kind_of(data_type: str) -> FieldKind:
    normalized = data_type.strip().lower()
    for kind, pattern in _KIND_PATTERNS:
        if pattern.match(normalized):
            return kind
    return FieldKind.OTHER


@dataclass(frozen=True)
class Field:
    name: str
    kind: FieldKind
    data_type: str
    model: str


@dataclass(frozen=True)
class FieldCatalog:
    fields: dict[str, Field]
    event_types: tuple[str, ...]

    def get(self, name: str) -> Field | None:
        return self.fields.get(name)


class CatalogError(RuntimeError):
    """The marts' YAML does not describe what segments need (a missing model or data_type)."""


def _model_entries(models_dir: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    for path in sorted(models_dir.rglob("*.yml")):
        document = yaml.safe_load(path.read_text()) or {}
        if not isinstance(document, dict):
            continue
        for model in document.get("models") or []:
            if isinstance(model, dict) and "name" in model:
                yield path, model


def _accepted_values(column: dict[str, Any]) -> tuple[str, ...] | None:
    for test in (column.get("data_tests") or []) + (column.get("tests") or []):
        if isinstance(test, dict) and "accepted_values" in test:
            spec = test["accepted_values"] or {}
            values = (spec.get("arguments") or {}).get("values") or spec.get("values")
            if values:
                return tuple(str(value) for value in values)
    return None


def load_catalog(models_dir: Path) -> FieldCatalog:
    """Read field names and types of `customers` + `customer_traits` (and `customer_predictions`
    when present) under `models_dir`; a name already taken by an earlier model is skipped."""
    entries = {model["name"]: (path, model) for path, model in _model_entries(models_dir)}
    fields: dict[str, Field] = {}
    for model_name in (*FIELD_MODELS, *OPTIONAL_FIELD_MODELS):
        if model_name not in entries:
            if model_name in OPTIONAL_FIELD_MODELS:
                continue
            raise CatalogError(f"no YAML properties for model '{model_name}' under {models_dir}")
        path, model = entries[model_name]
        for column in model.get("columns") or []:
            name = column.get("name")
            data_type = column.get("data_type")
            if not name or name in fields:
                continue
            if not data_type:
                raise CatalogError(f"{path}: {model_name}.{name} declares no data_type")
            fields[name] = Field(name, kind_of(str(data_type)), str(data_type), model_name)
    event_types: tuple[str, ...] | None = None
    if EVENTS_MODEL in entries:
        for column in entries[EVENTS_MODEL][1].get("columns") or []:
            if column.get("name") == "event_type":
                event_types = _accepted_values(column)
    return FieldCatalog(fields=fields, event_types=event_types or CONTRACT_EVENT_TYPES)
