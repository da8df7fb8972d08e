"""Turns a checked rule tree into a dbt model: portable SQL with dbt's cross-database macros.

Each condition compiles to a boolean that is never NULL (field comparisons are wrapped in
`coalesce(..., false)`), so `not` is always the exact complement: "not in Vietnam" includes
customers whose country is unknown, while `country != 'VN'` does not match them.

Fields of `customer_predictions` come through a left join, added only when the rule uses one: a
customer without a prediction row (no order yet, or the latest fit was refused) has null there,
so every comparison on it is false, `is null` is true, and `not (churn_risk = 'high')` includes
them.

Relative windows are measured from the project's `as_of()` macro (the dbt var `as_of`, default: the
run's current timestamp).
An event window of D days includes an event exactly D days before `as_of` and excludes events
after `as_of`.
"""

from __future__ import annotations

from datetime import date, datetime

from activation.segments.catalog import EVENTS_MODEL, PREDICTIONS_MODEL, TRAITS_MODEL, FieldKind
from activation.segments.spec import (
    AllOf,
    AnyOf,
    DaysAgo,
    EventCondition,
    FieldCondition,
    Not,
    Rule,
    Scalar,
    SegmentCondition,
    SegmentSpec,
    field_models,
)

CUSTOMER_ALIAS = "c"
TRAITS_ALIAS = "t"
PREDICTIONS_ALIAS = "p"
_ALIASES = {TRAITS_MODEL: TRAITS_ALIAS, PREDICTIONS_MODEL: PREDICTIONS_ALIAS}
INDENT = "    "


def _jinja_safe(sql_literal: str) -> str:
    if any(marker in sql_literal for marker in ("{", "}", "#")):
        return "{% raw %}" + sql_literal + "{% endraw %}"
    return sql_literal


def _text(value: str) -> str:
    return _jinja_safe("'" + value.replace("'", "''") + "'")


def _jinja_string(sql: str) -> str:
    """A Jinja string literal holding `sql`, for passing SQL text into a dbt macro call."""
    return '"' + sql.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _literal(value: Scalar, kind: FieldKind) -> str:
    if isinstance(value, DaysAgo):
        moment = f"{{{{ dbt.dateadd('day', {-value.days}, as_of()) }}}}"
        return f"cast({moment} as date)" if kind is FieldKind.DATE else moment
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, datetime):
        return f"cast('{value.isoformat(sep=' ')}' as {{{{ dbt.type_timestamp() }}}})"
    if isinstance(value, date):
        if kind is FieldKind.TIMESTAMP:
            return f"cast('{value.isoformat()} 00:00:00' as {{{{ dbt.type_timestamp() }}}})"
        return f"cast('{value.isoformat()}' as date)"
    return _text(value)


def _column(condition: FieldCondition) -> str:
    alias = _ALIASES.get(condition.model, CUSTOMER_ALIAS)
    return f"{alias}.{condition.field}"


def _rank(condition: FieldCondition) -> str:
    direction = "desc" if condition.op == "top percent" else "asc"
    share = float(condition.value) / 100  # type: ignore[arg-type]
    return (
        f"{CUSTOMER_ALIAS}.customer_id in (\n"
        f"{INDENT}select ranked.customer_id from (\n"
        f"{INDENT * 2}select r.customer_id, "
        f"cume_dist() over (order by r.{condition.field} {direction}) as share\n"
        f"{INDENT * 2}from {{{{ ref('{condition.model}') }}}} as r\n"
        f"{INDENT * 2}where r.{condition.field} is not null\n"
        f"{INDENT}) as ranked\n"
        f"{INDENT}where ranked.share <= {share!r}\n"
        ")"
    )


def _field(condition: FieldCondition) -> str:
    column = _column(condition)
    op, value, kind = condition.op, condition.value, condition.kind
    if op == "is null":
        return f"{column} is null"
    if op == "is not null":
        return f"{column} is not null"
    if op in ("top percent", "bottom percent"):
        return _rank(condition)
    if op in ("in", "not in"):
        items = ", ".join(_literal(item, kind) for item in value)  # type: ignore[union-attr]
        expression = f"{column} {op} ({items})"
    elif op == "between":
        low, high = value  # type: ignore[misc]
        expression = f"{column} between {_literal(low, kind)} and {_literal(high, kind)}"
    elif op == "contains":
        needle = _jinja_string("lower('" + str(value).replace("'", "''") + "')")
        expression = f"{{{{ dbt.position({needle}, {_jinja_string(f'lower({column})')}) }}}} > 0"
    else:
        expression = f"{column} {'<>' if op == '!=' else op} {_literal(value, kind)}"  # type: ignore[arg-type]
    return f"coalesce({expression}, false)"


def _event(condition: EventCondition) -> str:
    filters = [
        f"e.event_type = {_text(condition.event_type)}",
        "e.customer_id is not null",
        "e.occurred_at <= {{ as_of() }}",
    ]
    if condition.source is not None:
        filters.append(f"e.source = {_text(condition.source)}")
    if condition.in_last_days is not None:
        start = f"{{{{ dbt.dateadd('day', {-condition.in_last_days}, as_of()) }}}}"
        filters.append(f"e.occurred_at >= {start}")
    where = f"\n{INDENT * 2}and ".join(filters)
    return (
        f"{CUSTOMER_ALIAS}.customer_id {'not in' if condition.negated else 'in'} (\n"
        f"{INDENT}select e.customer_id\n"
        f"{INDENT}from {{{{ ref('{EVENTS_MODEL}') }}}} as e\n"
        f"{INDENT}where {where}\n"
        f"{INDENT}group by e.customer_id\n"
        f"{INDENT}having count(*) >= {condition.at_least}\n"
        ")"
    )


def _indent(text: str) -> str:
    return "\n".join(INDENT + line if line else line for line in text.splitlines())


def render_rule(rule: Rule) -> str:
    """SQL boolean for one rule node over aliases c (customers), t (customer_traits) and
    p (customer_predictions)."""
    if isinstance(rule, AllOf | AnyOf):
        joiner = "\nand " if isinstance(rule, AllOf) else "\nor "
        return "(\n" + _indent(joiner.join(render_rule(child) for child in rule.children)) + "\n)"
    if isinstance(rule, Not):
        return "not (\n" + _indent(render_rule(rule.child)) + "\n)"
    if isinstance(rule, FieldCondition):
        return _field(rule)
    if isinstance(rule, EventCondition):
        return _event(rule)
    if isinstance(rule, SegmentCondition):
        return (
            f"{CUSTOMER_ALIAS}.customer_id in "
            f"(select s.customer_id from {{{{ ref('{rule.segment}') }}}} as s)"
        )
    raise TypeError(f"unknown rule node {rule!r}")


def render_segment_query(spec: SegmentSpec) -> str:
    """The select behind a segment: one row per member `customer_id` (dbt Jinja, no config)."""
    joins = [TRAITS_MODEL]
    if PREDICTIONS_MODEL in field_models(spec.rule):
        joins.append(PREDICTIONS_MODEL)
    joined = "".join(
        f"left join {{{{ ref('{model}') }}}} as {_ALIASES[model]}\n"
        f"{INDENT}on {_ALIASES[model]}.customer_id = {CUSTOMER_ALIAS}.customer_id\n"
        for model in joins
    )
    return (
        f"select {CUSTOMER_ALIAS}.customer_id\n"
        f"from {{{{ ref('customers') }}}} as {CUSTOMER_ALIAS}\n"
        f"{joined}"
        f"where\n{_indent(render_rule(spec.rule))}\n"
    )


PREDICTIONS_ENABLED = "predictions_enabled()"
"""dbt macro: true where the predictions models build (not on the Spark target)."""


def render_segment_model(spec: SegmentSpec, source: str, needs_predictions: bool = False) -> str:
    """The whole generated model for one spec; `source` is the spec's path as shown to readers.
    A segment that needs predictions (directly or through a segment it refers to) is disabled
    where the predictions models are."""
    enabled = f", enabled={PREDICTIONS_ENABLED}" if needs_predictions else ""
    return (
        f"{{{{ config(materialized='view', schema='segments', tags=['segment']{enabled}) }}}}\n"
        f"-- Generated by `cdp segments compile` from {source}. Do not edit: edit the spec.\n"
        + render_segment_query(spec)
    )
