"""The uniqueness data tests fail on exactly the keys that repeat, as dbt's plain SQL would.

On DuckDB they first look for repeated hashes of the key (dbt_project/macros/tests); the rows
they report must still be the plain `group by key having count(*) > 1`, NULLs included the way
dbt treats them: `unique` ignores NULL values, a combination of columns compares NULLs as equal.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from orchestration.dbt_runner import DbtResult, run_dbt
from tests.dbt_project.dbt_invocations import node_results

pytestmark = pytest.mark.slow

UNIQUE_ACTIVITY_ID = "unique_stg_mailchimp__campaign_activities_activity_id"
UNIQUE_LINK = "unique_combination_of_columns_int_identity__links_record_key__identifier_key"
ACTIVITIES = "staging.stg_mailchimp__campaign_activities"
LINKS = "intermediate.int_identity__links"


def run_uniqueness_tests(warehouse_copy: Path, target: Path) -> DbtResult:
    return run_dbt(
        ["test", "--select", UNIQUE_ACTIVITY_ID, UNIQUE_LINK, "--store-failures"],
        warehouse_copy,
        target_dir=target,
    )


def stored_failures(warehouse_copy: Path, target: Path) -> dict[str, set[tuple]]:
    """Failing rows dbt stored, by test name."""
    with duckdb.connect(str(warehouse_copy), read_only=True) as con:
        return {
            name: set(con.execute(f"select * from {result['relation_name']}").fetchall())
            for name, result in node_results(target, "test").items()
        }


def plain_duplicates(warehouse_copy: Path, table: str, key: str, where: str = "true") -> set[tuple]:
    with duckdb.connect(str(warehouse_copy), read_only=True) as con:
        return set(
            con.execute(
                f"select {key}, count(*) from {table} where {where} "
                f"group by {key} having count(*) > 1"
            ).fetchall()
        )


def test_they_pass_on_unique_keys_and_use_the_hashed_sql(
    warehouse_copy: Path, tmp_path: Path
) -> None:
    target = tmp_path / "target"
    result = run_uniqueness_tests(warehouse_copy, target)

    assert result.success, result.output[-3000:]
    results = node_results(target, "test")
    assert all("repeated_hashes" in results[test]["compiled_code"] for test in results)


def test_they_fail_on_exactly_the_repeated_keys(warehouse_copy: Path, tmp_path: Path) -> None:
    with duckdb.connect(str(warehouse_copy)) as con:
        # A key twice, another three times, and NULL activity ids that `unique` must ignore.
        first_ids = f"select activity_id from {ACTIVITIES} order by activity_id limit 2"
        con.execute(
            f"insert into {ACTIVITIES} select * from {ACTIVITIES} "
            f"where activity_id in ({first_ids})"
        )
        con.execute(
            f"insert into {ACTIVITIES} select * from {ACTIVITIES} "
            f"where activity_id = (select min(activity_id) from {ACTIVITIES}) limit 1"
        )
        con.execute(
            f"insert into {ACTIVITIES} select * replace (null as activity_id) "
            f"from {ACTIVITIES} limit 2"
        )
        # A repeated pair, a pair whose columns differ (no repeat), and a NULL record key twice.
        last_key = f"(select max(identifier_key) from {LINKS})"
        con.execute(
            f"insert into {LINKS} select * from {LINKS} where identifier_key = {last_key} limit 1"
        )
        con.execute(
            f"insert into {LINKS} select * replace (identifier_key || '-other' as identifier_key) "
            f"from {LINKS} where identifier_key = {last_key} limit 1"
        )
        con.execute(
            f"insert into {LINKS} select * replace (null as record_key) "
            f"from {LINKS} where identifier_key = (select min(identifier_key) from {LINKS})"
        )
        con.execute(
            f"insert into {LINKS} select * replace (null as record_key) "
            f"from {LINKS} where identifier_key = (select min(identifier_key) from {LINKS}) "
            "and record_key is null"
        )
    target = tmp_path / "target"

    result = run_uniqueness_tests(warehouse_copy, target)

    assert not result.success
    failures = stored_failures(warehouse_copy, target)
    activity_failures = failures[UNIQUE_ACTIVITY_ID]
    assert activity_failures == plain_duplicates(
        warehouse_copy, ACTIVITIES, "activity_id", "activity_id is not null"
    )
    assert sorted(count for _, count in activity_failures) == [2, 3]
    link_failures = failures[UNIQUE_LINK]
    assert link_failures == plain_duplicates(warehouse_copy, LINKS, "record_key, identifier_key")
    assert len(link_failures) == 2
    assert any(record_key is None for record_key, _, _ in link_failures)
