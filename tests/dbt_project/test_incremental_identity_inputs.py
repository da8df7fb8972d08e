"""Incremental identity inputs against a full rebuild.

A copy of the built S warehouse takes the change set of test_incremental_staging (corrected HubSpot
contacts and a new one, delivered as a new file) and corrected deals that no longer name a contact
(so their only identifier goes away), and is built incrementally. Then two erasures as
`cdp forget` makes them: a customer deleted whole, and a phone several customers typed, blanked in
place in each of their raw rows (same lineage, new content), followed by the incremental `dbt run`
an erasure triggers. A second copy rebuilds the same models from scratch (`--full-refresh`), and
both must hold the same rows, model for model.
"""

from __future__ import annotations

import csv
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from ingestion.pipelines import load_all
from orchestration.dbt_runner import run_dbt
from orchestration.privacy.deletion import delete_person
from orchestration.privacy.identifiers import parse_identifier
from orchestration.privacy.resolve import resolve
from tests.dbt_project.test_incremental_staging import AS_OF, _redeliver_contacts, _rows

pytestmark = pytest.mark.slow

MODELS = ["int_identity__records", "int_identity__record_identifiers"]


NEW_PHONE_E164 = "+84912000777"


@dataclass(frozen=True)
class Erasures:
    customer: str
    customer_records: list[str]
    phone: str
    phone_records: list[str]
    """Records of other customers that carried the phone."""


@dataclass(frozen=True)
class Builds:
    incremental: Path
    full: Path
    corrected: list[str]
    detached_deals: list[str]
    erasures: Erasures


def _run(warehouse: Path, target: Path, *extra: str) -> None:
    selection = ["--select", "staging", *MODELS]
    run_dbt(
        ["run", *selection, *extra], warehouse, target_dir=target, dbt_vars=AS_OF
    ).raise_on_failure()


def _redeliver_deals_without_contact(sample_landing: Path, landing: Path) -> list[str]:
    """Three deals again, modified later and no longer associated with a contact."""
    source = sample_landing / "hubspot" / "deals_20261101.csv"
    with source.open(encoding="utf-8", newline="") as src:
        reader = csv.DictReader(src)
        rows = [row for row in reader if row["Associated Contact"]][:3]
        header = reader.fieldnames or []
    changed = [
        {**row, "Associated Contact": "", "Last Modified Date": "2026-11-03 09:00"} for row in rows
    ]
    with (landing / "hubspot" / "deals_20261103.csv").open(
        "w", encoding="utf-8", newline=""
    ) as dst:
        writer = csv.DictWriter(dst, fieldnames=header, quoting=csv.QUOTE_ALL)
        writer.writeheader()
        writer.writerows(changed)
    return [row["Record ID"] for row in rows]


def _column(con: duckdb.DuckDBPyConnection, query: str, *params: object) -> list[str]:
    return [row[0] for row in con.execute(query, list(params)).fetchall()]


def _erase_a_customer_and_a_shared_phone(warehouse: Path, corrected: list[str]) -> Erasures:
    """A customer erased by id (none of the corrected contacts), and a valid phone typed on records
    of several customers (an office line) erased by itself: no customer owns it (shared values do
    not link), so every raw row carrying it is kept with the phone nulled."""
    corrected_keys = [f"hubspot:contacts:{contact_id}" for contact_id in corrected]
    with duckdb.connect(str(warehouse)) as con:
        customer = _column(
            con,
            "select customer_id from marts.customers where phone is not null and customer_id not in"
            " (select customer_id from intermediate.int_identity__record_customers"
            "  where record_key in ?) order by 1 limit 1",
            corrected_keys,
        )[0]
        customer_records = _column(
            con,
            "select record_key from intermediate.int_identity__record_customers"
            " where customer_id = ?",
            customer,
        )
        phone = _column(
            con,
            "select ids.identifier_value"
            " from intermediate.int_identity__record_identifiers as ids"
            " join intermediate.int_identity__record_customers as assignments using (record_key)"
            " where ids.identifier_type = 'phone' and ids.identifier_value <> ? and ids.is_valid"
            " group by 1 having count(distinct assignments.customer_id) > 1"
            " order by count(distinct assignments.customer_id) desc, 1 limit 1",
            NEW_PHONE_E164,
        )[0]
        phone_records = _column(
            con,
            "select record_key from intermediate.int_identity__record_identifiers"
            " where identifier_type = 'phone' and identifier_value = ? and record_key not in ?",
            phone,
            customer_records,
        )
        for person in (
            resolve(con, parse_identifier("customer_id", customer)),
            resolve(con, parse_identifier("phone", phone)),
        ):
            delete_person(con, person)
    return Erasures(customer, customer_records, phone, phone_records)


@pytest.fixture(scope="module")
def builds(
    built_warehouse: Path, sample_exports: Path, tmp_path_factory: pytest.TempPathFactory
) -> Builds:
    root = tmp_path_factory.mktemp("incremental_identity_inputs")
    warehouse = root / "incremental.duckdb"
    shutil.copy(built_warehouse, warehouse)
    landing = root / "landing"
    corrected = _redeliver_contacts(sample_exports / "landing", landing)
    detached_deals = _redeliver_deals_without_contact(sample_exports / "landing", landing)
    load_all(landing, warehouse, systems=["hubspot"])
    _run(warehouse, root / "target")
    erasures = _erase_a_customer_and_a_shared_phone(warehouse, corrected)
    _run(warehouse, root / "target")

    full = root / "full.duckdb"
    shutil.copy(warehouse, full)
    _run(full, root / "target_full", "--full-refresh")
    return Builds(warehouse, full, corrected, detached_deals, erasures)


@pytest.mark.parametrize("model", MODELS)
def test_incremental_build_leaves_the_same_rows_as_a_full_rebuild(
    builds: Builds, model: str
) -> None:
    query = f"select * from intermediate.{model}"
    incremental = _rows(builds.incremental, query)
    assert incremental
    assert incremental == _rows(builds.full, query)


def test_corrected_contacts_carry_their_new_phone(builds: Builds) -> None:
    keys = [f"hubspot:contacts:{contact_id}" for contact_id in builds.corrected]
    phones = _rows(
        builds.incremental,
        "select distinct phone from intermediate.int_identity__records where record_key in ?",
        keys,
    )
    identifiers = _rows(
        builds.incremental,
        "select distinct identifier_value from intermediate.int_identity__record_identifiers"
        " where identifier_type = 'phone' and record_key in ?",
        keys,
    )
    assert phones == identifiers == [(NEW_PHONE_E164,)]


def test_deals_that_no_longer_name_a_contact_lose_their_identifier(builds: Builds) -> None:
    keys = [f"hubspot:deals:{deal_id}" for deal_id in builds.detached_deals]
    kept = _rows(
        builds.incremental,
        "select record_key from intermediate.int_identity__records where record_key in ?",
        keys,
    )
    identifiers = _rows(
        builds.incremental,
        "select record_key from intermediate.int_identity__record_identifiers"
        " where record_key in ?",
        keys,
    )
    assert kept == sorted(((key,) for key in keys), key=repr)
    assert identifiers == []


def test_the_erased_customers_records_are_gone(builds: Builds) -> None:
    erased = builds.erasures.customer_records
    assert erased
    for model in MODELS:
        rows = _rows(
            builds.incremental,
            f"select record_key from intermediate.{model} where record_key in ?",
            erased,
        )
        assert rows == [], model


def test_records_that_carried_an_erased_phone_stay_without_it(builds: Builds) -> None:
    redacted = builds.erasures.phone_records
    assert redacted
    kept = _rows(
        builds.incremental,
        "select record_key, phone from intermediate.int_identity__records where record_key in ?",
        redacted,
    )
    assert kept == sorted(((key, None) for key in redacted), key=repr)
    mentions = _rows(
        builds.incremental,
        "select record_key from intermediate.int_identity__record_identifiers"
        " where identifier_value = ?",
        builds.erasures.phone,
    )
    assert mentions == []
