"""Erasure end to end on the S sample: a person with records in several systems, synced to a file
drop and to a fake Mailchimp, is forgotten by one of their emails. Nothing anywhere mentions them
afterwards, not after re-ingesting the same exports under new names and rebuilding either; the
destinations received the removals; and no ledger, receipt or log line holds a raw identifier.

The sample is built once per session (conftest) and the erasure runs once for the module, on a
private copy; tests that change the warehouse further work on copies of that copy.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from activation.config import ActivationConfig, SyncConfig
from activation.engine import run_sync
from activation.fakes.mailchimp import FakeMailchimp
from activation.secrets import SecretResolver
from ingestion.exports import EXPORTS
from ingestion.pipelines import load_all
from orchestration.dbt_runner import run_dbt
from orchestration.privacy.erasure import ErasureOutcome, ErasureSettings, forget
from orchestration.privacy.identifiers import parse_identifier, phone_digit_forms
from orchestration.privacy.receipt import databases_to_scan, scan_database
from orchestration.privacy.resolve import Person, resolve
from orchestration.serving import restricted_copy_path
from tests.conftest import SAMPLE_AS_OF

pytestmark = pytest.mark.slow

SECRET = "mc-test-secret-DO-NOT-LEAK-us19"
FILES_SYNC, MAILCHIMP_SYNC = "vip_files", "vip_mailchimp"


@dataclass(frozen=True)
class Subject:
    """The chosen person as the test knows them (from the sample's truth and the marts)."""

    customer_id: str
    emails: tuple[str, ...]
    phones: tuple[str, ...]
    record_ids: tuple[str, ...]
    systems: tuple[str, ...]

    def texts(self) -> list[str]:
        return [self.customer_id, *self.emails, *self.phones, *self.record_ids]


@dataclass(frozen=True)
class Erased:
    root: Path
    settings: ErasureSettings
    subject: Subject
    person: Person
    requested: str
    outcome: ErasureOutcome
    log_text: str
    mailchimp: FakeMailchimp
    files_dir: Path
    landing: Path


def _pick_subject(warehouse: Path, truth: Path) -> Subject:
    """A person whose truth records all sit in one customer, spread over 3+ systems, in the VIP
    segment with email consent (so both syncs send them)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        row = con.execute(
            """
            with truth as (select * from read_csv(?, all_varchar = true)),
            linked as (
                select truth.person_id, truth.source, records.customer_id
                from truth join marts.customer_source_records as records
                  on records.source = truth.source and records.source_table = truth.source_table
                 and records.source_record_id = truth.source_record_id
            ),
            people as (
                select person_id, any_value(customer_id) as customer_id,
                       count(distinct source) as systems
                from linked group by person_id having count(distinct customer_id) = 1
            )
            select people.customer_id
            from people join marts.customers as c using (customer_id)
            where people.systems >= 3 and c.email is not null and c.phone is not null
              and c.email_marketing_consent and not c.is_unsubscribed and not c.is_bounced
              and customer_id in (
                select customer_id from marts.segment_memberships where segment = 'vip_customers'
              )
            order by people.systems desc, customer_id limit 1
            """,
            [str(truth)],
        ).fetchone()
        assert row, "the sample has no multi-system VIP with consent"
        customer_id = row[0]
        identifiers = con.execute(
            "select identifier_type, identifier_value from marts.customer_identifiers"
            " where customer_id = ?",
            [customer_id],
        ).fetchall()
        records = con.execute(
            "select source, source_record_id from marts.customer_source_records"
            " where customer_id = ?",
            [customer_id],
        ).fetchall()
    return Subject(
        customer_id=customer_id,
        emails=tuple(sorted({v for t, v in identifiers if t == "email"})),
        phones=tuple(sorted({v for t, v in identifiers if t == "phone"})),
        record_ids=tuple(sorted({r for _, r in records})),
        systems=tuple(sorted({s for s, _ in records})),
    )


def _activation(files_dir: Path, mailchimp: FakeMailchimp) -> ActivationConfig:
    fields = {"email": "email", "FNAME": "first_name", "LNAME": "last_name"}
    return ActivationConfig(
        destinations={
            "drop": {"type": "files", "output_dir": str(files_dir)},
            "mc": {
                "type": "mailchimp",
                "list_id": "list1",
                "base_url": mailchimp.url,
                "secret": "destinations.mc.key",
                "backoff_base_seconds": 0.01,
            },
        },
        syncs=[
            SyncConfig(
                name=FILES_SYNC,
                segment="vip_customers",
                destination="drop",
                mode="mirror",
                member_key="customer_id",
                fields={"customer_id": "customer_id", "email": "email"},
            ),
            SyncConfig(
                name=MAILCHIMP_SYNC,
                segment="vip_customers",
                destination="mc",
                mode="mirror",
                member_key="email",
                fields=fields,
            ),
        ],
    )


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture(scope="module")
def erased(
    built_warehouse: Path, sample_exports: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Erased]:
    root = tmp_path_factory.mktemp("erasure")
    warehouse = root / "warehouse" / "cdp.duckdb"
    warehouse.parent.mkdir()
    shutil.copy(built_warehouse, warehouse)
    landing = root / "landing"
    shutil.copytree(sample_exports / "landing", landing)
    subject = _pick_subject(warehouse, sample_exports / "truth" / "records.csv")
    secrets = SecretResolver({"DESTINATIONS__MC__KEY": SECRET})
    with FakeMailchimp(SECRET, "list1") as mailchimp:
        config = _activation(root / "files", mailchimp)
        for sync in (FILES_SYNC, MAILCHIMP_SYNC):
            result = run_sync(warehouse, config, sync, secrets)
            assert result.added > 0 and result.failed == 0, sync
        assert subject.emails[0] in mailchimp.members or any(
            email in mailchimp.members for email in subject.emails
        )
        settings = ErasureSettings(
            warehouse=warehouse,
            serving=warehouse.with_name("serving.duckdb"),
            privacy_dir=root / "privacy",
            activation=config,
            secrets=secrets,
            dbt_target_dir=root / "dbt_target",
            dbt_vars={"as_of": SAMPLE_AS_OF},
            restricted_copy=True,
        )
        with duckdb.connect(str(warehouse), read_only=True) as con:
            contact_email = con.execute(
                "select email from raw_hubspot.contacts where email is not null"
                " and list_contains(?, lower(trim(email))) limit 1",
                [list(subject.emails)],
            ).fetchone()
        requested = contact_email[0] if contact_email else subject.emails[0]
        collector = _Collect()
        root_logger = logging.getLogger()
        previous_level = root_logger.level
        root_logger.addHandler(collector)
        root_logger.setLevel(logging.DEBUG)
        try:
            outcome = forget(
                settings, parse_identifier("email", f"  {requested.upper()} "), "req-e2e-1"
            )
        finally:
            root_logger.removeHandler(collector)
            root_logger.setLevel(previous_level)
        with duckdb.connect(str(built_warehouse), read_only=True) as con:
            person = resolve(con, parse_identifier("customer_id", subject.customer_id))
        yield Erased(
            root=root,
            settings=settings,
            subject=subject,
            person=person,
            requested=requested,
            outcome=outcome,
            log_text="\n".join(collector.lines),
            mailchimp=mailchimp,
            files_dir=root / "files",
            landing=landing,
        )


def _mentions(database: Path, subject: Subject) -> dict[str, int]:
    """An independent check, not the receipt's predicates: whole rows as text (every column,
    any type) containing an email, a customer or record id, or a phone's national digits."""
    needles = [text.lower() for text in (*subject.emails, subject.customer_id, *subject.record_ids)]
    nationals = [min(phone_digit_forms(phone), key=len) for phone in subject.phones]
    found: dict[str, int] = {}
    with duckdb.connect(str(database), read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables"
            " where table_catalog = current_database()"
        ).fetchall()
        for schema, table in tables:
            text = "lower(cast(t as varchar))"
            digits = f"regexp_replace({text}, '[ ().+-]', '', 'g')"
            checks = [f"contains({text}, ?)" for _ in needles]
            checks += [f"regexp_matches({digits}, ?)" for _ in nationals]
            count = con.execute(
                f'select count(*) from "{schema}"."{table}" as t where {" or ".join(checks)}',
                [*needles, *[f"(^|[^0-9])0?{n}($|[^0-9])" for n in nationals]],
            ).fetchone()[0]
            if count:
                found[f"{schema}.{table}"] = count
    return found


def test_the_person_was_known_in_several_systems_and_is_erased(erased: Erased):
    assert len(erased.subject.systems) >= 3
    assert erased.outcome.outcome == "erased"
    assert erased.outcome.rows_matched == 0
    assert all(status in ("done", "skipped") for status in erased.outcome.steps.values())
    assert erased.outcome.steps["destinations"] == "done"


def test_no_table_of_the_warehouse_or_serving_copies_mentions_the_person(erased: Erased):
    databases = databases_to_scan(erased.settings.warehouse)
    assert erased.settings.serving in databases
    for database in databases:
        assert _mentions(database, erased.subject) == {}, database.name


def test_receipt_lists_every_table_scanned_with_zero_rows_and_only_hashes(erased: Erased):
    receipt_path = erased.outcome.receipt
    assert receipt_path is not None
    text = receipt_path.read_text()
    receipt = json.loads(text)
    assert receipt["outcome"] == "erased"
    assert receipt["scan"]["rows_matched"] == 0
    databases = {db["database"]: db for db in receipt["scan"]["databases"]}
    restricted = restricted_copy_path(erased.settings.serving).name
    assert {"cdp.duckdb", "serving.duckdb", restricted} <= set(databases)
    tables = databases["cdp.duckdb"]["tables"]
    assert {"raw_hubspot.contacts", "raw_hubspot._rejects", "marts.customers"} <= set(tables)
    assert {"marts.segment_membership_history", "activation.sync_state"} <= set(tables)
    assert set(tables.values()) == {0}
    requested_hash = receipt["request"]["identifier_sha256"]
    assert requested_hash in receipt["request"]["resolved_identifiers_sha256"]
    assert (
        hashlib.sha256(erased.subject.customer_id.encode()).hexdigest()
        in (receipt["request"]["resolved_identifiers_sha256"])
    )
    syncs = {r["sync"]: r["status"] for r in receipt["steps"]["destinations"]["removals"]}
    assert syncs == {FILES_SYNC: "removed", MAILCHIMP_SYNC: "removed"}
    for value in erased.subject.texts():
        assert value.lower() not in text.lower()


def test_ledger_and_logs_hold_no_raw_identifier(erased: Erased):
    with duckdb.connect(str(erased.settings.warehouse), read_only=True) as con:
        ledger = str(con.execute("select * from privacy.erasure_requests").fetchall())
        ledger += str(con.execute("select * from privacy.erasure_receipts").fetchall())
        steps = con.execute(
            "select resolved, warehouse_deleted, suppressed, destinations, receipt,"
            " receipt_at is not null from privacy.erasure_requests where request_id = 'req-e2e-1'"
        ).fetchone()
    assert steps == ("done", "done", "done", "done", "done", True)
    assert erased.log_text, "the erasure logged nothing at all"
    for value in erased.subject.texts():
        assert value.lower() not in ledger.lower()
        assert value.lower() not in erased.log_text.lower()
    assert SECRET not in erased.log_text
    assert not erased.settings.pending("req-e2e-1").exists()


def test_destinations_received_the_removals(erased: Erased):
    mailchimp_hashes = {hashlib.md5(email.encode()).hexdigest() for email in erased.subject.emails}
    assert erased.mailchimp.permanently_deleted & mailchimp_hashes
    assert not set(erased.mailchimp.members) & set(erased.subject.emails)
    for path in erased.files_dir.rglob("*.csv"):
        assert erased.subject.customer_id not in path.read_text(), path.name


def test_the_same_request_again_does_nothing(erased: Erased):
    with duckdb.connect(str(erased.settings.warehouse), read_only=True) as con:
        before = con.execute("select * from privacy.erasure_requests").fetchall()
    requests = erased.mailchimp.requests
    again = forget(erased.settings, parse_identifier("email", erased.requested), "req-e2e-1")
    assert again.repeated and again.outcome == "erased"
    assert erased.mailchimp.requests == requests
    with duckdb.connect(str(erased.settings.warehouse), read_only=True) as con:
        assert con.execute("select * from privacy.erasure_requests").fetchall() == before
        assert con.execute("select count(*) from privacy.erasure_receipts").fetchone()[0] == 1


def _redeliver(landing: Path, subject: Subject) -> int:
    """Copy every export file mentioning the person under a new delivery name, one byte longer
    (a trailing blank line), so the loaders see a new file rather than one already loaded."""
    copied = 0
    needles = [email.lower() for email in subject.emails]
    for path in sorted(landing.glob("*/*")):
        text = path.read_text(encoding="utf-8")
        if not any(needle in text.lower() for needle in needles):
            continue
        export_type = max(
            (s.export_type for s in EXPORTS if path.name.startswith(f"{s.export_type}_")), key=len
        )
        rest = path.name.removeprefix(f"{export_type}_")
        path.with_name(f"{export_type}_29991231_redelivery_{rest}").write_text(text + "\n")
        copied += 1
    return copied


def test_reingest_and_rebuild_do_not_bring_the_person_back(erased: Erased, tmp_path: Path):
    warehouse = tmp_path / "cdp.duckdb"
    shutil.copy(erased.settings.warehouse, warehouse)
    landing = tmp_path / "landing"
    shutil.copytree(erased.landing, landing)
    assert _redeliver(landing, erased.subject) >= 2
    load_all(landing, warehouse)
    load_all(landing, warehouse)
    run_dbt(
        ["run"], warehouse, target_dir=tmp_path / "dbt_target", dbt_vars={"as_of": SAMPLE_AS_OF}
    ).raise_on_failure()
    assert scan_database(warehouse, erased.person).total == 0
    assert _mentions(warehouse, erased.subject) == {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        suppressed = con.execute(
            "select sum(rows_suppressed) from raw_hubspot._files"
            " where source_file like '%redelivery%'"
        ).fetchone()[0]
        assert con.execute("select count(*) from marts.customers").fetchone()[0] > 0
    assert suppressed and suppressed > 0
