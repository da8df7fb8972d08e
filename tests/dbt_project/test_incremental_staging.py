"""Incremental staging against a full rebuild.

A copy of the built S warehouse takes, as one change set: corrected HubSpot contacts (a new phone
and modified time) and one brand-new contact delivered as a new file; a raw contact deleted and
another's phone redacted in place with its staging row dropped, as an erasure leaves them. Staging
then builds incrementally, a second copy rebuilds it from scratch (`--full-refresh`), and both
must hold the same rows, model for model.
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

pytestmark = pytest.mark.slow

AS_OF = {"as_of": "2026-11-05"}
NEW_PHONE = "0912 000 777"
NEW_CONTACT_ID = "15999999999"


@dataclass(frozen=True)
class Builds:
    incremental: Path
    full: Path
    corrected: list[str]
    erased: str
    redacted: str


def _staging_models(warehouse: Path) -> list[str]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select table_name from duckdb_tables() where schema_name = 'staging' order by 1"
        ).fetchall()
    return [name for (name,) in rows]


def _redeliver_contacts(sample_landing: Path, landing: Path) -> list[str]:
    """Every 50th contact again with a new phone and a later modified time, plus a new one."""
    source = sample_landing / "hubspot" / "contacts_20261101.csv"
    with source.open(encoding="utf-8", newline="") as src:
        reader = csv.DictReader(src)
        rows = [row for index, row in enumerate(reader) if index % 50 == 0]
        header = reader.fieldnames or []
    changed = [
        {**row, "Phone Number": NEW_PHONE, "Last Modified Date": "2026-11-03 09:00"} for row in rows
    ]
    changed.append({**rows[0], "Record ID": NEW_CONTACT_ID, "Email": "khach.moi@example.vn"})
    folder = landing / "hubspot"
    folder.mkdir(parents=True)
    with (folder / "contacts_20261103.csv").open("w", encoding="utf-8", newline="") as dst:
        writer = csv.DictWriter(dst, fieldnames=header, quoting=csv.QUOTE_ALL)
        writer.writeheader()
        writer.writerows(changed)
    return [row["Record ID"] for row in rows]


def _erase_one_and_redact_another(warehouse: Path, corrected: list[str]) -> tuple[str, str]:
    """What an erasure leaves: one contact gone from raw (and its staging row with it), another's
    phone nulled in raw with its staging row, which mentioned the phone, dropped."""
    with duckdb.connect(str(warehouse)) as con:
        erased, redacted = (
            row[0]
            for row in con.execute(
                "select record_id from raw_hubspot.contacts"
                " where phone_number is not null and record_id not in ?"
                " order by record_id limit 2",
                [corrected],
            ).fetchall()
        )
        con.execute("delete from raw_hubspot.contacts where record_id = ?", [erased])
        con.execute(
            "update raw_hubspot.contacts set phone_number = null where record_id = ?", [redacted]
        )
        con.execute(
            "delete from staging.stg_hubspot__contacts where contact_id in (?, ?)",
            [erased, redacted],
        )
    return erased, redacted


def _run_staging(warehouse: Path, target: Path, *extra: str) -> None:
    run_dbt(
        ["run", "--select", "staging", *extra], warehouse, target_dir=target, dbt_vars=AS_OF
    ).raise_on_failure()


@pytest.fixture(scope="module")
def builds(
    built_warehouse: Path, sample_exports: Path, tmp_path_factory: pytest.TempPathFactory
) -> Builds:
    root = tmp_path_factory.mktemp("incremental_staging")
    warehouse = root / "incremental.duckdb"
    shutil.copy(built_warehouse, warehouse)
    landing = root / "landing"
    corrected = _redeliver_contacts(sample_exports / "landing", landing)
    load_all(landing, warehouse, systems=["hubspot"])
    erased, redacted = _erase_one_and_redact_another(warehouse, corrected)
    _run_staging(warehouse, root / "target")

    full = root / "full.duckdb"
    shutil.copy(warehouse, full)
    _run_staging(full, root / "target_full", "--full-refresh")
    return Builds(warehouse, full, corrected, erased, redacted)


def _rows(warehouse: Path, query: str, *params: object) -> list[tuple[object, ...]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return sorted(con.execute(query, list(params)).fetchall(), key=repr)


def test_every_staging_model_is_built_incrementally(builds: Builds) -> None:
    models = _staging_models(builds.incremental)
    assert "stg_hubspot__contacts" in models
    assert len(models) >= 12


def test_incremental_staging_leaves_the_same_rows_as_a_full_rebuild(builds: Builds) -> None:
    for model in _staging_models(builds.incremental):
        query = f"select * from staging.{model}"
        assert _rows(builds.incremental, query) == _rows(builds.full, query), model


def test_corrected_contacts_carry_their_new_phone(builds: Builds) -> None:
    phones = _rows(
        builds.incremental,
        "select distinct phone from staging.stg_hubspot__contacts where contact_id in ?",
        builds.corrected,
    )
    assert phones == [("+84912000777",)]


def test_a_new_contact_is_added_once(builds: Builds) -> None:
    rows = _rows(
        builds.incremental,
        "select email from staging.stg_hubspot__contacts where contact_id = ?",
        NEW_CONTACT_ID,
    )
    assert rows == [("khach.moi@example.vn",)]


def test_an_erased_contact_stays_gone_and_a_redacted_one_returns_without_the_phone(
    builds: Builds,
) -> None:
    query = "select contact_id, phone from staging.stg_hubspot__contacts where contact_id in (?, ?)"
    rows = _rows(builds.incremental, query, builds.erased, builds.redacted)
    assert rows == [(builds.redacted, None)]
