"""Google Ads: click view export (one row per gclid) and daily campaign performance (GAQL names).

A click reaches a known person only through its gclid, recorded on the HubSpot contact (first
click) or on a Stripe charge's metadata; every other click is an anonymous person of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ingestion.generate import formats
from ingestion.generate.context import WINDOW_DAYS, Run
from ingestion.generate.landing import BAD_AMOUNTS, Corruption
from ingestion.generate.people import DAY

CLICK_COLUMNS = [
    "click_view.gclid", "segments.date", "customer.id", "campaign.id", "campaign.name",
    "ad_group.id", "ad_group.name", "click_view.keyword_info.text",
    "click_view.keyword_info.match_type", "segments.device", "segments.click_type",
]  # fmt: skip
PERFORMANCE_COLUMNS = [
    "segments.date", "customer.id", "customer.currency_code", "campaign.id", "campaign.name",
    "campaign.advertising_channel_type", "metrics.impressions", "metrics.clicks",
    "metrics.cost_micros", "metrics.conversions", "metrics.conversions_value",
]  # fmt: skip
CAMPAIGNS = (
    ("Search - Brand VN", "SEARCH", ("mua sắm online", "shop uy tín")),
    ("Search - Generic", "SEARCH", ("quà tặng", "gift shop vietnam")),
    ("Search - Competitors", "SEARCH", ("best online store", "cửa hàng giá rẻ")),
    ("Display - Remarketing", "DISPLAY", ("", "")),
    ("PMax - All products", "PERFORMANCE_MAX", ("", "")),
    ("Search - English", "SEARCH", ("buy gifts online", "vietnam souvenirs")),
)
KNOWN_CLICKER_SHARE = 0.08
SECOND_CLICK_SHARE = 0.4
ANONYMOUS_PER_KNOWN = 3
BAD_DAYS = ("2026/13/01", "20261301", "31-12-2026")


@dataclass
class GoogleAds:
    customer_id: str
    campaign_id: np.ndarray
    ad_group_id: np.ndarray  # (campaigns, 2)
    clicks: np.ndarray  # (campaigns, days)
    conversions: np.ndarray
    conversion_value: np.ndarray

    @classmethod
    def build(cls, seed: int) -> GoogleAds:
        rng = np.random.default_rng([seed, 0x60])
        n = len(CAMPAIGNS)
        campaign_id = formats.int_text(21_000_000_000 + rng.integers(0, 10**9) + np.arange(n) * 7)
        groups = 150_000_000_000 + rng.integers(0, 10**9) + np.arange(2 * n).reshape(n, 2) * 11
        return cls(
            customer_id=f"{rng.integers(10**9, 10**10)}",
            campaign_id=campaign_id,
            ad_group_id=groups,
            clicks=np.zeros((n, WINDOW_DAYS), np.int64),
            conversions=np.zeros((n, WINDOW_DAYS), np.int64),
            conversion_value=np.zeros((n, WINDOW_DAYS), float),
        )


def gclids(run: Run, rng: np.random.Generator, n: int) -> np.ndarray:
    body = formats.random_ids(
        rng, "", run.take_ids("gclid", n), 40, alphabet=formats.GCLID_ALPHABET
    )
    return np.char.add("Cj0KCQjw", body.astype(str)).astype(object)


def write_clicks(
    run: Run,
    chunk: int,
    ads: GoogleAds,
    person_ids: np.ndarray,
    click_ids: np.ndarray,
    click_ts: np.ndarray,
    converted_value: np.ndarray,
) -> None:
    """Known clicks (given) plus anonymous ones; `converted_value` is USD or 0 per known click."""
    rng = run.rng(chunk, 60)
    n_anon = ANONYMOUS_PER_KNOWN * len(click_ids)
    anon_ids = gclids(run, rng, n_anon)
    anon_person = np.array([f"A{i:08d}" for i in run.take_ids("anonymous_person", n_anon)], object)
    local_end = run.end_ts - formats.VN_OFFSET_SECONDS
    anon_ts = local_end - rng.integers(0, WINDOW_DAYS * DAY, n_anon)
    gclid = np.concatenate([click_ids, anon_ids])
    person = np.concatenate([person_ids, anon_person])
    ts = np.minimum(np.concatenate([click_ts, anon_ts]), local_end)
    value = np.concatenate([converted_value, np.zeros(n_anon)])
    n = len(gclid)
    search = np.array([c[1] == "SEARCH" for c in CAMPAIGNS])
    campaign = np.where(
        rng.random(n) < 0.8,
        rng.choice(np.flatnonzero(search), n),
        rng.integers(0, len(CAMPAIGNS), n),
    )
    group = rng.integers(0, 2, n)
    day = np.clip(run.day_index(ts, formats.VN_OFFSET_SECONDS), 0, WINDOW_DAYS - 1)
    np.add.at(ads.clicks, (campaign, day), 1)
    np.add.at(ads.conversions, (campaign, day), value > 0)
    np.add.at(ads.conversion_value, (campaign, day), value)
    keyword = np.array(
        [CAMPAIGNS[c][2][g] or None for c, g in zip(campaign, group, strict=True)], object
    )
    columns = {
        "click_view.gclid": gclid,
        "segments.date": formats.day(run.window_start + day * DAY),
        "customer.id": np.full(n, ads.customer_id, object),
        "campaign.id": ads.campaign_id[campaign],
        "campaign.name": np.array([CAMPAIGNS[c][0] for c in campaign], object),
        "ad_group.id": formats.int_text(ads.ad_group_id[campaign, group]),
        "ad_group.name": np.array([f"Ad group {g + 1}" for g in group], object),
        "click_view.keyword_info.text": keyword,
        "click_view.keyword_info.match_type": np.where(
            np.array([k is None for k in keyword], bool),
            None,
            formats.choice(rng, ("EXACT", "PHRASE", "BROAD"), n),
        ),
        "segments.device": formats.choice(rng, ("MOBILE",) * 6 + ("DESKTOP",) * 3 + ("TABLET",), n),
        "segments.click_type": np.full(n, "URL_CLICKS", object),
    }
    order = np.argsort(ts, kind="stable")
    table = formats.table(columns, CLICK_COLUMNS).take(order)
    run.landing.write_csv(
        run.landing.name("google_ads", "clicks", "csv"),
        table,
        key="click_view.gclid",
        fresh_keys=lambda k: gclids(run, rng, k),
        corruptions=(
            Corruption("bad_date", "segments.date", BAD_DAYS),
            Corruption("broken_quoting", "campaign.name"),
        ),
        duplicates=True,
    )
    run.truth.add("google_ads", "clicks", gclid, person)


def write_performance(run: Run, ads: GoogleAds) -> None:
    rng = np.random.default_rng([run.seed, 0x60, 1])
    campaign, day = np.nonzero(np.ones_like(ads.clicks, bool))
    clicks = ads.clicks[campaign, day]
    impressions = clicks * rng.integers(15, 40, len(clicks)) + rng.poisson(50, len(clicks))
    cost_micros = clicks * (rng.integers(30, 120, len(clicks)) * 10_000)
    columns = {
        "segments.date": formats.day(run.window_start + day * DAY),
        "customer.id": np.full(len(day), ads.customer_id, object),
        "customer.currency_code": np.full(len(day), "USD", object),
        "campaign.id": ads.campaign_id[campaign],
        "campaign.name": np.array([CAMPAIGNS[c][0] for c in campaign], object),
        "campaign.advertising_channel_type": np.array([CAMPAIGNS[c][1] for c in campaign], object),
        "metrics.impressions": formats.int_text(impressions),
        "metrics.clicks": formats.int_text(clicks),
        "metrics.cost_micros": formats.int_text(cost_micros),
        "metrics.conversions": np.array(
            [f"{v:.1f}" for v in ads.conversions[campaign, day]], object
        ),
        "metrics.conversions_value": np.array(
            [f"{v:.2f}" for v in ads.conversion_value[campaign, day]], object
        ),
    }
    run.landing.write_csv(
        run.landing.name("google_ads", "campaign_performance", "csv"),
        formats.table(columns, PERFORMANCE_COLUMNS),
        corruptions=(Corruption("non_numeric_amount", "metrics.cost_micros", BAD_AMOUNTS),),
    )
