from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from pathlib import Path

import httpx
import pytest

from activation.destinations.webhook import sign
from activation.fakes.webhook import FakeWebhook
from tests.activation.destinations.harness import (
    ECHOED_EMAIL,
    ECHOED_HASH,
    SECRET,
    RefusingApi,
    log_rows,
    sync,
    warehouse_text,
)
from tests.activation.warehouse import build_warehouse, people

pytestmark = pytest.mark.slow
FIELDS = {"email": "email", "revenue": "lifetime_revenue_usd"}


def _settings(fake: FakeWebhook | RefusingApi, **extra: object) -> dict[str, object]:
    return {"type": "webhook", "url": f"{fake.url}/hooks/cdp", **extra}


def test_signature_is_hmac_sha256_of_timestamp_and_body():
    expected = hmac.new(b"k", b"1700000000.{}", hashlib.sha256).hexdigest()
    assert sign(b"k", "1700000000", b"{}") == f"v1={expected}"


def test_signed_batches_arrive_and_rerun_sends_nothing(tmp_path: Path):
    warehouse = build_warehouse(tmp_path / "wh.duckdb", people(7))
    with FakeWebhook(SECRET) as fake:
        assert sync(warehouse, _settings(fake, batch_size=3), fields=FIELDS).added == 7
        assert fake.batches == 3
        assert fake.members["user4@example.com"] == {"email": "user4@example.com", "revenue": 10.0}
        assert sync(warehouse, _settings(fake, batch_size=3), fields=FIELDS).added == 0
        assert fake.batches == 3


def test_fake_refuses_wrong_signature_and_stale_timestamp():
    with FakeWebhook(SECRET) as fake:
        body = json.dumps({"operation": "add", "records": []}).encode()
        stale = str(int(time.time()) - 3600)
        for stamp, key in ((stale, SECRET.encode()), (str(int(time.time())), b"wrong")):
            response = httpx.post(
                fake.url,
                content=body,
                headers={"X-CDP-Timestamp": stamp, "X-CDP-Signature": sign(key, stamp, body)},
            )
            assert response.status_code == 401


def test_whole_batch_refusal_is_split_until_the_bad_record_fails_alone(tmp_path: Path):
    warehouse = build_warehouse(tmp_path / "wh.duckdb", people(8))
    with FakeWebhook(SECRET, reject_keys={"user5@example.com"}) as fake:
        result = sync(warehouse, _settings(fake, batch_size=8), fields=FIELDS)
        assert (result.added, result.failed) == (7, 1)
        assert set(fake.members) == {f"user{i}@example.com" for i in range(8) if i != 5}
    (failed,) = [row for row in log_rows(warehouse) if row[1] == "failed"]
    assert "422" in failed[2]


def test_signing_key_never_logged_or_stored(tmp_path: Path, caplog):
    warehouse = build_warehouse(tmp_path / "wh.duckdb", people(3))
    with FakeWebhook(SECRET, rate_limit=2) as fake:
        result = sync(warehouse, _settings(fake, batch_size=1), fields=FIELDS)
    assert result.added == 3
    assert SECRET not in caplog.text + warehouse_text(warehouse)


def test_a_refusal_echoing_an_email_and_a_hash_is_stored_and_logged_redacted(
    tmp_path: Path, caplog
):
    warehouse = build_warehouse(tmp_path / "wh.duckdb", people(2))
    caplog.set_level(logging.DEBUG)
    with RefusingApi(400) as fake:
        assert sync(warehouse, _settings(fake), fields=FIELDS).failed == 2
    errors = [error for _, status, error in log_rows(warehouse) if status == "failed"]
    assert len(errors) == 2 and all(e.startswith("HTTP 400: ") for e in errors)
    assert all(e.count("<redacted>") == 2 for e in errors)
    stored = warehouse_text(warehouse, "activation") + caplog.text
    assert ECHOED_EMAIL not in stored and ECHOED_HASH not in stored
