"""Every segment's members are tested in the union of all segments, not view by view.

A segment view that lists a customer twice, or a member without an id, must still stop the
build before segment_memberships and the syncs read it: the union keeps every row of every
view (`union all`), so the defect shows there under the segment's name.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from orchestration.dbt_runner import run_dbt

pytestmark = pytest.mark.slow

UNION = "int_segment_members_unioned"
VIEW = "segments.vip_customers"


def plant_in_vip_customers(warehouse_copy: Path, extra_member: str) -> None:
    """Replace the view with its own members plus one more row, outside dbt."""
    with duckdb.connect(str(warehouse_copy)) as con:
        con.execute("alter view segments.vip_customers rename to vip_customers_as_built")
        con.execute(
            f"create view {VIEW} as select customer_id from segments.vip_customers_as_built "
            f"union all ({extra_member})"
        )


def union_tests_pass(warehouse_copy: Path, tmp_path: Path) -> tuple[bool, str]:
    target = tmp_path / "target"
    rebuilt = run_dbt(["run", "--select", UNION], warehouse_copy, target_dir=target)
    assert rebuilt.success, rebuilt.output[-3000:]
    tested = run_dbt(["test", "--select", UNION], warehouse_copy, target_dir=target)
    return tested.success, tested.output


def test_the_union_of_segments_passes_as_built(warehouse_copy: Path, tmp_path: Path) -> None:
    passed, output = union_tests_pass(warehouse_copy, tmp_path)

    assert passed, output[-3000:]


def test_a_member_listed_twice_by_one_segment_fails_the_union_test(
    warehouse_copy: Path, tmp_path: Path
) -> None:
    plant_in_vip_customers(
        warehouse_copy, "select customer_id from segments.vip_customers_as_built limit 1"
    )

    passed, output = union_tests_pass(warehouse_copy, tmp_path)

    assert not passed
    assert "unique_combination_of_columns_int_segment_members_unioned" in output


def test_a_member_without_id_fails_the_union_test(warehouse_copy: Path, tmp_path: Path) -> None:
    plant_in_vip_customers(warehouse_copy, "select cast(null as varchar)")

    passed, output = union_tests_pass(warehouse_copy, tmp_path)

    assert not passed
    assert "not_null_int_segment_members_unioned_customer_id" in output
