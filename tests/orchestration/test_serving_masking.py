"""The analysts' copy of the built S sample holds no raw email or phone number anywhere, and its
hashes still join the people across tables. The scan's patterns are written here, apart from the
ones the publish uses, so a gap in those cannot hide itself."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration.serving import publish_serving_copy

pytestmark = pytest.mark.slow

EMAIL = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+\.[A-Za-z0-9.-]+"
ALONE = (r"(^|[^0-9A-Za-z])", r"($|[^0-9A-Za-z])")
"""A phone number stands on its own, not inside a longer id or a hex hash."""
PHONES = {
    "vn national 0xxxxxxxxx, spaced or dotted": r"0[1-9][0-9]([ .-]?[0-9]){7,8}".join(ALONE),
    "vn international +84, 84, (+84)": r"\(?\+?84\)?[ .-]?[1-9][0-9]([ .-]?[0-9]){7,8}".join(ALONE),
    "any E.164 or grouped +country number": r"\+[1-9]([ ().-]{0,2}[0-9]){7,14}",
}


@pytest.fixture(scope="module")
def published(built_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("serving")
    warehouse = folder / "cdp.duckdb"
    shutil.copy(built_warehouse, warehouse)
    snapshot = publish_serving_copy(warehouse, folder / "serving.duckdb", restricted=True)
    assert snapshot.restricted_path is not None
    return snapshot.path, snapshot.restricted_path


def _text_columns(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    """Every varchar column of every table and view."""
    return con.execute(
        "select table_schema, table_name, column_name from information_schema.columns"
        " where table_catalog = current_database() and data_type in ('VARCHAR', 'JSON')"
        " order by 1, 2, 3"
    ).fetchall()


@pytest.mark.parametrize("pattern", [EMAIL, *PHONES.values()], ids=["email", *PHONES])
def test_no_varchar_column_of_the_masked_copy_holds_an_email_or_phone(
    published: tuple[Path, Path], pattern: str
) -> None:
    masked, restricted = published
    found = {}
    for copy in (masked, restricted):
        with duckdb.connect(str(copy), read_only=True) as con:
            columns = _text_columns(con)
            hits = 0
            for schema, table, column in columns:
                hits += con.execute(
                    f'select count(*) from "{schema}"."{table}"'
                    f' where regexp_matches("{column}", ?)',
                    [pattern],
                ).fetchone()[0]
            found[copy] = (len(columns), hits)
    assert found[masked][0] > 50
    assert found[masked][1] == 0
    assert found[restricted][1] > 0


def test_raw_values_of_the_restricted_copy_appear_nowhere_in_the_masked_one(
    published: tuple[Path, Path],
) -> None:
    masked, restricted = published
    with duckdb.connect(str(restricted), read_only=True) as con:
        secrets = [
            value
            for (value,) in con.execute(
                "select value from (select email as value from marts.customers union all"
                " select phone from marts.customers union all"
                " select last_name from marts.customers where length(last_name) > 5)"
                " where value is not null order by hash(value) limit 300"
            ).fetchall()
        ]
    any_secret = "|".join(re.escape(value) for value in secrets)
    with duckdb.connect(str(masked), read_only=True) as con:
        hits = sum(
            con.execute(
                f'select count(*) from "{schema}"."{table}" where regexp_matches("{column}", ?)',
                [any_secret],
            ).fetchone()[0]
            for schema, table, column in _text_columns(con)
        )
    assert len(secrets) == 300
    assert hits == 0


def test_hashed_people_still_join_across_marts(published: tuple[Path, Path]) -> None:
    masked, restricted = published
    query = (
        "select count(distinct c.customer_id) from marts.customers c"
        " join marts.customer_identifiers i on i.identifier_type = 'email'"
        " and {left} = {right}"
    )
    with duckdb.connect(str(restricted), read_only=True) as con:
        raw = con.execute(
            query.format(left="lower(trim(c.email))", right="lower(trim(i.identifier_value))")
        ).fetchone()
        distinct_raw = con.execute("select count(distinct email) from marts.customers").fetchone()
    with duckdb.connect(str(masked), read_only=True) as con:
        hashed = con.execute(query.format(left="c.email", right="i.identifier_value")).fetchone()
        distinct_hashed = con.execute(
            "select count(distinct email) from marts.customers"
        ).fetchone()
    assert hashed == raw
    assert raw[0] > 100
    assert distinct_hashed == distinct_raw


def test_only_the_analysts_layers_reach_the_masked_copy(published: tuple[Path, Path]) -> None:
    masked, restricted = published
    query = (
        "select distinct table_schema from information_schema.tables"
        " where table_catalog = current_database()"
    )
    with duckdb.connect(str(masked), read_only=True) as con:
        analysts = {schema for (schema,) in con.execute(query).fetchall()}
    with duckdb.connect(str(restricted), read_only=True) as con:
        everything = {schema for (schema,) in con.execute(query).fetchall()}
    assert analysts == {"marts", "segments", "reference"}
    assert {"staging", "intermediate", "raw_hubspot"} <= everything
