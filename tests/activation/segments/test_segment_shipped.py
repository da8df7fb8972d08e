"""The shipped segment specs: valid against the real marts' contracts, and their generated models
committed and current (the same check as `cdp segments compile --check`)."""

from __future__ import annotations

from pathlib import Path

from activation.segments import compile_project, load_project

DBT_PROJECT = Path(__file__).resolve().parents[3] / "dbt_project"
SHIPPED = {
    "vip_customers",
    "high_value_at_risk",
    "lapsed_buyers_90d",
    "new_subscribers_no_purchase",
    "engaged_openers_30d",
    "facebook_leads_not_converted",
    "vietnam_repeat_buyers",
}


def test_shipped_specs_are_valid_against_the_marts_contracts() -> None:
    project = load_project(DBT_PROJECT)
    assert {spec.name for spec in project.specs} >= SHIPPED
    assert all(spec.owner and spec.description for spec in project.specs)


def test_generated_segment_models_are_committed_and_current() -> None:
    result = compile_project(DBT_PROJECT, check=True)
    assert not result.changed, (
        f"stale generated models {result.written + result.removed}: run `cdp segments compile`"
    )
