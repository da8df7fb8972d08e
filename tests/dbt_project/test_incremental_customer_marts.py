"""Customer marts rebuilt per changed customer, against a full rebuild.

A copy of the built S warehouse goes through three incremental runs:
  1. corrected HubSpot contacts (a corrected re-delivery), a brand-new contact (a new record),
     deals re-delivered without their contact, which split off the contact's customer, and a day
     of email activity of a member whose records do not change (only `customers` reads events);
  2. a late VNPay payment carrying one customer's email and another's phone, which merges the
     two: this run stops after identity, before the marts (as a run that fails there does);
  3. a customer erased by id, as `cdp forget` deletes it, then a complete run, which must catch up
     on what run 2 changed as well.
A second copy then rebuilds the marts from scratch (`--full-refresh`) on the same inputs, and both
must hold the same rows. A last test changes every column of the marts' input tables, which each
mart's fingerprint must see when the mart reads it, and another changes the consent defaults, a var
that customer_consent reads beside its input rows.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from test_incremental_events import LATE_PAYMENT, _pick_two_customers, _write_email_day
from test_stable_customer_ids import write_vnpay_delivery

from ingestion.pipelines import load_all
from orchestration.dbt_runner import run_dbt
from orchestration.privacy.deletion import delete_person
from orchestration.privacy.identifiers import parse_identifier
from orchestration.privacy.resolve import resolve
from tests.dbt_project.test_incremental_identity_inputs import _redeliver_deals_without_contact
from tests.dbt_project.test_incremental_staging import (
    AS_OF,
    NEW_CONTACT_ID,
    _redeliver_contacts,
    _rows,
)

pytestmark = pytest.mark.slow

MARTS = [
    "customer_source_records",
    "customer_identifiers",
    "customers",
    "customer_consent_history",
    "customer_consent",
]
IDENTITY = ["staging", "+int_identity__record_customers", "+int_identity__links"]


@dataclass(frozen=True)
class Builds:
    incremental: Path
    full: Path
    merged: tuple[str, str]
    detached_deals: list[str]
    opener: str
    erased: str


def _run(
    warehouse: Path,
    target: Path,
    selection: list[str],
    *extra: str,
    dbt_vars: dict[str, object] | None = None,
) -> None:
    run_dbt(
        ["run", "--select", *selection, *extra],
        warehouse,
        target_dir=target,
        dbt_vars={**AS_OF, **(dbt_vars or {})},
    ).raise_on_failure()


def _member_without_changes(warehouse: Path, spared: list[str]) -> tuple[str, str]:
    """A Mailchimp member's email and customer, a customer with no HubSpot record (whose
    corrections could touch it) and none of `spared`."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        row = con.execute(
            "select members.email, records.customer_id"
            " from staging.stg_mailchimp__members as members"
            " join marts.customer_source_records as records"
            "  on records.source = 'mailchimp' and records.source_record_id = members.member_id"
            " where members.email is not null and records.customer_id not in ?"
            "  and records.customer_id not in"
            "   (select customer_id from marts.customer_source_records where source = 'hubspot')"
            " order by 2 limit 1",
            [spared],
        ).fetchone()
    assert row
    return str(row[0]), str(row[1])


def _erase_a_customer(warehouse: Path, spared: list[str]) -> str:
    """A customer with several records, none of them among `spared` customers, erased by id."""
    with duckdb.connect(str(warehouse)) as con:
        row = con.execute(
            "select customer_id from marts.customer_source_records where customer_id not in ?"
            " group by 1 having count(*) > 1 order by 1 limit 1",
            [spared],
        ).fetchone()
        assert row
        delete_person(con, resolve(con, parse_identifier("customer_id", row[0])))
    return str(row[0])


@pytest.fixture(scope="module")
def builds(
    built_warehouse: Path, sample_exports: Path, tmp_path_factory: pytest.TempPathFactory
) -> Builds:
    root = tmp_path_factory.mktemp("incremental_customer_marts")
    warehouse = root / "incremental.duckdb"
    shutil.copy(built_warehouse, warehouse)
    first, email, second, phone = _pick_two_customers(warehouse)

    opener_email, opener = _member_without_changes(warehouse, [first, second])

    landing = root / "landing_1"
    _redeliver_contacts(sample_exports / "landing", landing)
    detached_deals = _redeliver_deals_without_contact(sample_exports / "landing", landing)
    _write_email_day(landing, [opener_email])
    load_all(landing, warehouse, systems=["hubspot", "mailchimp"])
    _run(warehouse, root / "target", ["+" + mart for mart in MARTS])

    merge = root / "landing_2"
    national_phone = "0" + phone.removeprefix("+84")
    write_vnpay_delivery(merge, "transactions_20261103.csv", LATE_PAYMENT, email, national_phone)
    load_all(merge, warehouse, systems=["vnpay"])
    _run(warehouse, root / "target", IDENTITY)

    erased = _erase_a_customer(warehouse, [first, second, opener])
    _run(warehouse, root / "target", ["+" + mart for mart in MARTS])

    full = root / "full.duckdb"
    shutil.copy(warehouse, full)
    _run(full, root / "target_full", MARTS, "--full-refresh")
    return Builds(warehouse, full, (first, second), detached_deals, opener, erased)


@pytest.mark.parametrize("model", MARTS)
def test_incremental_runs_leave_the_same_rows_as_a_full_rebuild(builds: Builds, model: str) -> None:
    query = f"select * from marts.{model}"
    incremental = _rows(builds.incremental, query)
    assert incremental
    assert incremental == _rows(builds.full, query)


def test_the_marts_keep_the_fingerprints_a_full_rebuild_computes(builds: Builds) -> None:
    for model in MARTS:
        query = f"select * from intermediate.{model}__input_fingerprints"
        assert _rows(builds.incremental, query) == _rows(builds.full, query), model


def test_the_merge_that_identity_made_before_the_failed_run_reached_the_marts(
    builds: Builds,
) -> None:
    first, second = builds.merged
    customers = _rows(
        builds.incremental,
        "select distinct customer_id from marts.customer_source_records"
        " where customer_id in ? or source_record_id = ?",
        list(builds.merged),
        LATE_PAYMENT,
    )
    assert customers in ([(first,)], [(second,)])
    identifiers = _rows(
        builds.incremental,
        "select distinct customer_id from marts.customer_identifiers where customer_id in ?",
        list(builds.merged),
    )
    assert identifiers == customers


def test_new_and_split_off_records_have_their_own_rows(builds: Builds) -> None:
    rows = _rows(
        builds.incremental,
        "select records.source_record_id, count(ids.customer_id)"
        " from marts.customer_source_records as records"
        " left join marts.customer_identifiers as ids using (customer_id)"
        " where records.source_table = 'deals' and records.source_record_id in ?"
        "  or records.source_table = 'contacts' and records.source_record_id = ?"
        " group by 1",
        builds.detached_deals,
        NEW_CONTACT_ID,
    )
    detached = {deal: linked for deal, linked in rows if deal in builds.detached_deals}
    assert set(detached) == set(builds.detached_deals)
    assert all(linked == 0 for linked in detached.values())
    assert (NEW_CONTACT_ID, 0) not in rows
    assert len(rows) == len(builds.detached_deals) + 1


def test_a_new_email_open_alone_reaches_the_customer(builds: Builds) -> None:
    last_seen = _rows(
        builds.incremental,
        "select cast(last_seen_at as varchar) from marts.customers where customer_id = ?",
        builds.opener,
    )
    assert last_seen == [("2026-11-03 08:00:00",)]


def test_the_erased_customer_is_gone_from_the_marts(builds: Builds) -> None:
    for model in MARTS:
        rows = _rows(
            builds.incremental,
            f"select * from marts.{model} where customer_id = ?",
            builds.erased,
        )
        assert rows == [], model


def test_a_mart_without_fingerprints_is_rebuilt_whole(builds: Builds, tmp_path: Path) -> None:
    """A mart built before it kept fingerprints: every customer it holds counts as changed, and
    one that no longer exists is dropped."""
    warehouse = tmp_path / "without_fingerprints.duckdb"
    shutil.copy(builds.incremental, warehouse)
    with duckdb.connect(str(warehouse)) as con:
        for model in MARTS:
            con.execute(f"drop table intermediate.{model}__input_fingerprints")
        con.execute(
            "insert into marts.customer_source_records"
            " values ('hubspot', 'contacts', 'gone', 'cus_gone', null, null)"
        )
    _run(warehouse, tmp_path / "target", MARTS)
    for model in MARTS:
        query = f"select * from marts.{model}"
        assert _rows(warehouse, query) == _rows(builds.full, query), model


PERTURBED_INPUTS = {
    "intermediate.int_identity__records": (
        "join intermediate.int_identity__record_customers as owners"
        " on owners.record_key = input_rows.record_key"
    ),
    "intermediate.int_identity__links": (
        "join intermediate.int_identity__record_customers as owners"
        " on owners.record_key = input_rows.record_key"
    ),
    "intermediate.int_consent__signals": (
        "join marts.customer_source_records as owners"
        " on owners.source = input_rows.source and owners.source_table = input_rows.person_table"
        " and owners.source_record_id = input_rows.person_record_id"
    ),
}
"""The person-level tables the incremental marts read, each with the join to the customer that
owns a row."""


def _perturb_every_column(warehouse: Path) -> list[str]:
    """Change one column in one row of each input table, each column in a different customer
    (one with a single record where there is one), so a change that a mart reads but its
    fingerprint does not list stays in that customer's old row. A column that is null in every
    row is left alone. Returns the changed `table.column`s."""
    changed: list[str] = []
    used: list[str] = []
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "create temporary table record_counts as select customer_id, count(*) as records"
            " from marts.customer_source_records group by 1"
        )
        for table, owners in PERTURBED_INPUTS.items():
            schema, name = table.split(".")
            columns = con.execute(
                "select column_name, data_type from information_schema.columns"
                " where table_schema = ? and table_name = ? order by ordinal_position",
                [schema, name],
            ).fetchall()
            for column, data_type in columns:
                target = con.execute(
                    f"select input_rows.rowid, owners.customer_id from {table} as input_rows"
                    f" {owners} join record_counts using (customer_id)"
                    f' where input_rows."{column}" is not null'
                    "  and list_contains(?, owners.customer_id) is not true"
                    " order by record_counts.records, owners.customer_id, input_rows.rowid"
                    " limit 1",
                    [used],
                ).fetchone()
                if target is None:
                    continue
                row, customer = target
                con.execute(
                    f'update {table} set "{column}" = {_changed_value(column, data_type)}'
                    " where rowid = ?",
                    [row],
                )
                used.append(customer)
                changed.append(f"{table}.{column}")
    return changed


def _changed_value(column: str, data_type: str) -> str:
    quoted = f'"{column}"'
    if data_type == "BOOLEAN":
        return f"not {quoted}"
    if data_type == "TIMESTAMP":
        return f"{quoted} + interval 1 day"
    if data_type in ("INTEGER", "BIGINT", "UBIGINT"):
        return f"{quoted} + 1"
    return f"{quoted} || '~'"


def test_a_change_of_any_input_column_reaches_the_incremental_marts(
    built_warehouse: Path, tmp_path: Path
) -> None:
    """Each mart's fingerprint lists the input columns it reads (macros/marts/
    customer_mart_inputs.sql); a column read but not listed would leave a customer's old row
    behind after an incremental run. Every column of every input table changes, then the
    incremental run must equal a rebuild from scratch, and the rebuild must differ from before
    (the changes are visible at all)."""
    warehouse = tmp_path / "incremental.duckdb"
    shutil.copy(built_warehouse, warehouse)
    before = {model: _rows(warehouse, f"select * from marts.{model}") for model in MARTS}
    assert len(_perturb_every_column(warehouse)) > 30
    full = tmp_path / "full.duckdb"
    shutil.copy(warehouse, full)
    _run(warehouse, tmp_path / "target", MARTS)
    _run(full, tmp_path / "target_full", MARTS, "--full-refresh")
    for model in MARTS:
        query = f"select * from marts.{model}"
        rebuilt = _rows(full, query)
        assert rebuilt != before[model], model
        assert _rows(warehouse, query) == rebuilt, model


def test_changed_consent_defaults_rewrite_every_customer_without_a_signal(
    built_warehouse: Path, tmp_path: Path
) -> None:
    """The defaults come from a var, which `--vars` can change without any input row or project
    file changing: customer_consent's fingerprint covers them, so the incremental run equals a
    rebuild under the new defaults."""
    defaults = {"consent_defaults": {"email_marketing": "granted", "ads": "denied"}}
    warehouse = tmp_path / "incremental.duckdb"
    shutil.copy(built_warehouse, warehouse)
    query = "select * from marts.customer_consent"
    before = _rows(warehouse, query)
    full = tmp_path / "full.duckdb"
    shutil.copy(warehouse, full)
    _run(warehouse, tmp_path / "target", ["customer_consent"], dbt_vars=defaults)
    _run(full, tmp_path / "target_full", ["customer_consent"], "--full-refresh", dbt_vars=defaults)
    rebuilt = _rows(full, query)
    assert rebuilt != before
    assert _rows(warehouse, query) == rebuilt
