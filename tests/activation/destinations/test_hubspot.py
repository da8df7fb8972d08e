from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from activation.destinations.base import ConnectionCheckError
from activation.destinations.hubspot import hubspot_throttle
from activation.fakes.hubspot import FakeHubSpot
from activation.http import WaitTooLongError
from tests.activation.destinations.harness import (
    ECHOED_EMAIL,
    ECHOED_HASH,
    SECRET,
    RefusingApi,
    log_rows,
    sync,
    warehouse_text,
)
from tests.activation.warehouse import build_warehouse, people, query, update

pytestmark = pytest.mark.slow
FIELDS = {"email": "email", "firstname": "first_name", "cdp_revenue": "lifetime_revenue_usd"}


def _settings(fake: FakeHubSpot, **extra: object) -> dict[str, object]:
    return {"type": "hubspot", "base_url": fake.url, **extra}


def test_contacts_upserted_by_email_with_traits_and_segment_flag(tmp_path: Path):
    warehouse = build_warehouse(tmp_path / "wh.duckdb", people(250))
    with FakeHubSpot(SECRET) as fake:
        result = sync(warehouse, _settings(fake), fields=FIELDS)
        assert (result.added, result.failed) == (250, 0)
        assert fake.requests == 1 + 3  # check + 100 + 100 + 50
        contact = fake.contacts["user5@example.com"]
        assert contact["firstname"] == "Ann"
        assert contact["cdp_segment_vip"] == "true"
        assert float(contact["cdp_revenue"]) == 10.0
        update(warehouse, "delete from marts.segment_memberships where customer_id = 'c00005'")
        assert sync(warehouse, _settings(fake), fields=FIELDS).removed == 1
        assert fake.contacts["user5@example.com"]["cdp_segment_vip"] == "false"


def test_fake_refuses_more_than_100_inputs():
    with FakeHubSpot(SECRET) as fake:
        inputs = [{"idProperty": "email", "id": f"u{i}@x.io", "properties": {}} for i in range(101)]
        response = httpx.post(
            f"{fake.url}/crm/v3/objects/contacts/batch/upsert",
            json={"inputs": inputs},
            headers={"Authorization": f"Bearer {SECRET}"},
        )
    assert response.status_code == 400
    assert response.json()["category"] == "VALIDATION_ERROR"


def test_207_partial_failure_acknowledges_the_rest(tmp_path: Path):
    warehouse = build_warehouse(tmp_path / "wh.duckdb", people(5))
    with FakeHubSpot(SECRET, reject_emails={"user2@example.com"}) as fake:
        result = sync(warehouse, _settings(fake), fields=FIELDS)
        assert (result.added, result.failed) == (4, 1)
        (failed,) = [row for row in log_rows(warehouse) if row[1] == "failed"]
        assert failed[2].startswith("VALIDATION_ERROR")
        fake.reject_emails.clear()
        assert sync(warehouse, _settings(fake), fields=FIELDS).added == 1
        assert len(fake.contacts) == 5


def test_429_with_policy_name_is_retried_and_nothing_lost(tmp_path: Path, caplog):
    warehouse = build_warehouse(tmp_path / "wh.duckdb", people(30))
    with FakeHubSpot(SECRET, rate_limit=3) as fake:
        fake.throttle_next = 3  # and the rate limit may throttle more
        result = sync(warehouse, _settings(fake, batch_size=2, max_retries=10), fields=FIELDS)
        assert fake.throttled > 0
    assert (result.added, result.failed) == (30, 0)
    assert SECRET not in caplog.text + warehouse_text(warehouse)


def test_throttle_reader_waits_for_retry_after_and_an_hour_on_daily_policy():
    request = httpx.Request("POST", "http://x")
    secondly = httpx.Response(
        429,
        json={"policyName": "TEN_SECONDLY_ROLLING"},
        headers={"Retry-After": "2"},
        request=request,
    )
    daily = httpx.Response(429, json={"policyName": "DAILY"}, request=request)
    assert hubspot_throttle(secondly) == 2.0
    assert hubspot_throttle(daily) == 3600.0
    assert hubspot_throttle(httpx.Response(207, json={}, request=request)) is None


def test_bad_token_is_refused(tmp_path: Path):
    warehouse = build_warehouse(tmp_path / "wh.duckdb", people(2))
    with FakeHubSpot(SECRET) as fake, pytest.raises(Exception, match="INVALID_AUTHENTICATION"):
        sync(warehouse, _settings(fake), fields=FIELDS, secret="nope")
    assert fake.contacts == {}


def test_outage_mid_run_then_rerun_sends_each_contact_exactly_once(tmp_path: Path):
    warehouse = build_warehouse(tmp_path / "wh.duckdb", people(250))
    with FakeHubSpot(SECRET) as fake:
        fake.outage_after = 2  # the connection check and one batch, then 503s
        first = sync(warehouse, _settings(fake, max_retries=2), fields=FIELDS)
        assert (first.status, first.added, first.failed) == ("partial", 100, 150)
        assert {row[2] for row in log_rows(warehouse) if row[1] == "failed"} == {
            "POST /crm/v3/objects/contacts/batch/upsert: gave up after 3 attempts: HTTP 503"
        }
        fake.outage_after = None
        second = sync(warehouse, _settings(fake), fields=FIELDS)
        assert (second.status, second.added, second.failed) == ("success", 150, 0)
        assert fake.upserts == 250
        assert len(fake.contacts) == 250


def test_daily_limit_stops_the_run_instead_of_retrying_early_and_the_rerun_finishes(
    tmp_path: Path,
):
    warehouse = build_warehouse(tmp_path / "wh.duckdb", people(250))
    with FakeHubSpot(SECRET) as fake:
        fake.daily_limit_after = 2  # the connection check and one batch, then the day is spent
        with pytest.raises(WaitTooLongError, match=r"^hubspot: the API asked to wait 3600 s"):
            sync(warehouse, _settings(fake), fields=FIELDS)
        assert fake.requests == 3  # the refused batch is not retried, later ones are not sent
        ((status, error),) = query(warehouse, "select status, error from activation.sync_runs")
        assert status == "failed" and "3600 s" in error and "max_wait_seconds" in error
        fake.daily_limit_after = None
        rerun = sync(warehouse, _settings(fake), fields=FIELDS)
        assert (rerun.status, rerun.added, len(fake.contacts)) == ("success", 150, 250)


def test_a_connection_check_refusal_echoing_identifiers_raises_them_redacted(tmp_path: Path):
    warehouse = build_warehouse(tmp_path / "wh.duckdb", people(1))
    with RefusingApi(403) as fake, pytest.raises(ConnectionCheckError) as refused:
        sync(warehouse, {"type": "hubspot", "base_url": fake.url}, fields=FIELDS)
    assert str(refused.value).startswith("HubSpot: HTTP 403: ")
    assert ECHOED_EMAIL not in str(refused.value) and ECHOED_HASH not in str(refused.value)
