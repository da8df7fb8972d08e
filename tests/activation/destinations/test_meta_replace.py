"""Meta `usersreplace`: syncs in `replace` mode send the whole audience in one session."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import httpx
import pytest

from activation.config import ConfigError
from activation.fakes.meta import FakeMeta
from tests.activation.destinations.harness import SECRET, log_rows, sync
from tests.activation.warehouse import build_warehouse, people, update

pytestmark = pytest.mark.slow
STALE = (hashlib.sha256(b"stale@example.com").hexdigest(), "", "", "", "")


def _settings(fake: FakeMeta, **extra: object) -> dict[str, object]:
    return {"type": "meta", "audience_id": "aud1", "base_url": fake.url, **extra}


def _post(fake: FakeMeta, edge: str, form: dict[str, str]) -> httpx.Response:
    return httpx.post(
        f"{fake.url}/v21.0/aud1/{edge}", data=form, headers={"Authorization": f"Bearer {SECRET}"}
    )


def test_replace_sends_the_audience_in_one_session_and_drops_who_was_left_out(tmp_path: Path):
    warehouse = build_warehouse(tmp_path / "wh.duckdb", people(25_000))
    with FakeMeta(SECRET, "aud1") as fake:
        fake.members.add(STALE)  # uploaded by someone else, not in the segment
        result = sync(warehouse, _settings(fake), mode="replace")
        assert (result.added, result.failed) == (25_000, 0)
        (session,) = fake.replace_sessions.values()
        assert (session["seqs"], session["last"], session["done"]) == ({1, 2, 3}, 3, True)
        assert len(fake.members) == 25_000 and STALE not in fake.members
        assert fake.sessions == {}  # nothing went through /users


def test_a_change_resends_everyone_and_the_leaver_goes_without_a_request(tmp_path: Path):
    warehouse = build_warehouse(tmp_path / "wh.duckdb", people(5))
    with FakeMeta(SECRET, "aud1") as fake:
        sync(warehouse, _settings(fake), mode="replace")
        update(warehouse, "delete from marts.segment_memberships where customer_id = 'c00000'")
        second = sync(warehouse, _settings(fake), mode="replace")
        assert (second.removed, second.planned["keep"], second.failed) == (1, 4, 0)
        assert len(fake.replace_sessions) == 2 and fake.deletions == []
        assert hashlib.sha256(b"user0@example.com").hexdigest() not in fake.emails()
        assert len(fake.members) == 4
        assert [row for row in log_rows(warehouse) if row[0] == "keep"] == [
            ("keep", "ok", None)
        ] * 4
        requests = fake.requests
        third = sync(warehouse, _settings(fake), mode="replace")
        assert third.planned == {"add": 0, "update": 0, "keep": 0, "remove": 0}
        assert fake.requests == requests  # unchanged: no replace, no request


def test_fake_refuses_users_calls_during_a_replace_and_replaces_without_session():
    row = [hashlib.sha256(b"a@x.io").hexdigest(), "", "", "", ""]
    payload = json.dumps({"schema": ["EMAIL", "PHONE", "FN", "LN", "COUNTRY"], "data": [row]})
    with FakeMeta(SECRET, "aud1") as fake:
        refused = _post(fake, "usersreplace", {"payload": payload})
        assert "session" in refused.json()["error"]["message"]
        first = {"session_id": 7, "batch_seq": 1, "last_batch_flag": False}
        assert _post(
            fake, "usersreplace", {"payload": payload, "session": json.dumps(first)}
        ).is_success
        blocked = _post(fake, "users", {"payload": payload})
        assert blocked.json()["error"]["code"] == 100
        other = {"session_id": 8, "batch_seq": 1, "last_batch_flag": True}
        assert not _post(
            fake, "usersreplace", {"payload": payload, "session": json.dumps(other)}
        ).is_success
        last = {"session_id": 7, "batch_seq": 2, "last_batch_flag": True}
        assert _post(
            fake, "usersreplace", {"payload": payload, "session": json.dumps(last)}
        ).is_success
        late = {"session_id": 7, "batch_seq": 3, "last_batch_flag": False}
        assert not _post(
            fake, "usersreplace", {"payload": payload, "session": json.dumps(late)}
        ).is_success
        assert _post(fake, "users", {"payload": payload}).is_success


def test_replace_mode_needs_a_destination_with_a_replace_call(tmp_path: Path):
    warehouse = build_warehouse(tmp_path / "wh.duckdb", people(2))
    with pytest.raises(ConfigError, match="replace"):
        sync(warehouse, {"type": "webhook", "url": "http://127.0.0.1:9/x"}, mode="replace")


def test_an_audience_that_empties_ends_with_nobody_in_it(tmp_path: Path):
    warehouse = build_warehouse(tmp_path / "wh.duckdb", people(3))
    with FakeMeta(SECRET, "aud1") as fake:
        sync(warehouse, _settings(fake), mode="replace")
        update(warehouse, "delete from marts.segment_memberships")
        emptied = sync(warehouse, _settings(fake), mode="replace")
        assert (emptied.status, emptied.removed, emptied.failed) == ("success", 3, 0)
        assert fake.members == set() and len(fake.deletions) == 3
        assert len(fake.replace_sessions) == 1  # the leavers went through DELETE /users
        requests = fake.requests
        again = sync(warehouse, _settings(fake), mode="replace")
        assert (again.removed, fake.requests) == (0, requests)
