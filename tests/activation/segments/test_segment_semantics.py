"""Compiled segments run by real dbt on a small warehouse: each operator, nested logic, event
windows at their edges, segment-of-segment and an analyst's tagged model."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from segment_sandbox import dbt_build, members, query, write_sandbox

AS_OF = "2026-11-01 00:00:00"

CUSTOMERS = [
    {
        "customer_id": "c01",
        "country": "VN",
        "city": "Ho Chi Minh City",
        "first_seen_at": datetime(2026, 1, 10),
        "email_marketing_consent": True,
        "signup_date": datetime(2026, 1, 10),
    },
    {
        "customer_id": "c02",
        "country": "VN",
        "city": "Hanoi",
        "first_seen_at": datetime(2026, 10, 20),
        "email_marketing_consent": True,
        "signup_date": datetime(2026, 10, 20),
    },
    {
        "customer_id": "c03",
        "country": "US",
        "city": "New York",
        "first_seen_at": datetime(2025, 5, 1),
        "email_marketing_consent": False,
        "signup_date": datetime(2025, 5, 1),
    },
    {"customer_id": "c04", "first_seen_at": datetime(2026, 10, 31)},
    {
        "customer_id": "c05",
        "country": "SG",
        "city": "Singapore",
        "first_seen_at": datetime(2024, 1, 1),
        "email_marketing_consent": True,
        "signup_date": datetime(2024, 1, 1),
    },
]
TRAITS = [
    {
        "customer_id": "c01",
        "orders_count": 3,
        "lifetime_revenue_usd": 500,
        "rfm_recency_score": 5,
        "is_unsubscribed": False,
        "acquisition_channel": "facebook",
    },
    {
        "customer_id": "c02",
        "orders_count": 0,
        "lifetime_revenue_usd": 0,
        "is_unsubscribed": False,
        "acquisition_channel": "google",
    },
    {
        "customer_id": "c03",
        "orders_count": 1,
        "lifetime_revenue_usd": 120.5,
        "rfm_recency_score": 2,
        "is_unsubscribed": True,
        "acquisition_channel": "organic",
    },
    {
        "customer_id": "c05",
        "orders_count": 10,
        "lifetime_revenue_usd": 5000,
        "rfm_recency_score": 1,
        "is_unsubscribed": False,
        "acquisition_channel": "facebook",
    },
]


def _event(n: int, customer: str, kind: str, at: datetime, source: str = "stripe") -> dict:
    return {
        "event_id": f"e{n:02d}",
        "customer_id": customer,
        "event_type": kind,
        "occurred_at": at,
        "source": source,
    }


EVENTS = [
    _event(1, "c01", "order", datetime(2026, 10, 2, 0, 0, 0)),  # exactly 30 days before as_of
    _event(2, "c01", "order", datetime(2026, 6, 1)),
    _event(3, "c02", "email_open", datetime(2026, 10, 1, 23, 59, 59), "mailchimp"),  # 30 d + 1 s
    _event(4, "c03", "order", datetime(2026, 11, 1, 0, 0, 1)),  # one second after as_of
    _event(5, "c03", "order", datetime(2026, 9, 1)),
    _event(6, "c05", "order", datetime(2026, 10, 31)),
    _event(7, "c05", "order", datetime(2026, 10, 30)),
    _event(8, "c05", "order", datetime(2026, 10, 29)),
    _event(9, "c05", "email_open", datetime(2026, 11, 1, 0, 0, 0), "mailchimp"),  # at as_of
    _event(10, "c04", "lead", datetime(2026, 10, 31), "facebook_ads"),
    _event(11, "c02", "lead", datetime(2026, 10, 20), "hubspot"),
    _event(12, None, "order", datetime(2026, 10, 30)),  # unresolved event: never a member
]


def _spec(name: str, rules: dict) -> dict:
    return {"name": name, "description": f"test segment {name}", "owner": "qa", "rules": rules}


def _field(field: str, op: str, value: object = None) -> dict:
    condition = {"field": field, "op": op}
    if op not in ("is null", "is not null"):
        condition["value"] = value
    return condition


# segment name -> (rules, expected members)
CASES: dict[str, tuple[dict, set[str]]] = {
    "eq_country": (_field("country", "=", "VN"), {"c01", "c02"}),
    "ne_country": (_field("country", "!=", "VN"), {"c03", "c05"}),
    "not_eq_country": ({"not": _field("country", "=", "VN")}, {"c03", "c04", "c05"}),
    "gt_orders": (_field("orders_count", ">", 1), {"c01", "c05"}),
    "ge_orders": (_field("orders_count", ">=", 1), {"c01", "c03", "c05"}),
    "lt_orders": (_field("orders_count", "<", 1), {"c02"}),
    "le_orders": (_field("orders_count", "<=", 1), {"c02", "c03"}),
    "between_revenue": (_field("lifetime_revenue_usd", "between", [120.5, 500]), {"c01", "c03"}),
    "in_country": (_field("country", "in", ["VN", "SG"]), {"c01", "c02", "c05"}),
    "not_in_country": (_field("country", "not in", ["VN", "SG"]), {"c03"}),
    "contains_city": (_field("city", "contains", "ho CHI"), {"c01"}),
    "null_country": (_field("country", "is null"), {"c04"}),
    "known_recency": (_field("rfm_recency_score", "is not null"), {"c01", "c03", "c05"}),
    "consenting": (_field("email_marketing_consent", "=", True), {"c01", "c02", "c05"}),
    "not_consenting": (_field("email_marketing_consent", "!=", True), {"c03"}),
    "signed_up_2026": (_field("signup_date", ">=", "2026-01-01"), {"c01", "c02"}),
    "seen_last_30d": (_field("first_seen_at", ">=", {"days_ago": 30}), {"c02", "c04"}),
    "top_quarter_revenue": (_field("lifetime_revenue_usd", "top percent", 25), {"c05"}),
    "bottom_half_revenue": (
        _field("lifetime_revenue_usd", "bottom percent", 50),
        {"c02", "c03"},
    ),
    "nobody": (_field("country", "=", "FR"), set()),
    "tricky_text_in": (_field("city", "in", ["O'Brien {{ x }}", "Hanoi"]), {"c02"}),
    "tricky_text_contains": (_field("city", "contains", "i'm \"{% x #}\\"), set()),
    "nested_logic": (
        {
            "any": [
                {"all": [_field("country", "=", "VN"), _field("orders_count", ">=", 2)]},
                {
                    "all": [
                        {"not": _field("acquisition_channel", "=", "facebook")},
                        _field("is_unsubscribed", "=", True),
                    ]
                },
            ]
        },
        {"c01", "c03"},
    ),
    "ordered_30d": ({"did": "order", "in_last_days": 30}, {"c01", "c05"}),
    "opened_30d": ({"did": "email_open", "in_last_days": 30}, {"c05"}),
    "three_orders_30d": ({"did": "order", "at_least": 3, "in_last_days": 30}, {"c05"}),
    "no_order_30d": ({"did_not": "order", "in_last_days": 30}, {"c02", "c03", "c04"}),
    "never_ordered": ({"did_not": "order"}, {"c02", "c04"}),
    "facebook_leads": ({"did": "lead", "source": "facebook_ads"}, {"c04"}),
    "any_leads": ({"did": "lead"}, {"c02", "c04"}),
    "vn_recent_buyers": (
        {"all": [{"in_segment": "eq_country"}, {"in_segment": "ordered_30d"}]},
        {"c01"},
    ),
    "not_vn_recent_buyers": (
        {"not": {"in_segment": "vn_recent_buyers"}},
        {"c02", "c03", "c04", "c05"},
    ),
    "big_spenders_in_sg": (
        {"all": [{"in_segment": "big_spenders"}, _field("country", "=", "SG")]},
        {"c05"},
    ),
}

ANALYST_MODELS = {
    "segments/custom/big_spenders.sql": (
        "{{ config(tags=['segment']) }}\n"
        "select customer_id from {{ ref('customer_traits') }} where lifetime_revenue_usd >= 1000\n"
    ),
    "segments/custom/_custom__models.yml": (
        "version: 2\nmodels:\n  - name: big_spenders\n"
        "    description: Lifetime revenue of 1000 USD or more (written by an analyst).\n"
        "    meta: {owner: analytics@example.com}\n"
    ),
}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("segments_semantics")
    specs = {name: _spec(name, rules) for name, (rules, _) in CASES.items()}
    write_sandbox(root / "project", specs, CUSTOMERS, TRAITS, EVENTS, ANALYST_MODELS)
    warehouse = root / "warehouse.duckdb"
    dbt_build(root / "project", AS_OF, warehouse)
    return warehouse


@pytest.mark.slow
@pytest.mark.parametrize("segment", sorted(CASES))
def test_compiled_segment_has_exactly_the_expected_members(warehouse: Path, segment: str) -> None:
    assert members(warehouse, segment) == CASES[segment][1]


@pytest.mark.slow
def test_event_window_includes_exactly_d_days_ago_and_excludes_one_second_more(
    warehouse: Path,
) -> None:
    assert "c01" in members(warehouse, "ordered_30d")  # order exactly 30 days before as_of
    assert "c02" not in members(warehouse, "opened_30d")  # open 30 days and one second before
    assert "c05" in members(warehouse, "opened_30d")  # open at as_of itself
    assert "c03" not in members(warehouse, "ordered_30d")  # order one second after as_of


@pytest.mark.slow
def test_analyst_tagged_model_is_a_segment_like_any_other(warehouse: Path) -> None:
    assert members(warehouse, "big_spenders") == {"c05"}
    sizes = dict(
        query(
            warehouse,
            "select segment, members from marts.segment_sizes where run_date = ?",
            ["2026-11-01"],
        )
    )
    assert sizes["big_spenders"] == 1
    definition = query(
        warehouse,
        "select definition_kind, owner from marts.segment_definitions where segment = ?",
        ["big_spenders"],
    )
    assert definition == [("model", "analytics@example.com")]


@pytest.mark.slow
def test_sizes_count_every_segment_including_empty_ones(warehouse: Path) -> None:
    sizes = dict(query(warehouse, "select segment, members from marts.segment_sizes"))
    expected = {name: len(expected) for name, (_, expected) in CASES.items()}
    assert {name: sizes[name] for name in expected} == expected
    assert sizes["nobody"] == 0


@pytest.mark.slow
def test_every_member_entered_at_the_run_as_of(warehouse: Path) -> None:
    rows = query(warehouse, "select distinct entered_at from marts.segment_memberships")
    assert rows == [(datetime(2026, 11, 1),)]


def test_cases_cover_every_operator() -> None:
    from activation.segments.spec import OPERATORS

    used = {rules.get("op") for rules, _ in CASES.values()} | {
        condition.get("op")
        for rules, _ in CASES.values()
        for group in rules.values()
        if isinstance(group, list)
        for condition in group
        if isinstance(condition, dict)
    }
    assert set(OPERATORS) <= used
