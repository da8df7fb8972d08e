"""The generated S sample, loaded once: raw tables reconcile with the generator's truth."""

from __future__ import annotations

import csv
import json
import re
import shutil
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import pytest
from landing_fixtures import query

from ingestion.exports import EXPORTS
from ingestion.pipelines import load_all
from ingestion.systems import SYSTEMS

pytestmark = pytest.mark.slow

KEYS = {
    ("hubspot", "contacts"): "record_id",
    ("hubspot", "deals"): "record_id",
    ("mailchimp", "members"): "leid",
    ("stripe", "customers"): "id",
    ("stripe", "charges"): "id",
    ("stripe", "refunds"): "id",
    ("vnpay", "transactions"): "vnp_txnref",
    ("facebook_ads", "leads"): "id",
    ("google_ads", "clicks"): "click_view_gclid",
}
STAGING = Path(__file__).parents[2] / "dbt_project" / "models" / "staging"
SOURCE_TABLE = re.compile(r"'(raw_\w+)',\s*'(\w+)'")
REASONS = {
    "bad_date": ("not a valid timestamp", "not a valid date"),
    "non_numeric_amount": ("not a valid integer", "not a valid decimal"),
    "broken_quoting": ("broken quoting", "wrong number of fields", "not valid UTF-8"),
    "truncated_json": ("invalid JSON", "not valid UTF-8"),
}


@pytest.fixture(scope="session")
def ingested_sample(
    sample_exports: Path, build_once: Callable[[str, Callable[[Path], None]], Path]
) -> Path:
    """A warehouse holding the S sample; `summaries.json` beside it. Treat as read-only."""

    def _load(target: Path) -> None:
        summaries = load_all(sample_exports / "landing", target / "cdp.duckdb")
        (target / "summaries.json").write_text(json.dumps([asdict(s) for s in summaries]))

    return build_once("ingested_sample", _load)


def _truth(sample_exports: Path, name: str) -> list[dict[str, str]]:
    with (sample_exports / "truth" / name).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize(("system", "table"), list(KEYS), ids=lambda v: v)
def test_every_true_person_record_is_loaded_exactly_once(
    ingested_sample: Path, sample_exports: Path, system: str, table: str
):
    key = KEYS[(system, table)]
    expected = {
        row["source_record_id"]
        for row in _truth(sample_exports, "records.csv")
        if (row["source"], row["source_table"]) == (system, table)
    }
    rows = query(ingested_sample / "cdp.duckdb", f"select {key} from raw_{system}.{table}")
    loaded = [value for (value,) in rows]
    assert expected
    assert len(loaded) == len(set(loaded))
    assert set(loaded) == expected


def test_rejects_are_exactly_the_malformed_lines_with_fitting_reasons(
    ingested_sample: Path, sample_exports: Path
):
    union = " union all ".join(
        f"select source_file, source_line, raw_text, reason from raw_{s}._rejects" for s in SYSTEMS
    )
    rejects = {
        (file, line): (text, reason)
        for file, line, text, reason in query(ingested_sample / "cdp.duckdb", union)
    }
    malformed = {
        (row["source_file"], int(row["line"])): row["kind"]
        for row in _truth(sample_exports, "malformed.csv")
    }
    assert malformed
    assert set(rejects) == set(malformed)
    for place, kind in malformed.items():
        text, reason = rejects[place]
        file_lines = (sample_exports / "landing" / place[0]).read_text("utf-8").split("\n")
        assert text == file_lines[place[1] - 1]
        assert any(part in reason for part in REASONS[kind]), (place, kind, reason)


def test_ledger_reconciles_every_landing_file(ingested_sample: Path, sample_exports: Path):
    warehouse = ingested_sample / "cdp.duckdb"
    union = " union all ".join(
        f"select source_file, rows_read, rows_loaded, rows_rejected from raw_{s}._files"
        for s in SYSTEMS
    )
    ledger = query(warehouse, union)
    landing = sample_exports / "landing"
    assert sorted(f for f, *_ in ledger) == sorted(
        str(p.relative_to(landing)) for p in landing.rglob("*") if p.is_file()
    )
    assert all(read == loaded + rejected for _, read, loaded, rejected in ledger)
    summaries = json.loads((ingested_sample / "summaries.json").read_text())
    assert sum(s["rows_read"] for s in summaries) == sum(row[1] for row in ledger)
    assert sum(s["rows_rejected"] for s in summaries) == sum(row[3] for row in ledger)


def test_corrections_files_win_over_the_first_delivery(ingested_sample: Path):
    warehouse = ingested_sample / "cdp.duckdb"
    corrected = query(
        warehouse,
        "select count(*), count(*) filter (where status = 'unsubscribed')"
        " from raw_mailchimp.members where _source_file like '%corrections%'",
    )
    assert corrected[0][0] > 0 and corrected[0][0] == corrected[0][1]
    settled = query(
        warehouse,
        "select count(*), count(*) filter (where vnp_transactionstatus = '00')"
        " from raw_vnpay.transactions where _source_file like '%corrections%'",
    )
    assert settled[0][0] > 0 and settled[0][0] == settled[0][1]
    for table in ("contacts", "deals"):
        stale = query(
            warehouse,
            f"select count(*) from raw_hubspot.{table} where _source_file not like '%corrections%'"
            f" and record_id in (select record_id from raw_hubspot.{table}"
            "  where _source_file like '%corrections%')",
        )
        assert stale == [(0,)]


def test_rerun_of_the_sample_loads_nothing(ingested_sample: Path, sample_exports: Path, tmp_path):
    copy = tmp_path / "warehouse"
    shutil.copytree(ingested_sample, copy)
    warehouse = copy / "cdp.duckdb"
    loads = query(warehouse, "select count(*) from raw_hubspot._dlt_loads")
    summaries = load_all(sample_exports / "landing", warehouse)
    assert [s.files for s in summaries] == [0] * len(SYSTEMS)
    assert query(warehouse, "select count(*) from raw_hubspot._dlt_loads") == loads


def test_staging_reads_no_raw_column_of_an_undeclared_non_text_type(ingested_sample: Path):
    """An undeclared JSON key keeps the type its raw column got first; a later value that does
    not fit goes to `<key>__v_text`, which staging never reads, so the staged value would be
    null unnoticed (docs/raw-tables.md). A raw column a staging model names is therefore text
    or declared in its `ExportSpec.types`, where a misfit is a rejected row with its reason.
    The sample's types stand for the exports': every table is checked, CSV ones too (text
    unless declared). Columns spread from a list (`actions__lead`) get their type from the
    loader, not from what a file sent."""
    declared: dict[tuple[str, str], set[str]] = {}
    spread: dict[tuple[str, str], tuple[str, ...]] = {}
    for spec in EXPORTS:
        source = (f"raw_{spec.system}", spec.table)
        declared.setdefault(source, set()).update(spec.types, spec.constants)
        spread[source] = tuple(f"{name}__" for name in spec.pivot_lists)
    columns = query(
        ingested_sample / "cdp.duckdb",
        "select table_schema, table_name, column_name from information_schema.columns"
        " where starts_with(table_schema, 'raw_') and not starts_with(table_name, '_')"
        " and not starts_with(column_name, '_') and data_type <> 'VARCHAR'",
    )
    undeclared: dict[tuple[str, str], set[str]] = {}
    for schema, table, column in columns:
        source = (schema, table)
        if column not in declared[source] and not column.startswith(spread[source]):
            undeclared.setdefault(source, set()).add(column)
    assert "livemode" in undeclared[("raw_stripe", "customers")], "the check has nothing to find"
    read: dict[str, list[str]] = {}
    for model in sorted(STAGING.rglob("stg_*.sql")):
        sql = model.read_text(encoding="utf-8")
        (source,) = set(SOURCE_TABLE.findall(sql))
        named = {c for c in undeclared.get(source, ()) if re.search(rf"\b{c}\b", sql)}
        if named:
            read[model.stem] = sorted(named)
    assert read == {}
