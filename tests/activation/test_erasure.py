"""Right to erasure at the destinations: each API's own deletion call, at the fakes."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

import httpx
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from activation.config import ActivationConfig, SyncConfig
from activation.engine import SyncResult, run_sync
from activation.erasure import ErasureSubject, erase_from_destinations
from activation.fakes.google import FakeGoogleDataManager
from activation.fakes.hubspot import FakeHubSpot
from activation.fakes.mailchimp import FakeMailchimp
from activation.fakes.meta import FakeMeta
from activation.fakes.webhook import FakeWebhook
from tests.activation.destinations.harness import (
    CONTACT_FIELDS,
    ECHOED_EMAIL,
    ECHOED_HASH,
    FAST_RETRIES,
    SECRET,
    RefusingApi,
    secrets,
    warehouse_text,
)
from tests.activation.warehouse import Person, build_warehouse, query, update

pytestmark = pytest.mark.slow

ANN = Person("c1", "Ann.Tran@Example.com", "+84912345678", "Ann", "Trần", "VN")
BOB = Person("c2", "bob@example.com", "+14155550100", "Bob", "Lee", "US")
CAT = Person("c3", "cat@example.com", "+14155550101", "Cat", "Ng", "US")
ANN_SUBJECT = ErasureSubject(
    customer_ids=("c1",), emails=(" ANN.TRAN@example.com",), phones=("+84 912 345 678",)
)


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _config(
    destination: dict[str, Any], fields: dict[str, str], member_key: str = "email"
) -> ActivationConfig:
    secret = {} if destination["type"] == "files" else {"secret": "destinations.test.key"}
    return ActivationConfig(
        destinations={"dest": {**secret, **FAST_RETRIES, **destination}},
        syncs=[
            SyncConfig(
                name="audience",
                segment="vip",
                destination="dest",
                mode="mirror",
                member_key=member_key,
                fields=fields,
            )
        ],
    )


def _sync(warehouse: Path, config: ActivationConfig) -> SyncResult:
    return run_sync(warehouse, config, "audience", secrets())


def _erase(warehouse: Path, config: ActivationConfig, subject: ErasureSubject = ANN_SUBJECT):
    return erase_from_destinations(warehouse, config, secrets(), subject)


def _statuses(removals: list) -> list[tuple[str, str]]:
    return [(r.sync, r.status) for r in removals]


def test_meta_person_is_deleted_from_the_audience_by_hashed_identifiers(tmp_path: Path):
    warehouse = build_warehouse(tmp_path / "wh.duckdb", [ANN, BOB])
    with FakeMeta(SECRET, "aud1") as fake:
        config = _config(
            {"type": "meta", "audience_id": "aud1", "base_url": fake.url}, CONTACT_FIELDS
        )
        assert _sync(warehouse, config).added == 2
        assert _statuses(_erase(warehouse, config)) == [("audience", "removed")]
        (deleted,) = fake.deletions
        assert deleted == (
            sha("ann.tran@example.com"),
            sha("84912345678"),
            sha("ann"),
            sha("trần"),
            sha("vn"),
        )
        assert fake.emails() == {sha("bob@example.com")}


def test_google_person_is_removed_with_hashed_email_and_e164_phone(tmp_path: Path):
    warehouse = build_warehouse(tmp_path / "wh.duckdb", [ANN, BOB])
    settings = {"operating_account_id": "123", "audience_id": "ul1"}
    with FakeGoogleDataManager(SECRET, "123", "ul1") as fake:
        config = _config({"type": "google", "base_url": fake.url, **settings}, CONTACT_FIELDS)
        assert _sync(warehouse, config).added == 2
        assert _statuses(_erase(warehouse, config)) == [("audience", "removed")]
        assert fake.removals == [
            (("emailAddress", sha("ann.tran@example.com")), ("phoneNumber", sha("+84912345678")))
        ]
        assert fake.emails() == {sha("bob@example.com")}


def test_mailchimp_member_is_deleted_permanently_and_cannot_be_re_added(tmp_path: Path):
    warehouse = build_warehouse(tmp_path / "wh.duckdb", [ANN, BOB])
    fields = {"email": "email", "FNAME": "first_name"}
    with FakeMailchimp(SECRET, "list1") as fake:
        config = _config({"type": "mailchimp", "list_id": "list1", "base_url": fake.url}, fields)
        assert _sync(warehouse, config).added == 2
        assert _statuses(_erase(warehouse, config)) == [("audience", "removed")]
        subscriber = hashlib.md5(b"ann.tran@example.com").hexdigest()
        assert fake.permanently_deleted == {subscriber}
        member = httpx.get(f"{fake.url}/3.0/lists/list1/members/{subscriber}", auth=("x", SECRET))
        assert member.status_code == 404
        assert set(fake.members) == {"bob@example.com"}
        rerun = _sync(warehouse, config)  # the marts still hold Ann here: Mailchimp refuses her
        assert (rerun.added, rerun.failed) == (0, 1)
        assert set(fake.members) == {"bob@example.com"}


def test_mailchimp_leaver_untagged_earlier_is_still_erased(tmp_path: Path):
    """An untag keeps the contact at Mailchimp: the sync log's history, not the current state,
    says who must be erased."""
    warehouse = build_warehouse(tmp_path / "wh.duckdb", [ANN, BOB])
    fields = {"email": "email"}
    with FakeMailchimp(SECRET, "list1") as fake:
        config = _config({"type": "mailchimp", "list_id": "list1", "base_url": fake.url}, fields)
        _sync(warehouse, config)
        update(warehouse, "delete from marts.segment_memberships where customer_id = 'c1'")
        assert _sync(warehouse, config).removed == 1
        assert "ann.tran@example.com" in fake.members  # untagged, still on the list
        assert _statuses(_erase(warehouse, config)) == [("audience", "removed")]
        assert "ann.tran@example.com" not in fake.members
        assert fake.permanently_deleted == {hashlib.md5(b"ann.tran@example.com").hexdigest()}


def test_hubspot_contact_is_gdpr_deleted(tmp_path: Path):
    warehouse = build_warehouse(tmp_path / "wh.duckdb", [ANN, BOB])
    fields = {"email": "email", "firstname": "first_name"}
    with FakeHubSpot(SECRET) as fake:
        config = _config({"type": "hubspot", "base_url": fake.url}, fields)
        assert _sync(warehouse, config).added == 2
        assert _statuses(_erase(warehouse, config)) == [("audience", "removed")]
        assert fake.gdpr_deleted == ["ann.tran@example.com"]
        contact = httpx.get(
            f"{fake.url}/crm/v3/objects/contacts/ann.tran@example.com",
            params={"idProperty": "email"},
            headers={"Authorization": f"Bearer {SECRET}"},
        )
        assert contact.status_code == 404
        assert set(fake.contacts) == {"bob@example.com"}


def test_webhook_receives_a_signed_delete_event_naming_only_the_key(tmp_path: Path):
    warehouse = build_warehouse(tmp_path / "wh.duckdb", [ANN, BOB])
    fields = {"customer_id": "customer_id", "email": "email"}
    with FakeWebhook(SECRET) as fake:
        config = _config(
            {"type": "webhook", "url": f"{fake.url}/hook"}, fields, member_key="customer_id"
        )
        assert _sync(warehouse, config).added == 2
        assert _statuses(_erase(warehouse, config)) == [("audience", "removed")]
        assert fake.erased == ["c1"]
        assert set(fake.members) == {"c2"}


def test_file_drop_is_rewritten_without_the_persons_rows_and_others_intact(tmp_path: Path):
    warehouse = build_warehouse(tmp_path / "wh.duckdb", [ANN, BOB, CAT])
    out = tmp_path / "files"
    fields = {"customer_id": "customer_id", "email": "email", "first_name": "first_name"}
    config = _config({"type": "files", "output_dir": str(out)}, fields, member_key="customer_id")
    _sync(warehouse, config)
    update(warehouse, "update marts.customers set first_name = 'Annie' where customer_id = 'c1'")
    assert _sync(warehouse, config).updated == 1  # Ann is now in two diff parts and the snapshot
    before = {p.name: pq.read_table(p).num_rows for p in out.rglob("*.parquet")}
    assert _statuses(_erase(warehouse, config)) == [("audience", "removed")]
    for path in out.rglob("*.parquet"):
        rows = pq.read_table(path).to_pylist()
        csv_rows = pacsv.read_csv(path.with_suffix(".csv")).to_pylist()
        assert all(r["customer_id"] != "c1" for r in rows + csv_rows), path
        assert all("ann" not in str(r["email"]).lower() for r in rows + csv_rows), path
        assert len(rows) == len(csv_rows)
    after = {p.name: pq.read_table(p).num_rows for p in out.rglob("*.parquet")}
    assert after["snapshot.parquet"] == before["snapshot.parquet"] - 1 == 2
    assert sum(before.values()) - sum(after.values()) == 3  # snapshot, the add, the update
    assert not [p for p in out.rglob("*") if p.name.startswith(".")]  # no temp file left


def test_unknown_person_makes_no_call_and_writes_nothing(tmp_path: Path):
    warehouse = build_warehouse(tmp_path / "wh.duckdb", [BOB])
    with FakeHubSpot(SECRET) as fake:
        config = _config({"type": "hubspot", "base_url": fake.url}, {"email": "email"})
        _sync(warehouse, config)
        requests = fake.requests
        log_before = query(warehouse, "select count(*) from activation.sync_log")
        assert _erase(warehouse, config) == []
        assert fake.requests == requests
        assert query(warehouse, "select count(*) from activation.sync_log") == log_before


def test_person_never_synced_anywhere_on_a_fresh_warehouse_is_no_call(tmp_path: Path):
    warehouse = build_warehouse(tmp_path / "wh.duckdb", [ANN])
    config = _config({"type": "hubspot", "base_url": "http://127.0.0.1:9"}, {"email": "email"})
    assert _erase(warehouse, config) == []


def test_throttled_removal_is_retried_until_accepted(tmp_path: Path):
    warehouse = build_warehouse(tmp_path / "wh.duckdb", [ANN, BOB])
    with FakeHubSpot(SECRET) as fake:
        config = _config(
            {"type": "hubspot", "base_url": fake.url, "backoff_base_seconds": 0.05},
            {"email": "email"},
        )
        _sync(warehouse, config)
        fake.throttle_next = 2
        assert _statuses(_erase(warehouse, config)) == [("audience", "removed")]
        assert fake.throttled == 2
        assert fake.gdpr_deleted == ["ann.tran@example.com"]


def test_activation_tables_hold_no_raw_pii_of_the_person_afterwards(tmp_path: Path):
    warehouse = build_warehouse(tmp_path / "wh.duckdb", [ANN, BOB])
    with FakeMailchimp(SECRET, "list1", reject_emails={"ann.tran@example.com"}) as fake:
        config = _config(
            {"type": "mailchimp", "list_id": "list1", "base_url": fake.url}, CONTACT_FIELDS
        )
        _sync(warehouse, config)  # Ann is refused: her address is echoed in the error
        fake.reject_emails.clear()
        _sync(warehouse, config)
        assert "ann.tran@example.com" in warehouse_text(warehouse, "activation").lower()
        assert _statuses(_erase(warehouse, config)) == [("audience", "removed")]
    text = warehouse_text(warehouse, "activation").lower()
    for value in ("ann.tran@example.com", "+84912345678", "trần", "'c1'"):
        assert value not in text
    assert query(warehouse, "select count(*) from activation.sync_state") == [(1,)]
    assert query(
        warehouse, "select member_hash, status from activation.sync_log where operation = 'erase'"
    ) == [(sha("ann.tran@example.com"), "ok")]


def test_second_erasure_sends_nothing_and_says_not_sent(tmp_path: Path):
    warehouse = build_warehouse(tmp_path / "wh.duckdb", [ANN, BOB])
    with FakeHubSpot(SECRET) as fake:
        config = _config({"type": "hubspot", "base_url": fake.url}, {"email": "email"})
        _sync(warehouse, config)
        assert _statuses(_erase(warehouse, config)) == [("audience", "removed")]
        requests = fake.requests
        (again,) = _erase(warehouse, config)
        assert (again.status, fake.requests) == ("not_sent", requests)
        assert again.detail.startswith("already erased")


def test_failed_removal_is_reported_and_sent_again_next_time(tmp_path: Path):
    warehouse = build_warehouse(tmp_path / "wh.duckdb", [ANN, BOB])
    with FakeHubSpot(SECRET) as fake:
        config = _config(
            {"type": "hubspot", "base_url": fake.url, "max_retries": 1}, {"email": "email"}
        )
        _sync(warehouse, config)
        fake.outage_after = fake.requests
        (failed,) = _erase(warehouse, config)
        assert failed.status == "failed"
        assert "503" in failed.detail and "ann" not in failed.detail.lower()
        assert query(warehouse, "select count(*) from activation.sync_state") == [(1,)]
        fake.outage_after = None
        assert _statuses(_erase(warehouse, config)) == [("audience", "removed")]
        assert fake.gdpr_deleted == ["ann.tran@example.com"]


def test_a_wait_too_long_mid_erasure_keeps_what_was_erased_and_defers_the_rest(tmp_path: Path):
    second_address = Person("c4", "ann.work@example.com", None, "Ann", "Trần", "VN")
    subject = ErasureSubject(emails=("ann.tran@example.com", "ann.work@example.com"))
    warehouse = build_warehouse(tmp_path / "wh.duckdb", [ANN, second_address, BOB])
    with FakeHubSpot(SECRET) as fake:
        config = _config(
            {"type": "hubspot", "base_url": fake.url, "batch_size": 1, "max_concurrency": 1},
            {"email": "email"},
        )
        _sync(warehouse, config)
        fake.daily_limit_after = fake.requests + 1  # one gdpr-delete, then the day is spent
        (stopped,) = _erase(warehouse, config, subject)
        assert stopped.status == "failed"
        assert stopped.detail.startswith(
            "1 of 2 member(s) erased; 1 deferred: hubspot: the API asked to wait 3600 s"
        )
        logged = query(
            warehouse,
            "select status, error from activation.sync_log where operation = 'erase'"
            " order by status desc",
        )
        assert [(status, (error or "")[:9]) for status, error in logged] == [
            ("ok", ""),
            ("failed", "deferred:"),
        ]
        assert query(warehouse, "select status from activation.sync_runs order by started_at")[
            -1
        ] == ("partial",)
        fake.daily_limit_after = None
        assert _statuses(_erase(warehouse, config, subject)) == [("audience", "removed")]
    assert fake.gdpr_deleted == ["ann.tran@example.com", "ann.work@example.com"]


def test_failed_mailchimp_erasure_stores_and_logs_no_subscriber_hash(tmp_path: Path, caplog):
    warehouse = build_warehouse(tmp_path / "wh.duckdb", [ANN, BOB])
    subscriber = hashlib.md5(b"ann.tran@example.com").hexdigest()
    caplog.set_level(logging.DEBUG)
    with FakeMailchimp(SECRET, "list1") as fake:
        config = _config(
            {"type": "mailchimp", "list_id": "list1", "base_url": fake.url, "max_retries": 1},
            {"email": "email"},
        )
        _sync(warehouse, config)
        fake.outage_after = fake.requests
        (failed,) = _erase(warehouse, config)
    assert failed.status == "failed" and "/members/<redacted>/actions" in failed.detail
    assert subscriber not in failed.detail + caplog.text + warehouse_text(warehouse)


def test_a_refused_erasure_echoing_identifiers_is_reported_and_stored_redacted(tmp_path: Path):
    warehouse = build_warehouse(tmp_path / "wh.duckdb", [ANN, BOB])
    fields = {"email": "email"}
    with FakeWebhook(SECRET) as fake:
        _sync(warehouse, _config({"type": "webhook", "url": fake.url}, fields))
    with RefusingApi(400) as refusing:
        (failed,) = _erase(warehouse, _config({"type": "webhook", "url": refusing.url}, fields))
    assert failed.status == "failed" and "HTTP 400: " in failed.detail
    stored = failed.detail + warehouse_text(warehouse, "activation")
    assert ECHOED_EMAIL not in stored and ECHOED_HASH not in stored


def test_sync_removed_from_configuration_is_reported_failed(tmp_path: Path):
    warehouse = build_warehouse(tmp_path / "wh.duckdb", [ANN])
    with FakeHubSpot(SECRET) as fake:
        config = _config({"type": "hubspot", "base_url": fake.url}, {"email": "email"})
        _sync(warehouse, config)
    renamed = ActivationConfig(destinations=config.destinations, syncs=[])
    (removal,) = _erase(warehouse, renamed)
    assert (removal.sync, removal.destination, removal.status) == ("audience", "dest", "failed")
    assert "by hand" in removal.detail


def test_meta_fake_removes_users_matching_any_match_key():
    with FakeMeta(SECRET, "aud1") as fake:
        fake.members = {(sha("a@x.io"), sha("1555"), sha("ann"), "", "")}
        form = {
            "payload": json.dumps(
                {
                    "schema": ["EMAIL", "PHONE", "FN", "LN", "COUNTRY"],
                    "data": [["", sha("1555"), "", "", ""]],
                }
            )
        }
        response = httpx.request(
            "DELETE",
            f"{fake.url}/v21.0/aud1/users",
            data=form,
            headers={"Authorization": f"Bearer {SECRET}"},
        )
        assert response.status_code == 200
        assert fake.members == set()
