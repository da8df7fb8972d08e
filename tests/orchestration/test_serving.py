"""The serving copies: consistent, atomic, safe for readers that are already connected, and the
analysts' one free of raw personal data while the restricted one keeps it."""

from __future__ import annotations

import errno
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.serving import (
    RESTRICTED_NAME,
    ServingPublishError,
    publish_serving_copy,
    restricted_copy_path,
)
from tests.orchestration.serving_copies import published_inodes


def _warehouse(path: Path, customers: int) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists marts")
        con.execute(
            "create or replace table marts.customers as "
            f"select range as customer_id from range({customers})"
        )


def _count(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("select count(*) from marts.customers").fetchone()[0]


def _count_in_new_process(database: Path) -> int:
    """A fresh analyst session. (Within one process DuckDB reuses an already-open database for
    the same path, so a new connection there would still see the old snapshot.)"""
    code = (
        "import duckdb, sys; con = duckdb.connect(sys.argv[1], read_only=True); "
        "print(con.execute('select count(*) from marts.customers').fetchone()[0])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(database)], capture_output=True, text=True, check=True
    )
    return int(out.stdout)


def test_publish_copies_the_checkpointed_warehouse_and_no_raw_copy_unless_asked(
    tmp_path: Path,
) -> None:
    warehouse, serving = tmp_path / "cdp.duckdb", tmp_path / "serving.duckdb"
    _warehouse(warehouse, 3)

    snapshot = publish_serving_copy(warehouse, serving)

    assert snapshot.tables == 1
    assert snapshot.bytes == serving.stat().st_size
    assert snapshot.restricted_path is None
    with duckdb.connect(str(serving), read_only=True) as con:
        assert _count(con) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cdp.duckdb", "serving.duckdb"]


def test_the_restricted_copy_is_published_beside_when_asked(tmp_path: Path) -> None:
    warehouse, serving = tmp_path / "cdp.duckdb", tmp_path / "serving.duckdb"
    _warehouse(warehouse, 3)

    snapshot = publish_serving_copy(warehouse, serving, restricted=True)

    assert snapshot.restricted_path == tmp_path / RESTRICTED_NAME
    for copy in (serving, snapshot.restricted_path):
        with duckdb.connect(str(copy), read_only=True) as con:
            assert _count(con) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "cdp.duckdb",
        "serving.duckdb",
        RESTRICTED_NAME,
    ]


@pytest.mark.parametrize("reuse_previous", [False, True], ids=["fresh", "reusing"])
def test_a_publish_without_the_restricted_copy_deletes_the_one_left_behind(
    tmp_path: Path, reuse_previous: bool
) -> None:
    """Turning the copy off (or an erasure republishing without it) must not leave yesterday's
    raw data beside the new snapshot, and the swap is what makes the deletion safe."""
    warehouse, serving = tmp_path / "cdp.duckdb", tmp_path / "serving.duckdb"
    _warehouse(warehouse, 3)
    publish_serving_copy(warehouse, serving, restricted=True)
    _warehouse(warehouse, 5)

    snapshot = publish_serving_copy(warehouse, serving, reuse_previous=reuse_previous)

    assert snapshot.restricted_path is None
    assert not restricted_copy_path(serving).exists()
    assert _count_in_new_process(serving) == 5


def _refuse_direct_io(*_: object) -> int:
    raise OSError(errno.EINVAL, "O_DIRECT is not supported here")


@pytest.mark.parametrize(
    "platform",
    ["direct", "no O_DIRECT", "file system refuses direct I/O"],
)
def test_the_restricted_copy_is_the_warehouse_byte_for_byte(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, platform: str
) -> None:
    """The copy bypasses the page cache where it can and falls back to a plain copy where it
    cannot; either way it holds the checkpointed warehouse exactly."""
    if platform == "no O_DIRECT":
        monkeypatch.delattr(os, "O_DIRECT", raising=False)
    elif platform == "file system refuses direct I/O":
        monkeypatch.setattr(os, "preadv", _refuse_direct_io)
    warehouse, serving = tmp_path / "cdp.duckdb", tmp_path / "serving.duckdb"
    _warehouse(warehouse, 200_000)

    snapshot = publish_serving_copy(warehouse, serving, restricted=True)

    assert snapshot.restricted_path is not None
    assert snapshot.restricted_path.read_bytes() == warehouse.read_bytes()
    assert snapshot.restricted_path.stat().st_mode & 0o777 == 0o400


def test_open_reader_keeps_old_snapshot_and_new_reader_sees_new_one(tmp_path: Path) -> None:
    warehouse, serving = tmp_path / "cdp.duckdb", tmp_path / "serving.duckdb"
    _warehouse(warehouse, 3)
    publish_serving_copy(warehouse, serving)
    old_reader = duckdb.connect(str(serving), read_only=True)
    assert _count(old_reader) == 3

    _warehouse(warehouse, 5)
    publish_serving_copy(warehouse, serving)

    assert _count(old_reader) == 3
    assert old_reader.execute("select sum(customer_id) from marts.customers").fetchone() == (3,)
    assert _count_in_new_process(serving) == 5
    old_reader.close()


def test_serving_copy_is_read_only_on_disk(tmp_path: Path) -> None:
    warehouse, serving = tmp_path / "cdp.duckdb", tmp_path / "serving.duckdb"
    _warehouse(warehouse, 1)
    publish_serving_copy(warehouse, serving)
    assert serving.stat().st_mode & 0o222 == 0


def test_missing_warehouse_fails_and_leaves_serving_copy_alone(tmp_path: Path) -> None:
    serving = tmp_path / "serving.duckdb"
    serving.write_bytes(b"previous snapshot")
    with pytest.raises(ServingPublishError, match="does not exist"):
        publish_serving_copy(tmp_path / "missing.duckdb", serving)
    assert serving.read_bytes() == b"previous snapshot"


def test_unreadable_warehouse_never_replaces_the_serving_copy(tmp_path: Path) -> None:
    warehouse, serving = tmp_path / "cdp.duckdb", tmp_path / "serving.duckdb"
    _warehouse(warehouse, 2)
    publish_serving_copy(warehouse, serving)
    before = serving.stat().st_ino
    not_duckdb = tmp_path / "not.duckdb"
    not_duckdb.write_bytes(os.urandom(4096))

    with pytest.raises((ServingPublishError, duckdb.Error)):
        publish_serving_copy(not_duckdb, serving)

    assert serving.stat().st_ino == before
    assert not list(tmp_path.glob(".*"))


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _people_warehouse(path: Path) -> None:
    """Personal data in marts, an activation payload, a raw table and a rejects line."""
    with duckdb.connect(str(path)) as con:
        for schema in ("marts", "raw_hubspot", "activation", "segments", "staging"):
            con.execute(f"create schema {schema}")
        con.execute(
            "create table marts.customers as select * from (values"
            " ('c1', 'an.nguyen@gmail.com', '+84912345678', 'Văn An', 'Nguyễn', 'VN', 3),"
            " ('c2', null, null, null, null, 'US', 1))"
            " as t(customer_id, email, phone, first_name, last_name, country, source_record_count)"
        )
        con.execute(
            "create table marts.contacts_seen as select '15000000042' as record_id,"
            " '  An.Nguyen@Gmail.com ' as email, '0912 345 678' as phone_number,"
            " 'Tet sale' as utm_campaign, 'called 0987 000 111 twice' as notes"
        )
        con.execute(
            "create table raw_hubspot.contacts as select '15000000042' as record_id,"
            " 'an.nguyen@gmail.com' as email, 'left a note: call 0912 345 678' as comment"
        )
        con.execute(
            "create table raw_hubspot._rejects as select 'hubspot/contacts_20261101.csv'"
            " as source_file, 7 as source_line, '15000000043,Bình,Trần,binh@x.vn,0987 000 111'"
            " as raw_text, 'wrong number of fields' as reason"
        )
        con.execute("create table staging.stg_hubspot__contacts as from raw_hubspot.contacts")
        con.execute(
            "create table activation.sync_state as select 'vip' as sync,"
            " 'an.nguyen@gmail.com' as member_key, '{\"email\": \"an.nguyen@gmail.com\"}'"
            " as payload"
        )
        con.execute("create view segments.vip as select customer_id, email from marts.customers")


def test_analyst_copy_hashes_personal_columns_and_restricted_copy_keeps_them(
    tmp_path: Path,
) -> None:
    warehouse, serving = tmp_path / "cdp.duckdb", tmp_path / "serving.duckdb"
    _people_warehouse(warehouse)

    snapshot = publish_serving_copy(warehouse, serving, restricted=True)

    assert snapshot.restricted_path is not None
    with duckdb.connect(str(serving), read_only=True) as con:
        customer = con.execute(
            "select customer_id, email, phone, first_name, last_name, country"
            " from marts.customers where customer_id = 'c1'"
        ).fetchone()
        nulls = con.execute(
            "select email, phone, first_name from marts.customers where customer_id = 'c2'"
        ).fetchone()
        contact = con.execute(
            "select record_id, email, phone_number, utm_campaign, notes from marts.contacts_seen"
        ).fetchone()
        state = con.execute("select member_key, payload from activation.sync_state").fetchone()
        view = con.execute("select email from segments.vip where customer_id = 'c1'").fetchone()
    with duckdb.connect(str(snapshot.restricted_path), read_only=True) as con:
        raw = con.execute(
            "select email, first_name from marts.customers where customer_id = 'c1'"
        ).fetchone()
        reject = con.execute("select raw_text from raw_hubspot._rejects").fetchone()

    assert customer == (
        "c1",
        _sha("an.nguyen@gmail.com"),
        _sha("+84912345678"),
        _sha("văn an"),
        _sha("nguyễn"),
        "VN",
    )
    assert nulls == (None, None, None)
    assert contact == (
        "15000000042",
        customer[1],
        customer[2],
        "Tet sale",
        _sha("called 0987 000 111 twice"),
    )
    assert state == (customer[1], _sha('{"email": "an.nguyen@gmail.com"}'))
    assert view == (customer[1],)
    assert raw == ("an.nguyen@gmail.com", "Văn An")
    assert reject == ("15000000043,Bình,Trần,binh@x.vn,0987 000 111",)
    assert "marts.customers.email" in snapshot.masked_columns
    assert restricted_copy_path(serving).stat().st_mode & 0o777 == 0o400


def test_raw_and_staging_layers_stay_in_the_restricted_copy(tmp_path: Path) -> None:
    """Their clear comments would fail the scan; they are not scanned because they are not
    published to analysts at all."""
    warehouse, serving = tmp_path / "cdp.duckdb", tmp_path / "serving.duckdb"
    _people_warehouse(warehouse)

    snapshot = publish_serving_copy(warehouse, serving, restricted=True)

    assert snapshot.restricted_path is not None
    tables = (
        "select table_schema || '.' || table_name from information_schema.tables"
        " where table_catalog = current_database() order by 1"
    )
    with duckdb.connect(str(serving), read_only=True) as con:
        analysts = [name for (name,) in con.execute(tables).fetchall()]
    with duckdb.connect(str(snapshot.restricted_path), read_only=True) as con:
        restricted = [name for (name,) in con.execute(tables).fetchall()]
    assert analysts == [
        "activation.sync_state",
        "marts.contacts_seen",
        "marts.customers",
        "segments.vip",
    ]
    assert set(analysts) < set(restricted)
    assert {"raw_hubspot.contacts", "staging.stg_hubspot__contacts"} <= set(restricted)


def test_a_view_reading_a_layer_analysts_do_not_get_fails_the_publish(tmp_path: Path) -> None:
    warehouse, serving = tmp_path / "cdp.duckdb", tmp_path / "serving.duckdb"
    _people_warehouse(warehouse)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create view marts.contacts as select record_id from raw_hubspot.contacts")

    with pytest.raises(ServingPublishError, match=r"do not bind.*marts\.contacts"):
        publish_serving_copy(warehouse, serving)

    assert not serving.exists()
    assert not list(tmp_path.glob(".*"))


@pytest.mark.parametrize(
    "leak",
    [
        "call me on 0912345678",
        "0912 345 678",
        "+84 912 345 678",
        "(+84) 912-345-678",
        "84912345678",
        "+1 (415) 555-0134",
        "reply to an.nguyen@gmail.com please",
    ],
)
@pytest.mark.parametrize("restricted", [True, False], ids=["with", "then without the raw copy"])
def test_an_unclassified_column_holding_emails_or_phones_fails_and_keeps_the_last_good_pair(
    tmp_path: Path, leak: str, restricted: bool
) -> None:
    """The pair includes the restricted copy even when the failed publish was not to write one:
    only a publish that succeeds deletes it."""
    warehouse, serving = tmp_path / "cdp.duckdb", tmp_path / "serving.duckdb"
    _people_warehouse(warehouse)
    publish_serving_copy(warehouse, serving, restricted=True)
    before = published_inodes(tmp_path)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create table marts.support_tickets (ticket_id varchar, comment varchar)")
        con.execute("insert into marts.support_tickets values ('t1', 'fine'), ('t2', ?)", [leak])

    with pytest.raises(
        ServingPublishError, match=r"marts\.support_tickets\.comment \(1 rows\)"
    ) as failure:
        publish_serving_copy(warehouse, serving, restricted=restricted)

    assert leak not in str(failure.value)
    assert published_inodes(tmp_path) == before
    assert set(before) == {"serving.duckdb", RESTRICTED_NAME}
    assert not list(tmp_path.glob(".*"))


@pytest.mark.parametrize(
    "value",
    [
        "DH202603040000123",
        "15000000042",
        "120210000000000101",
        "2026-03-04 09:12:33",
        "1732890123.456789",
        "hubspot/contacts_20261101.csv",
        "Thanh toan don hang DH202603040000123",
        _sha("an.nguyen@gmail.com"),
        "0000000000",
    ],
)
def test_ids_dates_and_hashes_are_not_mistaken_for_phones(tmp_path: Path, value: str) -> None:
    warehouse, serving = tmp_path / "cdp.duckdb", tmp_path / "serving.duckdb"
    _people_warehouse(warehouse)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create table marts.references_seen as select ? as reference", [value])

    publish_serving_copy(warehouse, serving)

    with duckdb.connect(str(serving), read_only=True) as con:
        assert con.execute("select reference from marts.references_seen").fetchone() == (value,)


def _people_warehouse_with(tmp_path: Path, table_sql: str) -> tuple[Path, Path]:
    warehouse = tmp_path / "cdp.duckdb"
    _people_warehouse(warehouse)
    with duckdb.connect(str(warehouse)) as con:
        con.execute(table_sql)
    return warehouse, tmp_path / "serving.duckdb"


def test_values_of_neighbouring_columns_do_not_combine_into_a_phone_or_an_email(
    tmp_path: Path,
) -> None:
    """The check reads a row's clear values joined by newlines; the join must not create a
    match that no single value holds."""
    warehouse, serving = _people_warehouse_with(
        tmp_path,
        "create table marts.split_values as select * from (values"
        " ('+84', '912345678', 'support', 'example.com'),"
        " ('09123', '45678', 'x', '@y.vn'))"
        " as t(prefix, rest, local_part, domain)",
    )

    publish_serving_copy(warehouse, serving)

    with duckdb.connect(str(serving), read_only=True) as con:
        assert con.execute("select count(*) from marts.split_values").fetchone() == (2,)


def test_a_leak_in_one_of_several_clear_columns_names_that_column(tmp_path: Path) -> None:
    warehouse, serving = _people_warehouse_with(
        tmp_path,
        "create table marts.tickets as select * from (values"
        " ('t1', 'open', 'fine', 'web'), ('t2', 'closed', null, 'sms from 0912345678'))"
        " as t(ticket_id, status, comment, channel_detail)",
    )

    with pytest.raises(ServingPublishError, match=r"marts\.tickets\.channel_detail \(1 rows\)$"):
        publish_serving_copy(warehouse, serving)
