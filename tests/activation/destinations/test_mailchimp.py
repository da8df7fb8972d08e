from __future__ import annotations

import hashlib
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from activation.destinations.base import ConnectionCheckError
from activation.destinations.mailchimp import base_url_for_key
from activation.fakes.mailchimp import FakeMailchimp
from activation.suppression import suppress, suppression_hashes
from tests.activation.destinations.harness import SECRET, log_rows, sync, warehouse_text
from tests.activation.warehouse import Person, build_warehouse, people, update

pytestmark = pytest.mark.slow
FIELDS = {"email": "email", "FNAME": "first_name", "LNAME": "last_name"}


def _settings(fake: FakeMailchimp, **extra: object) -> dict[str, object]:
    return {"type": "mailchimp", "list_id": "list1", "base_url": fake.url, **extra}


def test_key_suffix_picks_the_data_center():
    assert base_url_for_key("abc123-us19") == "https://us19.api.mailchimp.com"
    with pytest.raises(ConnectionCheckError):
        base_url_for_key("nodatacenter")


def test_upserts_tagged_members_in_batches_of_at_most_500(tmp_path: Path):
    warehouse = build_warehouse(tmp_path / "wh.duckdb", people(1203))
    with FakeMailchimp(SECRET, "list1") as fake:
        result = sync(warehouse, _settings(fake), fields=FIELDS)
        assert (result.status, result.added) == ("success", 1203)
        assert len(fake.tagged("vip")) == 1203
        assert fake.members["user7@example.com"]["merge_fields"] == {"FNAME": "Ann", "LNAME": "Lee"}
        assert fake.members["user7@example.com"]["status"] == "subscribed"
        requests = fake.requests
        rerun = sync(warehouse, _settings(fake, batch_size=500), fields=FIELDS)
        assert (rerun.added, rerun.updated, rerun.removed) == (0, 0, 0)
        assert fake.requests == requests  # nothing changed: not a single request
    with pytest.raises(ValueError, match="500"):
        sync(warehouse, {"type": "mailchimp", "list_id": "l", "batch_size": 501}, fields=FIELDS)


def test_fake_refuses_more_than_500_members_with_problem_json():

    with FakeMailchimp(SECRET, "list1") as fake:
        members = [
            {"email_address": f"u{i}@x.io", "status_if_new": "subscribed"} for i in range(501)
        ]
        response = httpx.post(
            f"{fake.url}/3.0/lists/list1", json={"members": members}, auth=("any", SECRET)
        )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["title"] == "Invalid Resource"


def test_one_rejected_member_fails_alone_and_is_retried_next_run(tmp_path: Path):
    warehouse = build_warehouse(tmp_path / "wh.duckdb", people(5))
    with FakeMailchimp(SECRET, "list1", reject_emails={"user3@example.com"}) as fake:
        first = sync(warehouse, _settings(fake), fields=FIELDS)
        assert (first.status, first.added, first.failed) == ("partial", 4, 1)
        failed = [row for row in log_rows(warehouse) if row[1] == "failed"]
        assert failed == [("add", "failed", "ERROR_GENERIC: <member> looks fake or invalid")]
        fake.reject_emails.clear()
        second = sync(warehouse, _settings(fake), fields=FIELDS)
        assert (second.added, second.failed) == (1, 0)
        assert "user3@example.com" in fake.tagged("vip")


def test_leavers_are_untagged_or_unsubscribed_per_config(tmp_path: Path):
    warehouse = build_warehouse(tmp_path / "wh.duckdb", people(4))
    with FakeMailchimp(SECRET, "list1") as fake:
        sync(warehouse, _settings(fake), fields=FIELDS)
        update(warehouse, "delete from marts.segment_memberships where customer_id = 'c00001'")
        result = sync(warehouse, _settings(fake), fields=FIELDS)
        assert result.removed == 1
        assert "user1@example.com" not in fake.tagged("vip")
        assert fake.members["user1@example.com"]["status"] == "subscribed"
        update(warehouse, "delete from marts.segment_memberships where customer_id = 'c00002'")
        sync(warehouse, _settings(fake, leaver_action="unsubscribe"), fields=FIELDS)
        assert fake.members["user2@example.com"]["status"] == "unsubscribed"


def _statuses(fake: FakeMailchimp) -> dict[str, str]:
    return {email: member["status"] for email, member in fake.members.items()}


def test_withdrawn_consent_and_suppression_unsubscribe_while_a_leaver_is_only_untagged(
    tmp_path: Path,
):
    warehouse = build_warehouse(tmp_path / "wh.duckdb", people(5))
    with FakeMailchimp(SECRET, "list1") as fake:
        sync(warehouse, _settings(fake), fields=FIELDS)
        update(warehouse, "delete from marts.segment_memberships where customer_id = 'c00001'")
        update(
            warehouse,
            "update marts.customers set email_marketing_consent = false"
            " where customer_id = 'c00002'",
        )
        suppress(warehouse, suppression_hashes(emails=["user3@example.com"]), "erasure")
        result = sync(warehouse, _settings(fake), fields=FIELDS)
        assert (result.removed, result.failed) == (3, 0)
        assert _statuses(fake) == {
            "user0@example.com": "subscribed",
            "user1@example.com": "subscribed",
            "user2@example.com": "unsubscribed",
            "user3@example.com": "unsubscribed",
            "user4@example.com": "subscribed",
        }
        assert "user1@example.com" not in fake.tagged("vip")
        # Consent back: batch subscribe's status_if_new does not resubscribe them.
        update(warehouse, "update marts.customers set email_marketing_consent = true")
        again = sync(warehouse, _settings(fake), fields=FIELDS)
        assert again.added == 1
        assert _statuses(fake)["user2@example.com"] == "unsubscribed"


def test_consent_loss_that_also_empties_a_consent_based_segment_unsubscribes(tmp_path: Path):
    """A segment may require consent itself: losing it drops the member from the segment, which
    a mirror sees as leaving; the removal must still unsubscribe."""
    warehouse = build_warehouse(tmp_path / "wh.duckdb", people(3))
    with FakeMailchimp(SECRET, "list1") as fake:
        sync(warehouse, _settings(fake), fields=FIELDS)
        update(
            warehouse,
            "update marts.customers set email_marketing_consent = false"
            " where customer_id = 'c00001'",
        )
        update(warehouse, "delete from marts.segment_memberships where customer_id = 'c00001'")
        result = sync(warehouse, _settings(fake), fields=FIELDS)
        assert result.removed == 1
        assert _statuses(fake)["user1@example.com"] == "unsubscribed"
        assert _statuses(fake)["user0@example.com"] == "subscribed"


def test_fake_batch_unsubscribe_follows_mailchimps_contract():
    url, auth = "/3.0/lists/list1", ("any", SECRET)
    with FakeMailchimp(SECRET, "list1") as fake:

        def batch(*members: dict[str, str], update_existing: bool = True) -> httpx.Response:
            body = {"members": list(members), "update_existing": update_existing}
            return httpx.post(fake.url + url, json=body, auth=auth)

        batch({"email_address": "a@x.io", "status_if_new": "subscribed"})
        refused = batch(
            {"email_address": "a@x.io", "status": "unsubscribed"}, update_existing=False
        )
        assert [e["error_code"] for e in refused.json()["errors"]] == ["ERROR_CONTACT_EXISTS"]
        assert _statuses(fake) == {"a@x.io": "subscribed"}
        assert batch({"email_address": "a@x.io", "status": "unsubscribed"}).json()["errors"] == []
        assert _statuses(fake) == {"a@x.io": "unsubscribed"}
        batch({"email_address": "a@x.io", "status_if_new": "subscribed"})
        assert _statuses(fake) == {"a@x.io": "unsubscribed"}
        invalid = batch({"email_address": "b@x.io", "status": "removed"})
        assert (invalid.status_code, invalid.json()["title"]) == (400, "Invalid Resource")
        assert "b@x.io" not in fake.members


def test_unsubscribed_and_bounced_members_never_reach_mailchimp(tmp_path: Path):
    crowd = [
        Person("a", "a@example.com"),
        Person("b", "b@example.com", unsubscribed=True),
        Person("c", "c@example.com", bounced=True),
        Person("d", "d@example.com", email_consent=False),
    ]
    warehouse = build_warehouse(tmp_path / "wh.duckdb", crowd)
    with FakeMailchimp(SECRET, "list1") as fake:
        result = sync(warehouse, _settings(fake), fields=FIELDS)
    assert set(fake.members) == {"a@example.com"}
    assert result.skipped_consent == 3


def test_wrong_key_fails_the_connection_check_without_leaking_it(tmp_path: Path, caplog):
    warehouse = build_warehouse(tmp_path / "wh.duckdb", people(2))
    caplog.set_level(logging.DEBUG)
    with FakeMailchimp(SECRET, "list1") as fake, pytest.raises(ConnectionCheckError) as error:
        sync(warehouse, _settings(fake), fields=FIELDS, secret="wrong-key-us19")
    assert "API Key Invalid" in str(error.value)
    assert "wrong-key" not in str(error.value) + caplog.text
    assert fake.members == {}


def test_throttle_429s_are_retried_within_ten_connections_and_no_secret_is_logged(
    tmp_path: Path, caplog
):
    warehouse = build_warehouse(tmp_path / "wh.duckdb", people(60))
    caplog.set_level(logging.DEBUG)
    with FakeMailchimp(SECRET, "list1", rate_limit=10) as fake:
        fake.throttle_next = 3  # and the rate limit may throttle more
        result = sync(
            warehouse,
            _settings(
                fake,
                batch_size=2,
                max_concurrency=10,
                rate_limit_per_second=None,
                max_retries=10,
                backoff_base_seconds=0.2,
            ),
            fields=FIELDS,
        )
        assert fake.throttled > 0
        assert fake.peak_concurrency <= 10
    assert (result.added, result.failed) == (60, 0)
    assert len(fake.tagged("vip")) == 60
    assert SECRET not in caplog.text
    assert SECRET not in warehouse_text(warehouse)


def test_fake_answers_429_beyond_ten_simultaneous_connections():

    with FakeMailchimp(SECRET, "list1") as fake:
        fake.latency = 1.0

        def ping(_: int) -> httpx.Response:
            return httpx.get(f"{fake.url}/3.0/ping", auth=("any", SECRET), timeout=10)

        with ThreadPoolExecutor(12) as pool:
            responses = list(pool.map(ping, range(12)))
    throttled = [r for r in responses if r.status_code == 429]
    assert throttled
    assert all("10 simultaneous connections" in r.json()["detail"] for r in throttled)
    assert sum(r.status_code == 200 for r in responses) >= 10


def test_failing_member_calls_leave_no_subscriber_hash_in_logs_or_sync_log(tmp_path: Path, caplog):
    """The subscriber hash is md5 of the email: once the person is erased it must be nowhere."""
    warehouse = build_warehouse(tmp_path / "wh.duckdb", people(2))
    subscriber = hashlib.md5(b"user1@example.com").hexdigest()
    caplog.set_level(logging.DEBUG)
    with FakeMailchimp(SECRET, "list1") as fake:
        sync(warehouse, _settings(fake), fields=FIELDS)
        update(warehouse, "delete from marts.segment_memberships where customer_id = 'c00001'")
        fake.outage_after = fake.requests + 1  # the connection check, then 503s
        result = sync(warehouse, _settings(fake, max_retries=1), fields=FIELDS)
    assert (result.removed, result.failed) == (0, 1)
    (failed,) = [row for row in log_rows(warehouse) if row[1] == "failed"]
    assert "gave up after 2 attempts: HTTP 503" in failed[2]
    assert "/members/" in caplog.text  # the member calls were logged, without the hash
    assert subscriber not in caplog.text + warehouse_text(warehouse)
