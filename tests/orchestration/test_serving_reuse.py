"""An incremental publish: tables whose source and recipe did not change are carried over from
the previous analysts' copy, every other one is masked, scanned and written again."""

from __future__ import annotations

import functools
import hashlib
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from orchestration import serving_masking, serving_reuse
from orchestration.serving import (
    ServingPublishError,
    ServingSnapshot,
    publish_serving_copy,
    restricted_copy_path,
)
from orchestration.serving_masking import PiiKind
from tests.orchestration.serving_copies import published_inodes

Publish = Callable[[Path, Path], ServingSnapshot]


@pytest.fixture(params=[False, True], ids=["masked copy alone", "with the restricted copy"])
def publish(request: pytest.FixtureRequest) -> Publish:
    """An incremental publish, with and without the restricted copy: with it, a patch compares
    the source with the previous restricted copy; without, with the previous analysts' copy."""
    return functools.partial(publish_serving_copy, reuse_previous=True, restricted=request.param)


def _warehouse(path: Path) -> None:
    with duckdb.connect(str(path)) as con:
        for schema in ("marts", "activation", "raw_hubspot"):
            con.execute(f"create schema {schema}")
        con.execute(
            "create table marts.customers as select * from (values"
            " ('c1', 'an.nguyen@gmail.com', 'VN', 'Tet sale'),"
            " ('c2', 'binh@x.vn', 'US', 'Black Friday'))"
            " as t(customer_id, email, country, utm_campaign)"
        )
        con.execute(
            "create table activation.sync_log as select 'vip' as sync, 'c1' as member_key,"
            " 'added' as operation"
        )
        con.execute("create table raw_hubspot.contacts as select 'binh@x.vn' as comment")


def _change(warehouse: Path, sql: str) -> None:
    with duckdb.connect(str(warehouse)) as con:
        con.execute(sql)


def _rows(serving: Path, table: str) -> list[tuple]:
    with duckdb.connect(str(serving), read_only=True) as con:
        return con.execute(f"select * from {table} order by all").fetchall()


@pytest.fixture
def published(publish: Publish, tmp_path: Path) -> tuple[Path, Path]:
    warehouse, serving = tmp_path / "cdp.duckdb", tmp_path / "serving.duckdb"
    _warehouse(warehouse)
    first = publish(warehouse, serving)
    assert first.reused_tables == ()
    return warehouse, serving


@pytest.mark.parametrize(
    "change",
    [
        "update marts.customers set country = 'SG' where customer_id = 'c2'",
        "delete from marts.customers where customer_id = 'c2'",
        "insert into marts.customers values ('c3', null, 'VN', null)",
        "create or replace table marts.customers as"
        " select customer_id, email, country from marts.customers",
    ],
    ids=["update", "delete", "insert", "new column list"],
)
def test_an_unchanged_table_is_reused_and_a_changed_one_rewritten(
    publish: Publish, published: tuple[Path, Path], change: str
) -> None:
    warehouse, serving = published
    log_before = _rows(serving, "activation.sync_log")
    _change(warehouse, change)

    snapshot = publish(warehouse, serving)

    assert snapshot.rewritten_tables == ("marts.customers",)
    assert snapshot.reused_tables == ("activation.sync_log",)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        expected = con.execute(
            "select customer_id, sha256(lower(trim(email))), country"
            " from marts.customers order by all"
        ).fetchall()
    assert [row[:3] for row in _rows(serving, "marts.customers")] == expected
    assert _rows(serving, "activation.sync_log") == log_before


def test_the_same_rows_in_a_recreated_table_are_reused(
    publish: Publish, published: tuple[Path, Path]
) -> None:
    """dbt recreates a table on every run; what counts is whether its rows changed."""
    warehouse, serving = published
    _change(
        warehouse,
        "create or replace table marts.customers as from marts.customers order by country desc",
    )
    snapshot = publish(warehouse, serving)
    assert snapshot.rewritten_tables == ()


def test_a_dropped_table_leaves_the_copy(publish: Publish, published: tuple[Path, Path]) -> None:
    warehouse, serving = published
    _change(warehouse, "drop table activation.sync_log")
    snapshot = publish(warehouse, serving)
    with duckdb.connect(str(serving), read_only=True) as con:
        schemas = con.execute("select schema_name from duckdb_tables()").fetchall()
    assert schemas == [("marts",)]
    assert snapshot.reused_tables == ("marts.customers",)


def test_a_new_masking_rule_remasks_a_table_whose_rows_did_not_change(
    publish: Publish, published: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse, serving = published
    rule = (PiiKind.FREE_TEXT, re.compile(r"^utm_campaign$"))
    monkeypatch.setattr(serving_masking, "NAME_RULES", (rule, *serving_masking.NAME_RULES))

    snapshot = publish(warehouse, serving)

    assert snapshot.rewritten_tables == ("marts.customers",)
    campaigns = [row[3] for row in _rows(serving, "marts.customers")]
    assert sorted(campaigns) == sorted(
        hashlib.sha256(value.encode()).hexdigest() for value in ("Tet sale", "Black Friday")
    )


def test_a_leak_in_a_changed_table_fails_and_keeps_the_last_good_pair(
    publish: Publish,
    published: tuple[Path, Path],
) -> None:
    warehouse, serving = published
    before = published_inodes(serving.parent)
    _change(warehouse, "update activation.sync_log set operation = 'sent to an@gmail.com'")

    with pytest.raises(ServingPublishError, match=r"activation\.sync_log\.operation \(1 rows\)"):
        publish(warehouse, serving)

    assert published_inodes(serving.parent) == before
    assert not list(serving.parent.glob(".*"))


def test_without_reuse_every_table_is_written_into_a_fresh_file(
    published: tuple[Path, Path],
) -> None:
    """What an erasure needs: no block of the previous copy, not even a freed one, survives."""
    warehouse, serving = published
    snapshot = publish_serving_copy(warehouse, serving)
    assert snapshot.rewritten_tables == ("activation.sync_log", "marts.customers")
    assert snapshot.reused_tables == ()


def test_a_copy_without_fingerprints_is_rebuilt_not_patched(
    publish: Publish, tmp_path: Path
) -> None:
    warehouse, serving = tmp_path / "cdp.duckdb", tmp_path / "serving.duckdb"
    _warehouse(warehouse)
    with duckdb.connect(str(serving)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.customers as select 'an.nguyen@gmail.com' as email")

    snapshot = publish(warehouse, serving)

    assert snapshot.reused_tables == ()
    assert len(_rows(serving, "marts.customers")) == 2


def _events_warehouse(path: Path) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.events as select 'e' || range as event_id,"
            " 'c' || (range % 7) as customer_id, 'x' || range || '@gmail.com' as email,"
            " range * 1.5 as amount from range(100)"
        )


def _masked_events(warehouse: Path) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            "select event_id, customer_id, sha256(lower(trim(email))), amount"
            " from marts.events order by all"
        ).fetchall()


@pytest.mark.parametrize(
    "change",
    [
        "update marts.events set amount = -1 where event_id = 'e5';"
        " delete from marts.events where event_id = 'e6';"
        " insert into marts.events values ('e100', 'c1', 'new@x.vn', 2.0)",
        "insert into marts.events select * from marts.events where event_id = 'e7'",
        "delete from marts.events where event_id = 'e7';"
        " insert into marts.events select * from marts.events where event_id = 'e8'",
    ],
    ids=["update delete insert", "a duplicate row", "a row swapped for a duplicate"],
)
def test_a_table_where_few_rows_changed_is_patched_to_exactly_the_new_rows(
    publish: Publish, tmp_path: Path, change: str
) -> None:
    warehouse, serving = tmp_path / "cdp.duckdb", tmp_path / "serving.duckdb"
    _events_warehouse(warehouse)
    publish(warehouse, serving)
    _change(warehouse, change)

    snapshot = publish(warehouse, serving)

    assert snapshot.patched_tables == ("marts.events",)
    assert snapshot.rewritten_tables == ()
    assert _rows(serving, "marts.events") == _masked_events(warehouse)
    again = publish(warehouse, serving)
    assert again.reused_tables == ("marts.events",)


def test_a_repeated_row_that_lost_a_copy_is_patched_to_one_copy(
    publish: Publish, tmp_path: Path
) -> None:
    """Both sides hold the row's hash, so only the row counts, not a join of the hashes, show
    that one copy must go."""
    warehouse, serving = tmp_path / "cdp.duckdb", tmp_path / "serving.duckdb"
    _events_warehouse(warehouse)
    _change(warehouse, "insert into marts.events select * from marts.events where event_id = 'e7'")
    publish(warehouse, serving)
    _change(
        warehouse,
        "delete from marts.events where rowid ="
        " (select min(rowid) from marts.events where event_id = 'e7')",
    )

    snapshot = publish(warehouse, serving)

    assert snapshot.patched_tables == ("marts.events",)
    assert _rows(serving, "marts.events") == _masked_events(warehouse)


@pytest.mark.parametrize(
    "change",
    [
        "update marts.events set customer_id = 'c9' where event_id in ('e5', 'e6');"
        " delete from marts.events where event_id = 'e7';"
        " insert into marts.events values ('e100', 'c1', 2.0), ('e101', 'c2', 3.0)",
        "insert into marts.events select * from marts.events where event_id = 'e8'",
    ],
    ids=["update delete insert", "a duplicate row"],
)
def test_a_table_without_personal_columns_is_patched_from_its_source_hashes(
    publish: Publish, tmp_path: Path, change: str
) -> None:
    """Served as it is, such a table is compared with the source's own row hashes."""
    warehouse, serving = tmp_path / "cdp.duckdb", tmp_path / "serving.duckdb"
    _events_warehouse(warehouse)
    _change(warehouse, "alter table marts.events drop column email")
    publish(warehouse, serving)
    _change(warehouse, change)

    snapshot = publish(warehouse, serving)

    assert snapshot.patched_tables == ("marts.events",)
    assert snapshot.masked_columns == ()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        expected = con.execute("select * from marts.events order by all").fetchall()
    assert _rows(serving, "marts.events") == expected


def test_a_leak_in_a_patched_row_fails_and_keeps_the_last_good_pair(
    publish: Publish, tmp_path: Path
) -> None:
    warehouse, serving = tmp_path / "cdp.duckdb", tmp_path / "serving.duckdb"
    _events_warehouse(warehouse)
    publish(warehouse, serving)
    before = serving.stat().st_ino
    _change(warehouse, "update marts.events set customer_id = '0912 345 678' where event_id = 'e9'")

    with pytest.raises(ServingPublishError, match=r"marts\.events\.customer_id \(1 rows\)"):
        publish(warehouse, serving)

    assert serving.stat().st_ino == before


def test_a_view_that_became_a_table_replaces_it(
    publish: Publish, published: tuple[Path, Path]
) -> None:
    warehouse, serving = published
    _change(warehouse, "create view marts.vip as select customer_id from marts.customers")
    publish(warehouse, serving)
    _change(
        warehouse,
        "drop view marts.vip; create table marts.vip as select 'c1' as customer_id",
    )

    snapshot = publish(warehouse, serving)

    assert snapshot.rewritten_tables == ("marts.vip",)
    assert _rows(serving, "marts.vip") == [("c1",)]


def test_a_changed_column_type_rewrites_the_table_instead_of_patching_it(
    publish: Publish, tmp_path: Path
) -> None:
    warehouse, serving = tmp_path / "cdp.duckdb", tmp_path / "serving.duckdb"
    _events_warehouse(warehouse)
    publish(warehouse, serving)
    _change(warehouse, "alter table marts.events alter amount type decimal(10, 2)")

    snapshot = publish(warehouse, serving)

    assert snapshot.rewritten_tables == ("marts.events",)
    with duckdb.connect(str(serving), read_only=True) as con:
        assert con.execute("select typeof(amount) from marts.events limit 1").fetchone() == (
            "DECIMAL(10,2)",
        )


def _no_masked_hashes(*_: object) -> str:
    raise AssertionError("every source row was masked to compare it")


EVENTS_CHANGE = (
    "update marts.events set amount = -1 where event_id = 'e5';"
    " delete from marts.events where event_id = 'e6';"
    " insert into marts.events values ('e100', 'c1', 'new@x.vn', 2.0)"
)


def test_a_patch_masks_only_the_changed_rows_when_the_restricted_copy_is_their_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The previous restricted copy is what the previous analysts' copy was made from: the
    source is compared with it, so the unchanged rows are not masked again."""
    warehouse, serving = tmp_path / "cdp.duckdb", tmp_path / "serving.duckdb"
    _events_warehouse(warehouse)
    publish_serving_copy(warehouse, serving, reuse_previous=True, restricted=True)
    _change(warehouse, EVENTS_CHANGE)
    monkeypatch.setattr(serving_reuse._SourceRows, "masked_hashes", _no_masked_hashes)

    snapshot = publish_serving_copy(warehouse, serving, reuse_previous=True, restricted=True)

    assert snapshot.patched_tables == ("marts.events",)
    assert _rows(serving, "marts.events") == _masked_events(warehouse)


@pytest.mark.parametrize("restricted", ["missing", "another snapshot", "not a database"])
def test_a_restricted_copy_that_is_not_the_previous_source_is_not_trusted(
    tmp_path: Path, restricted: str
) -> None:
    """A restricted copy swapped in without its analysts' copy (a crash between the two renames,
    a copy by hand) does not say what the analysts' copy was made from: the previous analysts'
    table is compared instead, and the patch is just as exact."""
    warehouse, serving = tmp_path / "cdp.duckdb", tmp_path / "serving.duckdb"
    _events_warehouse(warehouse)
    publish_serving_copy(warehouse, serving, reuse_previous=True, restricted=True)
    _change(warehouse, EVENTS_CHANGE)
    copy = restricted_copy_path(serving)
    copy.unlink()
    if restricted == "another snapshot":
        shutil.copyfile(warehouse, copy)
    elif restricted == "not a database":
        copy.write_bytes(b"not a database")

    snapshot = publish_serving_copy(warehouse, serving, reuse_previous=True, restricted=True)

    assert snapshot.patched_tables == ("marts.events",)
    assert _rows(serving, "marts.events") == _masked_events(warehouse)


def test_rows_that_mask_to_the_same_row_are_rewritten_not_patched_wrongly(
    tmp_path: Path,
) -> None:
    """Two source rows differing only in an email's case mask to one row, so deleting the masked
    version of the one that went (as found through the restricted copy) would take the other
    along: the table is rewritten instead."""
    warehouse, serving = tmp_path / "cdp.duckdb", tmp_path / "serving.duckdb"
    _events_warehouse(warehouse)
    _change(
        warehouse,
        "insert into marts.events values ('e7', 'c0', 'X7@GMAIL.COM', 10.5),"
        " ('e7', 'c0', 'x7@gmail.com ', 10.5)",
    )
    publish_serving_copy(warehouse, serving, reuse_previous=True, restricted=True)
    _change(warehouse, "delete from marts.events where email = 'X7@GMAIL.COM'")

    snapshot = publish_serving_copy(warehouse, serving, reuse_previous=True, restricted=True)

    assert snapshot.rewritten_tables == ("marts.events",)
    assert _rows(serving, "marts.events") == _masked_events(warehouse)
