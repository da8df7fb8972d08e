"""Segment specs: the YAML a marketer writes, parsed into a checked rule tree.

Every check that can be done without data happens here, against the field catalog, so a bad spec
fails with the file, segment and field named instead of surfacing later as a SQL error.

    name: vietnam_repeat_buyers
    description: Buyers in Vietnam with two or more orders.
    owner: growth-vn@example.com
    rules:
      all:
        - {field: country, op: "=", value: VN}
        - {did: order, at_least: 2, in_last_days: 365}
        - not: {in_segment: vip_customers}
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from activation.segments.catalog import FieldCatalog, FieldKind
from activation.segments.errors import SpecProblem

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
TOP_LEVEL_KEYS = ("name", "description", "owner", "rules")

COMPARISONS = ("=", "!=", ">", ">=", "<", "<=")
NULL_OPERATORS = ("is null", "is not null")
LIST_OPERATORS = ("in", "not in")
RANK_OPERATORS = ("top percent", "bottom percent")
OPERATORS = (*COMPARISONS, "between", *LIST_OPERATORS, "contains", *NULL_OPERATORS, *RANK_OPERATORS)

ALLOWED_OPERATORS: dict[FieldKind, tuple[str, ...]] = {
    FieldKind.NUMBER: (*COMPARISONS, "between", *LIST_OPERATORS, *NULL_OPERATORS, *RANK_OPERATORS),
    FieldKind.STRING: ("=", "!=", *LIST_OPERATORS, "contains", *NULL_OPERATORS),
    FieldKind.BOOLEAN: ("=", "!=", *NULL_OPERATORS),
    FieldKind.DATE: (*COMPARISONS, "between", *NULL_OPERATORS),
    FieldKind.TIMESTAMP: (*COMPARISONS, "between", *NULL_OPERATORS),
    FieldKind.OTHER: NULL_OPERATORS,
}


@dataclass(frozen=True)
class DaysAgo:
    """A point in time relative to the run's `as_of`, so specs never hard-code dates."""

    days: int


Scalar = str | int | float | bool | date | datetime | DaysAgo
Value = Scalar | tuple[Scalar, ...] | None


@dataclass(frozen=True)
class AllOf:
    children: tuple[Rule, ...]


@dataclass(frozen=True)
class AnyOf:
    children: tuple[Rule, ...]


@dataclass(frozen=True)
class Not:
    child: Rule


@dataclass(frozen=True)
class FieldCondition:
    field: str
    model: str
    kind: FieldKind
    op: str
    value: Value


@dataclass(frozen=True)
class EventCondition:
    """Did (or did not) do `event_type` (from `source`, if given) at least `at_least` times within
    the last `in_last_days` (ever, if not given)."""

    event_type: str
    at_least: int
    in_last_days: int | None
    negated: bool
    source: str | None = None


@dataclass(frozen=True)
class SegmentCondition:
    segment: str
    path: str


Rule = AllOf | AnyOf | Not | FieldCondition | EventCondition | SegmentCondition


def field_models(rule: Rule) -> set[str]:
    """The marts models whose fields the rule tests (not those of segments it refers to)."""
    if isinstance(rule, AllOf | AnyOf):
        return {model for child in rule.children for model in field_models(child)}
    if isinstance(rule, Not):
        return field_models(rule.child)
    return {rule.model} if isinstance(rule, FieldCondition) else set()


@dataclass(frozen=True)
class SegmentSpec:
    name: str
    description: str
    owner: str
    rule: Rule
    file: Path


class _Parser:
    """Walks one spec document, collecting every problem rather than stopping at the first."""

    def __init__(self, file: Path, segment: str, catalog: FieldCatalog) -> None:
        self.file = file
        self.segment = segment
        self.catalog = catalog
        self.problems: list[SpecProblem] = []

    def problem(self, message: str, path: str, field: str | None = None) -> None:
        self.problems.append(SpecProblem(self.file, self.segment, message, path, field))

    def rule(self, node: Any, path: str) -> Rule | None:
        if not isinstance(node, dict) or not node:
            self.problem(f"a rule must be a mapping, got {node!r}", path)
            return None
        if "field" in node:
            return self.field_condition(node, path)
        if "did" in node or "did_not" in node:
            return self.event_condition(node, path)
        if "in_segment" in node:
            return self.segment_condition(node, path)
        groups = [key for key in ("all", "any", "not") if key in node]
        if len(groups) != 1 or len(node) != 1:
            self.problem(
                f"unknown rule with keys {sorted(map(str, node))}; expected exactly one of "
                "all / any / not, or a condition with field, did, did_not or in_segment",
                path,
            )
            return None
        key = groups[0]
        if key == "not":
            child = self.rule(node["not"], f"{path}.not")
            return Not(child) if child is not None else None
        items = node[key]
        if not isinstance(items, list) or not items:
            self.problem(f"'{key}' needs a non-empty list of rules", f"{path}.{key}")
            return None
        children = [self.rule(item, f"{path}.{key}[{i}]") for i, item in enumerate(items)]
        if any(child is None for child in children):
            return None
        parsed = tuple(child for child in children if child is not None)
        return AllOf(parsed) if key == "all" else AnyOf(parsed)

    def unknown_keys(
        self, node: dict[str, Any], allowed: set[str], path: str, field: str | None
    ) -> bool:
        extra = sorted(str(key) for key in node if key not in allowed)
        if extra:
            self.problem(f"unknown keys {extra} (allowed: {sorted(allowed)})", path, field)
        return bool(extra)

    def field_condition(self, node: dict[str, Any], path: str) -> FieldCondition | None:
        name = node["field"]
        if not isinstance(name, str):
            self.problem(f"field must be a name, got {name!r}", path)
            return None
        bad_keys = self.unknown_keys(node, {"field", "op", "value"}, path, name)
        field = self.catalog.get(name)
        if field is None:
            known = ", ".join(sorted(self.catalog.fields))
            self.problem(f"unknown field (known fields: {known})", path, name)
            return None
        op = node.get("op")
        if op not in OPERATORS:
            self.problem(f"unknown operator {op!r} (operators: {', '.join(OPERATORS)})", path, name)
            return None
        allowed = ALLOWED_OPERATORS[field.kind]
        if op not in allowed:
            self.problem(
                f"operator '{op}' does not apply to {field.kind} field of type {field.data_type} "
                f"(allowed: {', '.join(allowed)})",
                path,
                name,
            )
            return None
        value = self.value(node, op, field.kind, field.data_type, path, name)
        if value is _INVALID or bad_keys:
            return None
        return FieldCondition(name, field.model, field.kind, op, value)

    def value(
        self, node: dict[str, Any], op: str, kind: FieldKind, data_type: str, path: str, name: str
    ) -> Any:
        """The checked value for `op`, or _INVALID after recording why."""
        has_value = "value" in node
        raw = node.get("value")
        if op in NULL_OPERATORS:
            if has_value:
                self.problem(f"operator '{op}' takes no value", path, name)
                return _INVALID
            return None
        if not has_value:
            self.problem(f"operator '{op}' needs a value", path, name)
            return _INVALID
        if op in RANK_OPERATORS:
            if isinstance(raw, bool) or not isinstance(raw, int | float) or not 0 < raw <= 100:
                self.problem(f"'{op}' needs a percentage in (0, 100], got {raw!r}", path, name)
                return _INVALID
            return raw
        if op in LIST_OPERATORS:
            if not isinstance(raw, list) or not raw:
                self.problem(f"operator '{op}' needs a non-empty list, got {raw!r}", path, name)
                return _INVALID
            items = [self.scalar(item, kind, data_type, path, name) for item in raw]
            return _INVALID if _INVALID in items else tuple(items)
        if op == "between":
            if not isinstance(raw, list) or len(raw) != 2:
                self.problem(f"'between' needs a list [low, high], got {raw!r}", path, name)
                return _INVALID
            low, high = (self.scalar(item, kind, data_type, path, name) for item in raw)
            if _INVALID in (low, high):
                return _INVALID
            if _comparable(low, high) and low > high:  # type: ignore[operator]
                self.problem(f"'between' bounds are reversed: {raw[0]!r} > {raw[1]!r}", path, name)
                return _INVALID
            return (low, high)
        if op == "contains" and not (isinstance(raw, str) and raw):
            self.problem(f"'contains' needs a non-empty text, got {raw!r}", path, name)
            return _INVALID
        return self.scalar(raw, kind, data_type, path, name)

    def scalar(self, raw: Any, kind: FieldKind, data_type: str, path: str, name: str) -> Any:
        mismatch = f"value {raw!r} does not match the field's type {data_type} ({kind})"
        if kind is FieldKind.NUMBER:
            if isinstance(raw, bool) or not isinstance(raw, int | float):
                self.problem(mismatch, path, name)
                return _INVALID
            return raw
        if kind is FieldKind.STRING:
            if not isinstance(raw, str):
                self.problem(f"{mismatch}; quote it to compare as text", path, name)
                return _INVALID
            return raw
        if kind is FieldKind.BOOLEAN:
            if not isinstance(raw, bool):
                self.problem(f"{mismatch}; use true or false", path, name)
                return _INVALID
            return raw
        return self.moment(raw, kind, mismatch, path, name)

    def moment(self, raw: Any, kind: FieldKind, mismatch: str, path: str, name: str) -> Any:
        if isinstance(raw, dict):
            days = raw.get("days_ago")
            if set(raw) != {"days_ago"} or isinstance(days, bool) or not isinstance(days, int):
                self.problem(f"{mismatch}; a relative time is {{days_ago: N}}", path, name)
                return _INVALID
            if days < 0:
                self.problem(f"days_ago must be 0 or more, got {days}", path, name)
                return _INVALID
            return DaysAgo(days)
        if isinstance(raw, datetime):
            return raw if kind is FieldKind.TIMESTAMP else raw.date()
        if isinstance(raw, date):
            return raw
        if isinstance(raw, str):
            try:
                parsed = datetime.fromisoformat(raw)
            except ValueError:
                self.problem(f"{mismatch}; write an ISO date like 2026-01-31", path, name)
                return _INVALID
            if kind is FieldKind.DATE:
                return parsed.date()
            return parsed
        self.problem(mismatch, path, name)
        return _INVALID

    def positive_int(self, node: dict[str, Any], key: str, path: str, field: str) -> int | None:
        raw = node.get(key)
        if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
            self.problem(f"'{key}' must be a whole number of 1 or more, got {raw!r}", path, field)
            return None
        return raw

    def event_condition(self, node: dict[str, Any], path: str) -> EventCondition | None:
        negated = "did_not" in node
        key = "did_not" if negated else "did"
        event_type = node[key]
        label = f"{key}: {event_type}"
        if "did" in node and "did_not" in node:
            self.problem("a condition has either 'did' or 'did_not', not both", path, label)
            return None
        bad_keys = self.unknown_keys(node, {key, "at_least", "in_last_days", "source"}, path, label)
        if event_type not in self.catalog.event_types:
            self.problem(
                f"unknown event type {event_type!r} "
                f"(event types: {', '.join(self.catalog.event_types)})",
                path,
                label,
            )
            return None
        at_least = self.positive_int(node, "at_least", path, label) if "at_least" in node else 1
        days = self.positive_int(node, "in_last_days", path, label) if "in_last_days" in node else 0
        source = node.get("source")
        if source is not None and not (isinstance(source, str) and source):
            self.problem(f"'source' must be a source system name, got {source!r}", path, label)
            return None
        if at_least is None or days is None or bad_keys:
            return None
        return EventCondition(event_type, at_least, days or None, negated, source)

    def segment_condition(self, node: dict[str, Any], path: str) -> SegmentCondition | None:
        segment = node["in_segment"]
        label = f"in_segment: {segment}"
        if self.unknown_keys(node, {"in_segment"}, path, label):
            return None
        if not isinstance(segment, str) or not NAME_PATTERN.match(segment):
            self.problem(f"in_segment needs a segment name, got {segment!r}", path, label)
            return None
        if segment == self.segment:
            self.problem("a segment cannot contain itself (cycle)", path, label)
            return None
        return SegmentCondition(segment, path)


_INVALID = object()


def _comparable(low: object, high: object) -> bool:
    return type(low) is type(high) and not isinstance(low, DaysAgo)


def parse_spec(file: Path, catalog: FieldCatalog) -> tuple[SegmentSpec | None, list[SpecProblem]]:
    """Parse one spec file; returns the spec, or None with the reasons it is invalid."""
    fallback = file.stem
    try:
        document = yaml.safe_load(file.read_text())
    except yaml.YAMLError as error:
        return None, [SpecProblem(file, fallback, f"not valid YAML: {error}")]
    if not isinstance(document, dict):
        return None, [SpecProblem(file, fallback, "a segment spec must be a YAML mapping")]
    name = document.get("name")
    parser = _Parser(file, name if isinstance(name, str) and name else fallback, catalog)
    extra = sorted(str(key) for key in document if key not in TOP_LEVEL_KEYS)
    if extra:
        parser.problem(f"unknown top-level keys {extra} (allowed: {list(TOP_LEVEL_KEYS)})", "")
    if not isinstance(name, str) or not name:
        parser.problem("missing 'name'", "")
    elif not NAME_PATTERN.match(name):
        parser.problem(
            f"name {name!r} must be lowercase letters, digits and _, starting with a letter", ""
        )
    for key in ("description", "owner"):
        if not isinstance(document.get(key), str) or not document[key].strip():
            parser.problem(f"missing '{key}'", "")
    if "rules" not in document:
        parser.problem("missing 'rules'", "")
        rule = None
    else:
        rule = parser.rule(document["rules"], "rules")
    if parser.problems or rule is None:
        return None, parser.problems
    return SegmentSpec(
        name, document["description"].strip(), document["owner"].strip(), rule, file
    ), []
