"""The shipped segments on the S sample built by the real pipeline (ingestion + `dbt build`):
non-empty, equal to the same question asked directly of the marts, and history kept when the
segments are refreshed again later."""

from __future__ import annotations

import shutil
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from segment_sandbox import query
from test_segment_shipped import SHIPPED

from orchestration.dbt_runner import run_dbt

LATER_AS_OF = "2026-12-02"


@pytest.fixture(scope="module")
def refreshed_later(built_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the built sample whose segments were refreshed again 30 days later."""
    root = tmp_path_factory.mktemp("segments_sample")
    warehouse = root / "cdp.duckdb"
    shutil.copy(built_warehouse, warehouse)
    run_dbt(
        ["build", "--select", "path:models/segments"],
        warehouse,
        target_dir=root / "target",
        dbt_vars={"as_of": LATER_AS_OF},
    ).raise_on_failure()
    return warehouse


def _members(warehouse: Path, segment: str) -> set[str]:
    sql = "select customer_id from marts.segment_memberships where segment = ?"
    return {row[0] for row in query(warehouse, sql, [segment])}


def _ids(warehouse: Path, sql: str) -> set[str]:
    return {row[0] for row in query(warehouse, sql)}


@pytest.mark.slow
@pytest.mark.parametrize("segment", sorted(SHIPPED | {"above_country_aov_buyers"}))
def test_shipped_segment_is_non_empty_on_the_sample(built_warehouse: Path, segment: str) -> None:
    assert _members(built_warehouse, segment)


@pytest.mark.slow
def test_vietnam_repeat_buyers_match_the_marts(built_warehouse: Path) -> None:
    expected = _ids(
        built_warehouse,
        "select c.customer_id from marts.customers c join marts.customer_traits t "
        "using (customer_id) where c.country = 'VN' and t.orders_count >= 2",
    )
    assert _members(built_warehouse, "vietnam_repeat_buyers") == expected


@pytest.mark.slow
def test_lapsed_buyers_match_the_order_events(built_warehouse: Path) -> None:
    expected = _ids(
        built_warehouse,
        "select customer_id from marts.customer_events where event_type = 'order' "
        "and occurred_at <= timestamp '2026-11-02' group by customer_id "
        "having max(occurred_at) < timestamp '2026-11-02' - interval 90 day",
    )
    assert _members(built_warehouse, "lapsed_buyers_90d") == expected


@pytest.mark.slow
def test_vip_customers_are_the_top_five_percent_by_lifetime_revenue(built_warehouse: Path) -> None:
    vips = _members(built_warehouse, "vip_customers")
    rated = query(
        built_warehouse,
        "select customer_id, lifetime_revenue_usd from marts.customer_traits "
        "where lifetime_revenue_usd is not null order by lifetime_revenue_usd desc",
    )
    assert len(vips) <= 0.05 * len(rated)
    assert vips == {customer for customer, _ in rated[: len(vips)]}


@pytest.mark.slow
def test_sizes_equal_memberships_on_the_sample(built_warehouse: Path) -> None:
    sizes = dict(query(built_warehouse, "select segment, members from marts.segment_sizes"))
    counts = dict(
        query(built_warehouse, "select segment, count(*) from marts.segment_memberships group by 1")
    )
    assert {segment: sizes[segment] for segment in counts} == counts


@pytest.mark.slow
def test_refresh_a_month_later_closes_and_opens_spells(refreshed_later: Path) -> None:
    changes = dict(
        query(
            refreshed_later,
            "select case when valid_to is null then 'open' else 'closed' end, count(*) "
            "from marts.segment_membership_history where segment = 'engaged_openers_30d' "
            "group by 1",
        )
    )
    # the sample has no opens after 2026-11-01, so every engaged opener has left a month later
    assert changes.get("closed", 0) > 0 and changes.get("open", 0) == 0
    open_spells = query(
        refreshed_later,
        "select segment, customer_id, valid_from from marts.segment_membership_history "
        "where valid_to is null order by all",
    )
    memberships = query(
        refreshed_later, "select segment, customer_id, entered_at from marts.segment_memberships "
        "order by all",
    )  # fmt: skip
    assert open_spells == memberships
    run_dates = query(refreshed_later, "select distinct run_date from marts.segment_sizes")
    assert len(run_dates) == 2


@pytest.mark.slow
def test_above_country_aov_buyers_beat_their_country_average_exactly(
    built_warehouse: Path,
) -> None:
    buyers = query(
        built_warehouse,
        "select t.customer_id, c.country, t.average_order_value_usd from marts.customers c "
        "join marts.customer_traits t using (customer_id) where t.orders_count >= 2 "
        "and c.country is not null and t.average_order_value_usd is not null",
    )
    micros = Decimal("0.000001")
    by_country: dict[str, list[Decimal]] = defaultdict(list)
    for _, country, value in buyers:
        by_country[country].append(Decimal(value).quantize(micros))
    expected = {
        customer
        for customer, country, value in buyers
        if Decimal(value).quantize(micros) * len(by_country[country]) > sum(by_country[country])
    }
    assert _members(built_warehouse, "above_country_aov_buyers") == expected
