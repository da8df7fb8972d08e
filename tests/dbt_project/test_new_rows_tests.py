"""Tests that check only the rows a build wrote still fail on every defect that build writes.

In an incremental `dbt build` after a build that built and tested everything, the data tests
configured with `meta: {new_rows_by: load_id}` check only the rows of loads that build had not
seen (dbt_project/macros/tests/tested_builds.sql). A copy of the built S warehouse gets defects
that look like rows a build wrote: a new raw load repeating a mailchimp activity (its file and
line, hence its activity id), and staging contacts of a load no build saw, from which the build
derives person records and identifiers (a contact again: a repeated record key and identifiers;
a contact without an id: NULL keys). An orphan identifier row of that load breaks a relationship.
The incremental build must fail each test with the restricted SQL, and a `--full-refresh` build,
which checks every row, must fail them too.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from orchestration.dbt_runner import run_dbt
from tests.conftest import SAMPLE_AS_OF
from tests.dbt_project.dbt_invocations import failing_invocation, last_build_tested_everything

pytestmark = pytest.mark.slow

NEW_LOAD = "9999999999.000001"
MODELS = [
    "stg_mailchimp__campaign_activities",
    "int_identity__records",
    "int_identity__record_identifiers",
]
RESTRICTED = {
    "unique_stg_mailchimp__campaign_activities_activity_id",
    "unique_int_identity__records_record_key",
    "not_null_int_identity__records_record_key",
    "unique_combination_of_columns_int_identity__record_identifiers_record_key__identifier_type__identifier_value",
    "not_null_int_identity__record_identifiers_record_key",
}
ORPHAN = (
    "relationships_int_identity__record_identifiers_record_key__"
    "record_key__ref_int_identity__records_"
)


def plant_defects(warehouse_copy: Path) -> None:
    with duckdb.connect(str(warehouse_copy)) as con:
        con.execute(
            "insert into raw_mailchimp._dlt_loads (load_id, schema_name, status, inserted_at) "
            "values (?, 'mailchimp', 0, now())",
            [NEW_LOAD],
        )
        con.execute(
            "insert into raw_mailchimp.campaign_activity "
            "select * replace (? as _dlt_load_id) from raw_mailchimp.campaign_activity limit 1",
            [NEW_LOAD],
        )
        contacts = "staging.stg_hubspot__contacts"
        first, contact_file = con.execute(
            f"select contact_id, source_file from {contacts} order by contact_id limit 1"
        ).fetchone()
        for line, contact_id in [(-1, "contact_id"), (-2, "null"), (-3, "'orphaned'")]:
            con.execute(
                f"insert into {contacts} select * replace ({contact_id} as contact_id, "
                f"? as load_id, {line} as source_line) from {contacts} where contact_id = ?",
                [NEW_LOAD, first],
            )
        identifiers = "intermediate.int_identity__record_identifiers"
        con.execute(
            f"insert into {identifiers} select * replace ('hubspot:contacts:nobody' as record_key, "
            "? as load_id, ? as source_file, -3 as source_line) "
            f"from {identifiers} limit 1",
            [NEW_LOAD, contact_file],
        )


def build(warehouse_copy: Path, target: Path, *extra: str) -> dict[str, dict]:
    """`dbt build` of the planted models, which must fail; dbt's results, by node name."""
    return failing_invocation(warehouse_copy, target, "build", "--select", *MODELS, *extra)


def test_an_incremental_build_fails_on_the_defects_of_the_rows_it_wrote(
    warehouse_copy: Path, tmp_path: Path
) -> None:
    assert last_build_tested_everything(warehouse_copy)
    plant_defects(warehouse_copy)

    tests = build(warehouse_copy, tmp_path / "target")

    assert {name: tests[name]["status"] for name in [*RESTRICTED, ORPHAN]} == dict.fromkeys(
        [*RESTRICTED, ORPHAN], "fail"
    )
    assert all("dbt_invocation_loads" in tests[name]["compiled_code"] for name in RESTRICTED)
    assert "dbt_invocation_loads" not in tests[ORPHAN]["compiled_code"]


def test_a_full_refresh_build_checks_every_row_and_fails_too(
    warehouse_copy: Path, tmp_path: Path
) -> None:
    plant_defects(warehouse_copy)

    tests = build(warehouse_copy, tmp_path / "target", "--full-refresh")

    assert {name: tests[name]["status"] for name in RESTRICTED} == dict.fromkeys(RESTRICTED, "fail")
    assert not any("dbt_invocation_loads" in tests[name]["compiled_code"] for name in RESTRICTED)


def test_after_a_build_that_did_not_test_everything_every_row_is_checked(
    warehouse_copy: Path, tmp_path: Path
) -> None:
    """A selected build does not vouch for the rows it wrote: the next build checks them all,
    the untouched ones included."""
    with duckdb.connect(str(warehouse_copy)) as con:
        con.execute(
            "insert into staging.stg_mailchimp__campaign_activities "
            "select * from staging.stg_mailchimp__campaign_activities limit 1"
        )
    run_dbt(
        ["run", "--select", "int_identity__identifier_rules"],
        warehouse_copy,
        target_dir=tmp_path / "run",
        dbt_vars={"as_of": SAMPLE_AS_OF},
    ).raise_on_failure()
    assert not last_build_tested_everything(warehouse_copy)

    tests = build(warehouse_copy, tmp_path / "target")

    assert tests["unique_stg_mailchimp__campaign_activities_activity_id"]["status"] == "fail"
