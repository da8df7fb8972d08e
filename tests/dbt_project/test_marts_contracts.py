"""The marts other parts rely on, as docs/contracts.md names them, on the built S sample."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from orchestration import settings

pytestmark = pytest.mark.slow

OWNED_MARTS = {
    "customers",
    "customer_traits",
    "customer_events",
    "customer_identifiers",
    "customer_source_records",
    "customer_id_changes",
}


def contract_rows() -> list[tuple[str, list[str], list[str]]]:
    """(table, key columns, other columns) of the marts table in docs/contracts.md."""
    text = (settings.project_root() / "docs" / "contracts.md").read_text()
    section = text.split("## Marts", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[0].startswith("`"):
            continue
        table = cells[0].strip("`")
        if table not in OWNED_MARTS:
            continue
        key = re.findall(r"[a-z_]+", cells[1].replace("`", ""))
        others = [name.strip(" `") for name in re.sub(r"\(.*?\)", "", cells[2]).split(",")]
        rows.append((table, key, [name for name in others if name]))
    return rows


def test_the_contract_lists_every_mart_this_project_owns() -> None:
    assert {table for table, _, _ in contract_rows()} == OWNED_MARTS


@pytest.mark.parametrize(("table", "key", "columns"), contract_rows())
def test_each_mart_has_its_contract_columns_and_a_unique_non_null_key(
    built_warehouse: Path, table: str, key: list[str], columns: list[str]
) -> None:
    with duckdb.connect(str(built_warehouse), read_only=True) as con:
        present = {
            row[0]
            for row in con.execute(
                "select column_name from information_schema.columns "
                "where table_schema = 'marts' and table_name = ?",
                [table],
            ).fetchall()
        }
        assert set(key) | set(columns) <= present
        key_list = ", ".join(key)
        duplicates, null_keys = con.execute(
            f"select (select count(*) from (select {key_list} from marts.{table} "
            f"group by {key_list} having count(*) > 1)), "
            f"(select count(*) from marts.{table} where "
            + " or ".join(f"{column} is null" for column in key)
            + ")"
        ).fetchone()
    assert (duplicates, null_keys) == (0, 0)


def test_marts_live_in_a_schema_named_exactly_marts(built_warehouse: Path) -> None:
    with duckdb.connect(str(built_warehouse), read_only=True) as con:
        schemas = {
            row[0]
            for row in con.execute("select schema_name from information_schema.schemata").fetchall()
        }
        customers = con.execute("select count(*) from marts.customers").fetchone()[0]
    assert "marts" in schemas
    assert not any(schema.endswith("_marts") for schema in schemas)
    assert customers > 0


def test_every_event_and_trait_belongs_to_a_customer_and_amounts_are_in_usd(
    built_warehouse: Path,
) -> None:
    with duckdb.connect(str(built_warehouse), read_only=True) as con:
        orphans = con.execute(
            "select (select count(*) from marts.customer_events e "
            "left join marts.customers c using (customer_id) where c.customer_id is null), "
            "(select count(*) from marts.customers) - (select count(*) from marts.customer_traits)"
        ).fetchone()
        order_amounts = con.execute(
            "select min(amount_usd), max(amount_usd) from marts.customer_events "
            "where event_type = 'order'"
        ).fetchone()
        channels = {
            row[0]
            for row in con.execute(
                "select distinct acquisition_channel from marts.customer_traits"
            ).fetchall()
        }
    assert orphans == (0, 0)
    low, high = order_amounts
    assert low > 0
    assert high < 100_000
    assert {"facebook_lead", "google_click", "email", "organic"} >= channels
    assert "email" in channels
