from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from activation.config import ActivationConfig, SyncConfig
from activation.destinations import build_destination
from activation.destinations.base import (
    Destination,
    Operation,
    Outcome,
    Record,
    RemovalReason,
    SyncContext,
)
from activation.destinations.files import FilesDestination, FilesSettings
from activation.engine import run_sync
from activation.normalize import sha256_hex
from activation.secrets import SecretResolver
from activation.suppression import suppress, suppression_hashes
from tests.activation.destinations.harness import ECHOED_EMAIL, ECHOED_HASH
from tests.activation.warehouse import Person, build_warehouse, people, query, update

SECRETS = SecretResolver({})


class Recorder(FilesDestination):
    """The files destination, recording every record it is asked to send; can crash on demand."""

    def __init__(
        self,
        out: Path,
        consent: str | None = None,
        crash_on_batch: int | None = None,
        crash: str = "simulated crash",
    ):
        super().__init__(
            FilesSettings(type="files", output_dir=out, batch_size=2, consent=consent), SECRETS
        )
        self.sent: list[tuple[str, str]] = []
        self.removal_reasons: dict[str, str | None] = {}
        self.crash_on_batch = crash_on_batch
        self.crash = crash
        self.batches = 0

    def write(
        self, context: SyncContext, operation: Operation, records: Sequence[Record]
    ) -> list[Outcome]:
        self.batches += 1
        if self.batches == self.crash_on_batch:
            raise ConnectionError(self.crash)
        self.sent += [(operation.value, r.member_key) for r in records]
        if operation is Operation.REMOVE:
            self.removal_reasons |= {r.member_key: r.removal_reason for r in records}
        return super().write(context, operation, records)


def _config(tmp_path: Path, mode: str = "mirror") -> ActivationConfig:
    return ActivationConfig(
        destinations={"d": {"type": "files", "output_dir": str(tmp_path / "o")}},
        syncs=[
            SyncConfig(
                name="s",
                segment="vip",
                destination="d",
                mode=mode,
                member_key="email",
                fields={"email": "email"},
            )
        ],
    )


def _crowd() -> list[Person]:
    return [
        Person("ok", "ok@example.com"),
        Person("unsub", "unsub@example.com", unsubscribed=True),
        Person("bounced", "bounced@example.com", bounced=True),
        Person("no_email_consent", "nec@example.com", email_consent=False),
        Person("null_consent", "null@example.com", email_consent=None, ads_consent=None),
        Person("no_ads", "noads@example.com", ads_consent=False),
    ]


def test_email_destination_skips_unsubscribed_bounced_and_unconsented(tmp_path: Path):
    warehouse = build_warehouse(tmp_path / "wh.duckdb", _crowd())
    dest = Recorder(tmp_path / "o", consent="email")
    result = run_sync(warehouse, _config(tmp_path), "s", SECRETS, destination=dest)
    assert sorted(key for _, key in dest.sent) == ["noads@example.com", "ok@example.com"]
    assert result.skipped_consent == 4
    assert query(warehouse, "select skipped_consent from activation.sync_runs") == [(4,)]


def test_ads_destination_skips_members_without_ads_consent(tmp_path: Path):
    warehouse = build_warehouse(tmp_path / "wh.duckdb", _crowd())
    dest = Recorder(tmp_path / "o", consent="ads")
    result = run_sync(warehouse, _config(tmp_path), "s", SECRETS, destination=dest)
    assert "noads@example.com" not in {key for _, key in dest.sent}
    assert "null@example.com" not in {key for _, key in dest.sent}
    assert result.skipped_consent == 2


def test_consent_withdrawn_and_suppressed_members_are_removed_even_in_upsert_mode(tmp_path: Path):
    warehouse = build_warehouse(tmp_path / "wh.duckdb", people(4))
    config = _config(tmp_path, mode="upsert")
    run_sync(warehouse, config, "s", SECRETS, destination=Recorder(tmp_path / "o", "email"))
    update(
        warehouse,
        "update marts.customers set email_marketing_consent = false where customer_id = 'c00001'",
    )
    assert suppress(warehouse, suppression_hashes(emails=[" USER2@example.com "]), "erasure") == 1
    dest = Recorder(tmp_path / "o", consent="email")
    result = run_sync(warehouse, config, "s", SECRETS, destination=dest)
    assert sorted(dest.sent) == [("remove", "user1@example.com"), ("remove", "user2@example.com")]
    assert dest.removal_reasons == {
        "user1@example.com": RemovalReason.CONSENT_WITHDRAWN,
        "user2@example.com": RemovalReason.SUPPRESSED,
    }
    assert (result.removed, result.skipped_consent) == (2, 2)


def test_each_removal_carries_why_the_member_goes_to_the_destination_and_the_sync_log(
    tmp_path: Path,
):
    warehouse = build_warehouse(tmp_path / "wh.duckdb", people(6))
    config = _config(tmp_path)
    run_sync(warehouse, config, "s", SECRETS, destination=Recorder(tmp_path / "o", "email"))
    consent_off = "update marts.customers set email_marketing_consent = false where customer_id = ?"
    left = "delete from marts.segment_memberships where customer_id = ?"
    update(warehouse, left, ["c00001"])
    update(warehouse, consent_off, ["c00002"])
    suppress(warehouse, suppression_hashes(phones=["+14155550003"]), "do not contact")
    # Consent that the segment itself requires: the member leaves the segment as well.
    update(warehouse, consent_off, ["c00004"])
    update(warehouse, left, ["c00004"])
    # Erased: gone from the marts, suppressed by email.
    for table in ("customers", "customer_traits", "segment_memberships"):
        update(warehouse, f"delete from marts.{table} where customer_id = 'c00005'")
    suppress(warehouse, suppression_hashes(emails=["user5@example.com"]), "erasure")
    dest = Recorder(tmp_path / "o", consent="email")
    run_sync(warehouse, config, "s", SECRETS, destination=dest)
    assert dest.removal_reasons == {
        "user1@example.com": RemovalReason.LEFT_SEGMENT,
        "user2@example.com": RemovalReason.CONSENT_WITHDRAWN,
        "user3@example.com": RemovalReason.SUPPRESSED,
        "user4@example.com": RemovalReason.CONSENT_WITHDRAWN,
        "user5@example.com": RemovalReason.SUPPRESSED,
    }
    logged = query(
        warehouse,
        "select member_hash, removal_reason from activation.sync_log where operation = 'remove'",
    )
    assert dict(logged) == {sha256_hex(k): v.value for k, v in dest.removal_reasons.items()}
    assert query(
        warehouse, "select count(*) from activation.sync_log where removal_reason is not null"
    ) == [(5,)]


def test_a_sync_log_without_the_removal_reason_column_gets_it_and_keeps_its_rows(
    tmp_path: Path,
):
    warehouse = build_warehouse(tmp_path / "wh.duckdb", people(3))
    update(warehouse, "create schema activation")
    update(
        warehouse,
        "create table activation.sync_log (run_id varchar not null, sync varchar not null,"
        " member_hash varchar not null, operation varchar not null, status varchar not null,"
        " error varchar, logged_at timestamp not null)",
    )
    update(
        warehouse,
        "insert into activation.sync_log values ('r0', 's', 'h', 'add', 'ok', null, now())",
    )
    config = _config(tmp_path)
    run_sync(warehouse, config, "s", SECRETS, destination=Recorder(tmp_path / "o"))
    update(warehouse, "delete from marts.segment_memberships where customer_id = 'c00001'")
    assert run_sync(warehouse, config, "s", SECRETS, destination=Recorder(tmp_path / "o")).removed
    rows = query(
        warehouse,
        "select run_id = 'r0', operation, removal_reason from activation.sync_log"
        " order by logged_at, operation",
    )
    assert rows == [(True, "add", None)] + [(False, "add", None)] * 3 + [
        (False, "remove", "left_segment")
    ]


def test_suppression_applies_to_destinations_without_consent_purpose(tmp_path: Path):
    warehouse = build_warehouse(tmp_path / "wh.duckdb", people(3))
    suppress(warehouse, suppression_hashes(phones=["+14155550001"]), "do not contact")
    dest = Recorder(tmp_path / "o")
    run_sync(warehouse, _config(tmp_path), "s", SECRETS, destination=dest)
    assert sorted(key for _, key in dest.sent) == ["user0@example.com", "user2@example.com"]
    stored = query(warehouse, "select identifier_hash from activation.suppressions")
    assert all("@" not in h for (h,) in stored)


def test_crash_halfway_then_rerun_sends_each_member_exactly_once(tmp_path: Path):
    warehouse = build_warehouse(tmp_path / "wh.duckdb", people(9))
    config = _config(tmp_path)
    crashing = Recorder(tmp_path / "o", crash_on_batch=3)
    with pytest.raises(ConnectionError, match="simulated crash"):
        run_sync(warehouse, config, "s", SECRETS, destination=crashing)
    assert len(crashing.sent) == 4  # two acknowledged batches of two
    runs = query(warehouse, "select status, added from activation.sync_runs")
    assert runs == [("failed", 4)]
    resumed = Recorder(tmp_path / "o")
    result = run_sync(warehouse, config, "s", SECRETS, destination=resumed)
    assert result.added == 5
    everything = [key for _, key in crashing.sent + resumed.sent]
    assert sorted(everything) == sorted(f"user{i}@example.com" for i in range(9))
    assert len(set(everything)) == 9


def test_a_crash_echoing_identifiers_is_stored_redacted_in_the_run(tmp_path: Path):
    warehouse = build_warehouse(tmp_path / "wh.duckdb", people(1))
    crash = f"reply: {ECHOED_EMAIL} is {ECHOED_HASH}"
    crashing = Recorder(tmp_path / "o", crash_on_batch=1, crash=crash)
    with pytest.raises(ConnectionError):
        run_sync(warehouse, _config(tmp_path), "s", SECRETS, destination=crashing)
    runs = query(warehouse, "select status, error from activation.sync_runs")
    assert runs == [("failed", "ConnectionError: reply: <redacted> is <redacted>")]


def test_sync_log_holds_hashed_member_keys_and_one_row_per_operation(tmp_path: Path):
    warehouse = build_warehouse(tmp_path / "wh.duckdb", people(3))
    run_sync(warehouse, _config(tmp_path), "s", SECRETS)
    rows = query(warehouse, "select member_hash, operation, status from activation.sync_log")
    assert len(rows) == 3
    assert all(len(h) == 64 and "@" not in h for h, _, _ in rows)
    assert {(op, status) for _, op, status in rows} == {("add", "ok")}


def test_destination_factory_builds_files_from_settings(tmp_path: Path):
    dest = build_destination({"type": "files", "output_dir": str(tmp_path)}, SECRETS)
    assert isinstance(dest, Destination)
    dest.check_connection()
