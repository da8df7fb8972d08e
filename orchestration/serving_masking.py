"""How the warehouse's analysts' layers (ANALYST_SCHEMAS) become the analysts' masked copy: same
tables and views, with every column that holds personal data replaced by a sha256 hash of its
normalized value.

Which columns are personal is decided from the schema, not from a hand list of tables: a column's
name says what it holds (`email`, `phone_number`, `vnp_bill_firstname`, `raw_text`, `payload`...).
Names alone would let a new column slip through (a new export field, a new mart), so while masking
every text column left in clear is scanned for values that look like an email address or a phone
number (Vietnamese `0xxxxxxxxx`, `+84…`, `84…`, any `+<country>` number); a hit fails the publish
and names the column, never its values. Rules and their reasons: docs/privacy.md, "Masked serving".

Hashes are sha256 in lower-case hex of the normalized value (emails and names trimmed and lower
case, phones in E.164), so analysts can still join and count distinct people across tables, and
match what the ad platforms receive. A hash of an email is pseudonymous, not anonymous: whoever
holds a list of addresses can test them, so the masked copy is still personal data to be kept in
the company.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection
from dataclasses import dataclass
from enum import Enum

import duckdb

EMAIL_PATTERN = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
"""An email address anywhere in a value."""

PHONE_PATTERN = (
    r"(^|[^0-9A-Za-z+])("
    r"(\(?\+?84\)?|0)[ .-]?[1-9][0-9]([ .-]?[0-9]){7,8}"  # Vietnam: 0912 345 678, +84 912…, 84912…
    r"|\+[1-9]([ .()-]{0,2}[0-9]){7,14}"  # any country in international form: +1 (415) 555-0134
    r")($|[^0-9A-Za-z])"
)
"""A phone number standing on its own (not digits inside a longer id or a hex hash)."""

PII_PATTERN = f"({EMAIL_PATTERN})|({PHONE_PATTERN})"

DEFAULT_CALLING_CODE = "84"
"""National numbers (leading 0) are read as Vietnamese, like the dbt var phone_default_region."""

TEXT_TYPES = ("VARCHAR", "JSON")

ANALYST_SCHEMAS = frozenset({"marts", "segments", "reference", "activation"})
"""What the analysts' copy holds: the layers analysts query (marts and predictions, segments,
reference seeds, the syncs' logs). Raw, staging, intermediate and dlt's load schemas are most of
the warehouse's bytes and nearly all of its personal data, read only to debug the pipeline: they
stay in the restricted copy. A list of what to include, not of what to leave out, so a schema
added later reaches analysts only by a reviewed change here (docs/serving.md)."""


class PiiKind(Enum):
    EMAIL = "email"
    PHONE = "phone"
    NAME = "name"
    IDENTIFIER = "identifier"
    FREE_TEXT = "free_text"


NAME_RULES: tuple[tuple[PiiKind, re.Pattern[str]], ...] = (
    (PiiKind.EMAIL, re.compile(r"email")),
    (PiiKind.PHONE, re.compile(r"phone|mobile|msisdn|(^|_)tel($|_)")),
    (
        PiiKind.NAME,
        re.compile(
            r"(^|_)(first|last|full|given|family|middle|sur|display)_?name"
            r"|^name$|__name$|(^|_)owner$"
        ),
    ),
    (
        PiiKind.IDENTIFIER,
        re.compile(r"^identifier_value$|(^|_)(identifier|component)_key$|^member_key$|^euid$"),
    ),
    (
        PiiKind.FREE_TEXT,
        re.compile(
            r"^raw_text$|payload|(^|_)notes?$|reason_other$|(^|_)line[12]$|street"
            r"|(^|_)ip$|latitude|longitude"
        ),
    ),
)
"""Column name (lower case) -> what it holds; the first rule that matches wins. Only text
columns are classified (`email_sends_30d` is a count), except phones, which some exports send as
JSON numbers."""


class MaskingError(RuntimeError):
    """The masked copy could not be built faithfully."""


class UnmaskedPiiError(MaskingError):
    """A text column that no rule classifies holds values that look like emails or phones."""


@dataclass(frozen=True)
class Column:
    schema: str
    table: str
    name: str
    data_type: str

    @property
    def is_text(self) -> bool:
        return self.data_type.upper() in TEXT_TYPES

    @property
    def ref(self) -> str:
        return f"{self.schema}.{self.table}.{self.name}"


def classify(column: Column) -> PiiKind | None:
    """What personal data the column holds, judged from its name and type; None if none."""
    name = column.name.lower()
    for kind, pattern in NAME_RULES:
        if not pattern.search(name):
            continue
        if column.is_text or (kind is PiiKind.PHONE and "INT" in column.data_type.upper()):
            return kind
    return None


def masked_sql(column: Column, kind: PiiKind) -> str:
    """The expression replacing `column` in the masked copy (null stays null)."""
    value = f"cast({_quote(column.name)} as varchar)"
    if kind is PiiKind.PHONE:
        normalized = _e164_sql(value)
    elif kind is PiiKind.FREE_TEXT:
        normalized = value
    else:
        normalized = f"lower(trim({value}))"
    return f"sha256({normalized})"


def _e164_sql(value: str) -> str:
    digits = f"regexp_replace(trim({value}), '[^0-9+]', '', 'g')"
    return (
        f"(case when {digits} like '+%' then '+' || replace({digits}, '+', '')"
        f" when {digits} like '00%' then '+' || substr({digits}, 3)"
        f" when {digits} like '{DEFAULT_CALLING_CODE}%' and length({digits}) >= 11"
        f" then '+' || {digits}"
        f" when {digits} like '0%' then '+{DEFAULT_CALLING_CODE}' || substr({digits}, 2)"
        f" else {digits} end)"
    )


@dataclass(frozen=True)
class TablePlan:
    """How one table of the source becomes its analysts' version."""

    schema: str
    table: str
    columns: tuple[Column, ...]
    selects: tuple[str, ...]
    masked_columns: tuple[str, ...]
    clear_text: tuple[Column, ...]

    @property
    def recipe(self) -> str:
        """Everything that decides the masked table apart from the source's rows: its columns
        and types, their expressions and the leak pattern. A table published under another
        recipe (a new NAME_RULES entry, a new column or type) is never reused or patched."""
        parts = [
            *(f"{c.ref} {c.data_type}" for c in self.columns),
            *self.selects,
            *(c.ref for c in self.clear_text),
            PII_PATTERN,
        ]
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def plan_tables(
    con: duckdb.DuckDBPyConnection, source: str, schemas: Collection[str]
) -> list[TablePlan]:
    """A plan for every base table of `schemas` in the attached catalog `source`."""
    by_table: dict[tuple[str, str], list[Column]] = {}
    for column in _columns(con, source):
        if column.schema in schemas:
            by_table.setdefault((column.schema, column.table), []).append(column)
    plans = []
    for (schema, table), columns in sorted(by_table.items()):
        selects, masked, clear_text = [], [], []
        for column in columns:
            kind = classify(column)
            if kind is None:
                selects.append(_quote(column.name))
                clear_text += [column] if column.is_text else []
            else:
                selects.append(f"{masked_sql(column, kind)} as {_quote(column.name)}")
                masked.append(column.ref)
        plans.append(
            TablePlan(
                schema, table, tuple(columns), tuple(selects), tuple(masked), tuple(clear_text)
            )
        )
    return plans


def write_masked_table(con: duckdb.DuckDBPyConnection, source: str, plan: TablePlan) -> None:
    """Read the table once, check every text column left in clear for emails and phones, mask
    the personal ones and write the result: one `create table as select` whose filter raises on
    the first suspicious value. Raises UnmaskedPiiError, naming every leaking column of the table
    and how many rows, never the values."""
    name = f"{_quote(plan.schema)}.{_quote(plan.table)}"
    con.execute(f"create schema if not exists {_quote(plan.schema)}")
    _checked(
        con,
        source,
        plan,
        f"create table {name} as select {', '.join(plan.selects)}"
        f" from {_quote(source)}.{name} where {_no_pii_sql(plan)}",
    )


def insert_masked_rows(
    con: duckdb.DuckDBPyConnection, source: str, plan: TablePlan, rows: str
) -> None:
    """Append `rows`, a relation already in the masked table's shape, to the masked table,
    checking its clear text exactly as write_masked_table does."""
    name = f"{_quote(plan.schema)}.{_quote(plan.table)}"
    sql = f"insert into {name} select * from {rows} where {_no_pii_sql(plan)}"
    _checked(con, source, plan, sql)


def _checked(con: duckdb.DuckDBPyConnection, source: str, plan: TablePlan, sql: str) -> None:
    try:
        con.execute(sql, {"pattern": PII_PATTERN} if plan.clear_text else None)
    except duckdb.InvalidInputException as exc:
        if LEAK_MARKER not in str(exc):
            raise
        leaks = scan_for_raw_pii(con, list(plan.clear_text), catalog=source)
        raise UnmaskedPiiError(
            "values that look like emails or phone numbers in columns no masking rule covers "
            "(add a rule in orchestration/serving_masking.py NAME_RULES): "
            + ", ".join(f"{ref} ({rows} rows)" for ref, rows in leaks)
        ) from None


LEAK_MARKER = "unmasked personal data in"


def _no_pii_sql(plan: TablePlan) -> str:
    """A row filter that keeps every row and raises on the first row whose clear text looks like
    PII. The pattern runs once per row over the row's clear values joined by newlines, not once
    per column (40% less at M): no character class of PII_PATTERN admits a newline except the
    phone's boundaries, where a newline stands exactly where the value's start or end would, so
    the joined text matches if and only if one of its values does."""
    if not plan.clear_text:
        return "true"
    values = ", ".join(f"cast({_quote(c.name)} as varchar)" for c in plan.clear_text)
    table = f"{plan.schema}.{plan.table}".replace("'", "''")
    return (
        f"case when regexp_matches(concat_ws(chr(10), {values}), $pattern)"
        f" then error('{LEAK_MARKER} {table}') else true end"
    )


def scan_for_raw_pii(
    con: duckdb.DuckDBPyConnection, columns: list[Column], catalog: str | None = None
) -> list[tuple[str, int]]:
    """(column, matching rows) for every column holding a value that looks like an email or a
    phone number. One query per table, every column counted in the same pass."""
    found: list[tuple[str, int]] = []
    by_table: dict[tuple[str, str], list[Column]] = {}
    for column in columns:
        by_table.setdefault((column.schema, column.table), []).append(column)
    prefix = f"{_quote(catalog)}." if catalog else ""
    for (schema, table), table_columns in by_table.items():
        counts = ", ".join(
            f"count(*) filter (where regexp_matches(cast({_quote(c.name)} as varchar), $pattern))"
            for c in table_columns
        )
        row = con.execute(
            f"select {counts} from {prefix}{_quote(schema)}.{_quote(table)}",
            {"pattern": PII_PATTERN},
        ).fetchone()
        found += [
            (column.ref, int(hits))
            for column, hits in zip(table_columns, row or (), strict=True)
            if hits
        ]
    return found


def _columns(con: duckdb.DuckDBPyConnection, catalog: str) -> list[Column]:
    rows = con.execute(
        "select c.table_schema, c.table_name, c.column_name, c.data_type"
        " from information_schema.columns as c"
        " join information_schema.tables as t using (table_catalog, table_schema, table_name)"
        " where c.table_catalog = $catalog and t.table_type = 'BASE TABLE'"
        " order by c.table_schema, c.table_name, c.ordinal_position",
        {"catalog": catalog},
    ).fetchall()
    return [Column(*row) for row in rows]


def drop_views(con: duckdb.DuckDBPyConnection) -> None:
    """Every view of the database `con` is connected to: a copy of the previous analysts' copy
    gets the source's views anew, and a name that became a table must be free first."""
    existing = con.execute(
        "select schema_name, view_name from duckdb_views()"
        " where database_name = current_database() and not internal"
    ).fetchall()
    for schema, view in existing:
        con.execute(f"drop view {_quote(schema)}.{_quote(view)}")


def recreate_views(con: duckdb.DuckDBPyConnection, source: str, schemas: Collection[str]) -> None:
    """Create the views of `schemas` in `source` as they were defined, so they read the masked
    tables. One view may read another, so retry until all are created; a view that reads a table
    outside the copy fails the publish."""
    views = con.execute(
        "select schema_name, view_name, sql from duckdb_views() where database_name = $source"
        " and not internal order by schema_name, view_name",
        {"source": source},
    ).fetchall()
    views = [view for view in views if view[0] in schemas]
    for schema in sorted({schema for schema, _, _ in views}):
        con.execute(f"create schema if not exists {_quote(schema)}")
    pending = views
    while pending:
        failed = []
        for schema, view, sql in pending:
            try:
                con.execute(sql)
            except duckdb.CatalogException:
                failed.append((schema, view, sql))
        if len(failed) == len(pending):
            names = ", ".join(f"{schema}.{view}" for schema, view, _ in failed)
            raise MaskingError(f"views that do not bind in the masked copy: {names}")
        pending = failed


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'
