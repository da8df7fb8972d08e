from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from activation.destinations.base import ConnectionCheckError
from activation.fakes.google import FakeGoogleDataManager
from activation.fakes.server import KnownPlaintexts
from tests.activation.destinations.harness import SECRET, log_rows, sync, warehouse_text
from tests.activation.warehouse import Person, build_warehouse, people, update

pytestmark = pytest.mark.slow


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _settings(fake: FakeGoogleDataManager, **extra: object) -> dict[str, object]:
    return {
        "type": "google",
        "operating_account_id": "123",
        "audience_id": "456",
        "base_url": fake.url,
        **extra,
    }


def _fake(**kwargs: object) -> FakeGoogleDataManager:
    return FakeGoogleDataManager(SECRET, "123", "456", **kwargs)


def test_members_arrive_with_e164_plus_phone_hash_and_granted_consent(tmp_path: Path):
    lan = Person("vn1", "Lan@Example.com", "0912 345 678", "Lan", "Nguyễn", "VN")
    known = KnownPlaintexts({"0912 345 678": "+84912345678"}, also_wrong={"84912345678"})
    warehouse = build_warehouse(tmp_path / "wh.duckdb", [lan])
    with _fake(known=known) as fake:
        result = sync(warehouse, _settings(fake))
        assert (result.added, result.failed) == (1, 0)
        assert fake.emails() == {sha("lan@example.com")}
        assert fake.phones() == {sha("+84912345678")}
        assert fake.consents[-1] == {
            "adUserData": "CONSENT_GRANTED",
            "adPersonalization": "CONSENT_GRANTED",
        }


def test_rejected_identifier_fails_alone_and_request_is_resent_without_it(tmp_path: Path):
    known = KnownPlaintexts({"user1@example.com": "USER1@example.com"})  # unreachable form
    warehouse = build_warehouse(tmp_path / "wh.duckdb", people(4))
    with _fake(known=known) as fake:
        result = sync(warehouse, _settings(fake))
        assert (result.added, result.failed) == (3, 1)
        assert sha("user1@example.com") not in fake.emails()
        assert len(fake.emails()) == 3
    (failure,) = [row for row in log_rows(warehouse) if row[1] == "failed"]
    assert failure[2].startswith("INVALID_ARGUMENT")


def test_batches_respect_the_10000_member_cap_and_removals_go_to_remove(tmp_path: Path):
    warehouse = build_warehouse(tmp_path / "wh.duckdb", people(12_000))
    with _fake() as fake:
        assert sync(warehouse, _settings(fake)).added == 12_000
        assert fake.requests == 3  # connection check + 10,000 + 2,000
        update(warehouse, "delete from marts.segment_memberships where customer_id < 'c00010'")
        assert sync(warehouse, _settings(fake)).removed == 10
        # c00000-c00009 share their phones with c10000-c10009, and a removal drops every user it
        # matches on any identifier, as Google matches users
        assert len(fake.emails()) == 11_980


def test_retry_after_is_honoured_on_resource_exhausted(tmp_path: Path):
    warehouse = build_warehouse(tmp_path / "wh.duckdb", people(9))
    with _fake(rate_limit=2) as fake:
        fake.throttle_next = 3  # and the rate limit may throttle more
        result = sync(warehouse, _settings(fake, batch_size=3))
        assert fake.throttled > 0
    assert (result.added, result.failed) == (9, 0)


def test_wrong_token_fails_connection_check_without_leaking(tmp_path: Path, caplog):
    warehouse = build_warehouse(tmp_path / "wh.duckdb", people(2))
    with _fake() as fake, pytest.raises(ConnectionCheckError, match="UNAUTHENTICATED"):
        sync(warehouse, _settings(fake), secret="nope")
    assert SECRET not in caplog.text + warehouse_text(warehouse)
