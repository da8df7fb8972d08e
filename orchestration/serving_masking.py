"""Turn a copy of the warehouse into the analysts' masked copy: same schemas, tables and views, with
every column that holds personal data replaced by a sha256 hash of its normalized value.

Which columns are personal is decided from the schema, not from a hand list of tables: a column's
name says what it holds (`email`, `phone_number`, `vnp_bill_firstname`, `raw_text`, `payload`...).
Names alone would let a new column slip through (a new export field, a new mart), so after masking
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

import re
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


@dataclass(frozen=True)
class MaskedCopy:
    tables: int
    views: int
    masked_columns: tuple[str, ...]
    scanned_columns: int


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


def write_masked_copy(con: duckdb.DuckDBPyConnection, source: str) -> MaskedCopy:
    """Fill the empty database `con` is connected to from the attached catalog `source`.

    One statement per table reads it once, checks every text column left in clear for emails and
    phones, masks the personal ones and writes the result (`create table as select` whose filter
    raises on the first suspicious value). Views are recreated from their SQL, so they read the
    masked tables. Raises UnmaskedPiiError, naming every leaking column of the table and how many
    rows, when a value in clear looks like an email or a phone number.
    """
    columns = _columns(con, source)
    tables = sorted({(c.schema, c.table) for c in columns})
    masked: list[str] = []
    scanned = 0
    for schema, table in tables:
        selects, clear_text = [], []
        for column in (c for c in columns if (c.schema, c.table) == (schema, table)):
            kind = classify(column)
            if kind is None:
                selects.append(_quote(column.name))
                clear_text += [column] if column.is_text else []
            else:
                selects.append(f"{masked_sql(column, kind)} as {_quote(column.name)}")
                masked.append(column.ref)
        scanned += len(clear_text)
        con.execute(f"create schema if not exists {_quote(schema)}")
        try:
            con.execute(
                f"create table {_quote(schema)}.{_quote(table)} as select {', '.join(selects)}"
                f" from {_quote(source)}.{_quote(schema)}.{_quote(table)}"
                f" where {_no_pii_sql(clear_text)}",
                {"pattern": PII_PATTERN} if clear_text else None,
            )
        except duckdb.InvalidInputException as exc:
            if LEAK_MARKER not in str(exc):
                raise
            leaks = scan_for_raw_pii(con, clear_text, catalog=source)
            raise UnmaskedPiiError(
                "values that look like emails or phone numbers in columns no masking rule covers "
                "(add a rule in orchestration/serving_masking.py NAME_RULES): "
                + ", ".join(f"{ref} ({rows} rows)" for ref, rows in leaks)
            ) from None
    views = _recreate_views(con, source)
    return MaskedCopy(
        tables=len(tables), views=views, masked_columns=tuple(masked), scanned_columns=scanned
    )


LEAK_MARKER = "unmasked personal data in"


def _no_pii_sql(columns: list[Column]) -> str:
    """A row filter that keeps every row and raises on the first clear value looking like PII."""
    if not columns:
        return "true"
    checks = " ".join(
        f"when regexp_matches(cast({_quote(c.name)} as varchar), $pattern)"
        f" then error('{LEAK_MARKER} {c.ref.replace(chr(39), chr(39) * 2)}')"
        for c in columns
    )
    return f"case {checks} else true end"


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


def text_columns(con: duckdb.DuckDBPyConnection, catalog: str) -> list[Column]:
    """Every text column of every base table in `catalog`."""
    return [c for c in _columns(con, catalog) if c.is_text]


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


def _recreate_views(con: duckdb.DuckDBPyConnection, source: str) -> int:
    """Views as they were defined; one may read another, so retry until all are created."""
    views = con.execute(
        "select schema_name, sql from duckdb_views() where database_name = $source"
        " and not internal order by schema_name, view_name",
        {"source": source},
    ).fetchall()
    for schema in sorted({schema for schema, _ in views}):
        con.execute(f"create schema if not exists {_quote(schema)}")
    pending = [sql for _, sql in views]
    created = 0
    while pending:
        failed = []
        for sql in pending:
            try:
                con.execute(sql)
                created += 1
            except duckdb.CatalogException:
                failed.append(sql)
        if len(failed) == len(pending):
            raise MaskingError(f"{len(failed)} views do not bind in the masked copy")
        pending = failed
    return created


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'
