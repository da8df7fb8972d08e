from __future__ import annotations

import hashlib
import json
from pathlib import Path

import httpx
import pytest

from activation.fakes.meta import FakeMeta
from activation.fakes.server import KnownPlaintexts
from tests.activation.destinations.harness import SECRET, log_rows, sync, warehouse_text
from tests.activation.warehouse import Person, build_warehouse, people, update

pytestmark = pytest.mark.slow


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


LAN = Person("vn1", "  Lan.Nguyen@Example.com ", "0912 345 678", "Lan", "Nguyễn", "VN")
KNOWN = KnownPlaintexts(
    {
        "  Lan.Nguyen@Example.com ": "lan.nguyen@example.com",
        "0912 345 678": "84912345678",
        "Nguyễn": "nguyễn",
        "Lan": "lan",
    },
    also_wrong={"+84912345678", "0912345678"},
)


def _settings(fake: FakeMeta, **extra: object) -> dict[str, object]:
    return {"type": "meta", "audience_id": "aud1", "base_url": fake.url, **extra}


def test_vietnamese_member_arrives_hashed_with_diacritics_kept(tmp_path: Path):
    warehouse = build_warehouse(tmp_path / "wh.duckdb", [LAN])
    with FakeMeta(SECRET, "aud1", known=KNOWN) as fake:
        result = sync(warehouse, _settings(fake))
        assert (result.added, result.failed) == (1, 0)
        (row,) = fake.members
    assert row == (
        sha("lan.nguyen@example.com"),
        sha("84912345678"),
        sha("lan"),
        sha("nguyễn"),
        sha("vn"),
    )


def test_fake_rejects_unhashed_and_wrongly_normalized_identifiers():
    with FakeMeta(SECRET, "aud1", known=KNOWN) as fake:
        rows = [
            ["lan.nguyen@example.com", "", "", "", ""],  # plaintext
            [sha("lan.nguyen@example.com"), sha("+84912345678"), "", "", ""],  # '+' kept
            ["", "", "", sha("nguyn"), ""],
        ]  # diacritics stripped
        form = {
            "payload": json.dumps(
                {"schema": ["EMAIL", "PHONE", "FN", "LN", "COUNTRY"], "data": rows}
            )
        }
        body = httpx.post(
            f"{fake.url}/v21.0/aud1/users", data=form, headers={"Authorization": f"Bearer {SECRET}"}
        ).json()
    assert body["num_invalid_entries"] == 3
    assert fake.members == set()


def test_batches_hold_at_most_10000_rows_in_one_numbered_session(tmp_path: Path):
    warehouse = build_warehouse(tmp_path / "wh.duckdb", people(25_000))
    with FakeMeta(SECRET, "aud1") as fake:
        result = sync(warehouse, _settings(fake))
        assert result.added == 25_000
        assert len(fake.members) == 25_000
        (session,) = fake.sessions.values()
        assert session == {"seqs": {1, 2, 3}, "closed": True}
        too_many = {"payload": json.dumps({"schema": "EMAIL_SHA256", "data": [sha("x")] * 10_001})}
        response = httpx.post(
            f"{fake.url}/v21.0/aud1/users",
            data=too_many,
            headers={"Authorization": f"Bearer {SECRET}"},
        )
    assert response.json()["error"]["code"] == 100


def test_members_without_ads_consent_are_skipped_and_leavers_deleted(tmp_path: Path):
    crowd = [*people(3), Person("na", "na@example.com", ads_consent=False)]
    warehouse = build_warehouse(tmp_path / "wh.duckdb", crowd)
    with FakeMeta(SECRET, "aud1") as fake:
        first = sync(warehouse, _settings(fake))
        assert (first.added, first.skipped_consent) == (3, 1)
        assert sha("na@example.com") not in fake.emails()
        update(warehouse, "delete from marts.segment_memberships where customer_id = 'c00000'")
        second = sync(warehouse, _settings(fake))
        assert second.removed == 1
        assert fake.emails() == {sha("user1@example.com"), sha("user2@example.com")}


def test_invalid_row_fails_alone_and_others_are_acknowledged(tmp_path: Path):
    bad = Person("bad", "bad@example.com", first_name="ann")
    known = KnownPlaintexts({"bad@example.com": "bad@example.com "})  # correct form unreachable
    warehouse = build_warehouse(tmp_path / "wh.duckdb", [*people(3), bad])
    with FakeMeta(SECRET, "aud1", known=known) as fake:
        result = sync(warehouse, _settings(fake))
    assert (result.added, result.failed) == (3, 1)
    (failed,) = [row for row in log_rows(warehouse) if row[1] == "failed"]
    assert failed[2].startswith("invalid entry")


@pytest.mark.parametrize("code", [17, 613, 4])
def test_throttling_error_codes_are_retried_until_accepted(tmp_path: Path, code: int):
    warehouse = build_warehouse(tmp_path / "wh.duckdb", people(40))
    with FakeMeta(SECRET, "aud1", rate_limit=4, throttle_code=code) as fake:
        fake.throttle_next = 3  # and the rate limit may throttle more
        result = sync(
            warehouse, _settings(fake, batch_size=5, backoff_base_seconds=0.1, max_retries=10)
        )
        assert fake.throttled > 0
        assert (result.added, result.failed) == (40, 0)
        assert len(fake.members) == 40


def test_bad_token_fails_check_and_token_never_stored(tmp_path: Path, caplog):
    warehouse = build_warehouse(tmp_path / "wh.duckdb", people(2))
    with FakeMeta(SECRET, "aud1") as fake:
        with pytest.raises(Exception, match="190"):
            sync(warehouse, _settings(fake), secret="bad-token")
        sync(warehouse, _settings(fake))
    assert SECRET not in warehouse_text(warehouse) + caplog.text


def test_form_body_is_byte_for_byte_what_urlencode_gives():
    from urllib.parse import urlencode

    from activation.destinations.meta import form_body

    fields = {
        "payload": json.dumps({"schema": ["EMAIL"], "data": [[sha("a")], ["x y+z%&=?/"]]}),
        "session": json.dumps({"session_id": 7, "last_batch_flag": True}),
        "note": "Nguyễn ~!*'()",
    }
    assert form_body(fields) == urlencode(fields).encode()
