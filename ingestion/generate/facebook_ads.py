"""Facebook Ads: Lead Ads leads (person records) and daily ad-level insights.

Insights are written once at the end, because their `lead` action counts must equal the leads
generated across all chunks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson

from ingestion.generate import formats
from ingestion.generate.context import WINDOW_DAYS, Run
from ingestion.generate.identity import SoftRecords
from ingestion.generate.landing import Corruption
from ingestion.generate.people import DAY, People

INSIGHT_COLUMNS = [
    "campaign_id", "campaign_name", "adset_id", "adset_name", "ad_id", "ad_name", "date_start",
    "date_stop", "impressions", "reach", "clicks", "spend", "account_currency", "actions",
]  # fmt: skip
LEAD_KEYS = (
    "id", "created_time", "ad_id", "ad_name", "adset_id", "adset_name", "campaign_id",
    "campaign_name", "form_id", "platform", "field_data",
)  # fmt: skip
CAMPAIGNS = (
    "Tết Sale 2026",
    "Back to School",
    "Brand Awareness VN",
    "Retargeting - Cart",
    "Lead Gen - Webinar",
)
ADSETS = ("VN 18-34", "VN 35+")
ADS = ("Video 15s", "Carousel")
LEAD_SHARE = 0.12
SECOND_LEAD_SHARE = 0.10
BAD_DAYS = ("2026/13/01", "32-01-2026", "yesterday")


@dataclass
class FacebookAds:
    """The account's ad tree (campaign > ad set > ad) and the leads counted per ad and day."""

    campaign_id: np.ndarray
    campaign_name: np.ndarray
    adset_id: np.ndarray
    adset_name: np.ndarray
    ad_id: np.ndarray
    ad_name: np.ndarray
    form_id: np.ndarray
    leads: np.ndarray  # (ads, days)

    @classmethod
    def build(cls, seed: int) -> FacebookAds:
        rng = np.random.default_rng([seed, 0xFB])
        rows = [
            (c, s, a)
            for c in range(len(CAMPAIGNS))
            for s in range(len(ADSETS))
            for a in range(len(ADS))
        ]
        base = 120_210_000_000_000_000 + int(rng.integers(0, 10**9)) * 1000
        camp = np.array([r[0] for r in rows])
        adset = camp * len(ADSETS) + np.array([r[1] for r in rows])
        ad = np.arange(len(rows))
        return cls(
            campaign_id=formats.int_text(base + 100 + camp),
            campaign_name=np.array(CAMPAIGNS, object)[camp],
            adset_id=formats.int_text(base + 200 + adset),
            adset_name=np.array([f"{CAMPAIGNS[c]} | {ADSETS[s]}" for c, s, _ in rows], object),
            ad_id=formats.int_text(base + 300 + ad),
            ad_name=np.array([f"{ADS[a]} - {CAMPAIGNS[c]}" for c, _, a in rows], object),
            form_id=formats.int_text(base + 900 + camp),
            leads=np.zeros((len(rows), WINDOW_DAYS), np.int64),
        )


def plan(people: People, end_ts: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Lead owners (one entry per lead, by chunk index) and creation times."""
    n = len(people)
    has = rng.random(n) < LEAD_SHARE
    twice = has & (rng.random(n) < SECOND_LEAD_SHARE)
    person = np.concatenate([np.flatnonzero(has), np.flatnonzero(twice)])
    repeat = np.concatenate([np.zeros(int(has.sum()), bool), np.ones(int(twice.sum()), bool)])
    end_ts -= formats.VN_OFFSET_SECONDS  # the account reports in Vietnam time: stay in its window
    start = np.maximum(people.first_seen[person], end_ts - WINDOW_DAYS * DAY + 1)
    created = np.where(
        repeat,
        start + (rng.random(len(person)) * (end_ts - start)).astype(np.int64),
        start + rng.integers(0, 7200, len(person)),
    )
    created = np.minimum(created, end_ts)
    order = np.lexsort((created, person))
    return person[order], created[order]


def write_leads(
    run: Run, chunk: int, ads: FacebookAds, people: People, soft: SoftRecords, created: np.ndarray
) -> None:
    rng = run.rng(chunk, 50)
    n = len(soft.person)
    ad = rng.integers(0, len(ads.ad_id), n)
    lead_id = formats.int_text(run.take_ids("facebook_lead", n) + 1_800_000_000_000_000)
    stamp = formats.strftime(created, "%Y-%m-%dT%H:%M:%S+0000").to_pylist()
    platform = np.where(rng.random(n) < 0.7, "fb", "ig")
    np.add.at(ads.leads, (ad, run.day_index(created, formats.VN_OFFSET_SECONDS)), 1)
    records: list[dict[str, Any]] = []
    for i in range(n):
        p, a = soft.person[i], ad[i]
        first, last = soft.first_name[i], soft.last_name[i]
        fields = []
        if first is not None:
            full = f"{last} {first}" if people.is_vn[p] else f"{first} {last}"
            fields.append({"name": "full_name", "values": [full]})
        if soft.email[i] is not None:
            fields.append({"name": "email", "values": [soft.email[i]]})
        if soft.phone[i] is not None:
            fields.append({"name": "phone_number", "values": [soft.phone[i]]})
        records.append(
            {
                "id": lead_id[i],
                "created_time": stamp[i],
                "ad_id": ads.ad_id[a],
                "ad_name": ads.ad_name[a],
                "adset_id": ads.adset_id[a],
                "adset_name": ads.adset_name[a],
                "campaign_id": ads.campaign_id[a],
                "campaign_name": ads.campaign_name[a],
                "form_id": ads.form_id[a],
                "platform": platform[i],
                "field_data": fields,
            }
        )
    run.landing.write_jsonl(
        run.landing.name("facebook_ads", "leads", "jsonl"),
        records,
        key="id",
        fresh_keys=lambda k: formats.int_text(
            run.take_ids("facebook_lead", k) + 1_800_000_000_000_000
        ),
        corruptions=(Corruption("truncated_json", "id"),),
        duplicates=True,
    )
    run.truth.add("facebook_ads", "leads", lead_id, people.person_id[soft.person])


def write_insights(run: Run, ads: FacebookAds) -> None:
    rng = np.random.default_rng([run.seed, 0xFB, 1])
    n_ads, n_days = ads.leads.shape
    scale = max(1.0, run.people / 1000)
    flight_start = rng.integers(0, n_days // 2, n_ads)
    flight_end = flight_start + rng.integers(n_days // 3, n_days, n_ads)
    ad, day = np.nonzero(
        (np.arange(n_days)[None, :] >= flight_start[:, None])
        & (np.arange(n_days)[None, :] <= flight_end[:, None])
        | (ads.leads > 0)
    )
    m = len(ad)
    impressions = rng.poisson(400 * scale, m) + 20 * ads.leads[ad, day]
    clicks = rng.binomial(impressions, 0.012) + ads.leads[ad, day]
    reach = (impressions * rng.uniform(0.6, 0.9, m)).astype(np.int64)
    spend = impressions * rng.uniform(1.5, 4.0, m) / 1000
    actions = [
        orjson.dumps(
            ([{"action_type": "lead", "value": str(leads)}] if leads else [])
            + [{"action_type": "link_click", "value": str(c)}]
        ).decode()
        for leads, c in zip(ads.leads[ad, day].tolist(), clicks.tolist(), strict=True)
    ]
    date = formats.day(run.window_start + day * DAY)
    columns = {
        "campaign_id": ads.campaign_id[ad],
        "campaign_name": ads.campaign_name[ad],
        "adset_id": ads.adset_id[ad],
        "adset_name": ads.adset_name[ad],
        "ad_id": ads.ad_id[ad],
        "ad_name": ads.ad_name[ad],
        "date_start": date,
        "date_stop": date,
        "impressions": formats.int_text(impressions),
        "reach": formats.int_text(reach),
        "clicks": formats.int_text(clicks),
        "spend": formats.decimal_text(spend, 2),
        "account_currency": np.full(m, "USD", object),
        "actions": np.array(actions, object),
    }
    run.landing.write_csv(
        run.landing.name("facebook_ads", "insights", "csv"),
        formats.table(columns, INSIGHT_COLUMNS),
        corruptions=(
            Corruption("bad_date", "date_start", BAD_DAYS),
            Corruption("broken_quoting", "campaign_name"),
        ),
    )
