"""Runs a generation: people in chunks of bounded size, every system per chunk, truth alongside."""

from __future__ import annotations

import logging
import time as clock
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from ingestion.generate import facebook_ads, google_ads, hubspot, mailchimp, stripe, vnpay
from ingestion.generate.context import Run, Truth
from ingestion.generate.formats import VN_OFFSET_SECONDS
from ingestion.generate.identity import System, assign_identities, pick_shared
from ingestion.generate.landing import Landing, write_csv_rows
from ingestion.generate.orders import make_orders
from ingestion.generate.people import DAY, People, Population, make_people

log = logging.getLogger(__name__)

CHUNK_PEOPLE = 100_000
HUBSPOT_SHARE = 0.60
SECOND_CONTACT_SHARE = 0.015
MAILCHIMP_SHARE = 0.75
MAX_PEOPLE = 10_000_000  # phone and email number spaces are sized for this

# (system, export_type, extension, header for CSV, has a corrections delivery)
EXPORTS: tuple[tuple[str, str, str, list[str] | None, bool], ...] = (
    ("hubspot", "contacts", "csv", hubspot.CONTACT_COLUMNS, True),
    ("hubspot", "deals", "csv", hubspot.DEAL_COLUMNS, True),
    ("mailchimp", "subscribed", "csv", mailchimp.HEADERS["subscribed"], False),
    ("mailchimp", "unsubscribed", "csv", mailchimp.HEADERS["unsubscribed"], True),
    ("mailchimp", "cleaned", "csv", mailchimp.HEADERS["cleaned"], False),
    ("mailchimp", "campaign_activity", "jsonl", None, False),
    ("stripe", "customers", "jsonl", None, False),
    ("stripe", "charges", "jsonl", None, True),
    ("stripe", "refunds", "jsonl", None, True),
    ("vnpay", "transactions", "csv", vnpay.COLUMNS, True),
    ("facebook_ads", "insights", "csv", facebook_ads.INSIGHT_COLUMNS, False),
    ("facebook_ads", "leads", "jsonl", None, False),
    ("google_ads", "campaign_performance", "csv", google_ads.PERFORMANCE_COLUMNS, False),
    ("google_ads", "clicks", "csv", google_ads.CLICK_COLUMNS, False),
)


@dataclass(frozen=True)
class GenerateSummary:
    out_dir: Path
    people: int
    seed: int
    end_date: date
    files: dict[str, int]  # data rows per landing file (relative to landing/), as written
    truth_records: int
    malformed_rows: int
    anonymous_people: int
    seconds: float


def generate(out_dir: Path, people: int, seed: int, end_date: date) -> GenerateSummary:
    """Write out_dir/landing/<system>/… and out_dir/truth/{records,malformed}.csv."""
    if not 1 <= people <= MAX_PEOPLE:
        raise ValueError(f"people must be between 1 and {MAX_PEOPLE}, got {people}")
    started = clock.perf_counter()
    out_dir = Path(out_dir)
    landing = Landing(
        root=out_dir / "landing",
        stamp=end_date.strftime("%Y%m%d"),
        corrections_stamp=(end_date + timedelta(days=1)).strftime("%Y%m%d"),
        rng=np.random.default_rng([seed, 0x1A]),
    )
    run = Run(
        out_dir=out_dir,
        people=people,
        seed=seed,
        end_date=end_date,
        population=Population.build(people, seed),
        landing=landing,
        truth=Truth(out_dir / "truth" / "records.csv"),
    )
    campaigns = mailchimp.Campaigns.build(run)
    fb = facebook_ads.FacebookAds.build(seed)
    google = google_ads.GoogleAds.build(seed)
    for chunk, start in enumerate(range(0, people, CHUNK_PEOPLE)):
        _chunk(run, chunk, start, min(start + CHUNK_PEOPLE, people), campaigns, fb, google)
        log.info("generated people %d-%d", start, min(start + CHUNK_PEOPLE, people))
    facebook_ads.write_insights(run, fb)
    google_ads.write_performance(run, google)
    for system, export_type, ext, header, corrected in EXPORTS:
        for late in (False, True) if corrected else (False,):
            name = landing.name(system, export_type, ext, corrections=late)
            if header is None:
                landing.touch_jsonl(name)
            else:
                landing.touch_csv(name, header)
    files = landing.close()
    run.truth.close()
    malformed = sorted(landing.malformed)
    write_csv_rows(out_dir / "truth" / "malformed.csv", ["source_file", "line", "kind"], malformed)
    return GenerateSummary(
        out_dir=out_dir,
        people=people,
        seed=seed,
        end_date=end_date,
        files=dict(sorted(files.items())),
        truth_records=run.truth.rows,
        malformed_rows=len(malformed),
        anonymous_people=run.counters.get("anonymous_person", 0),
        seconds=round(clock.perf_counter() - started, 3),
    )


def _chunk(
    run: Run,
    chunk: int,
    start: int,
    stop: int,
    campaigns: mailchimp.Campaigns,
    fb: facebook_ads.FacebookAds,
    google: google_ads.GoogleAds,
) -> None:
    people = make_people(run.population, start, stop, run.end_ts, run.rng(chunk, 1))
    orders = make_orders(people, run.end_ts, run.rng(chunk, 2))
    rng = run.rng(chunk, 3)
    n = len(people)
    orders_count = np.bincount(orders.person[~orders.failed], minlength=n)
    in_hubspot = rng.random(n) < HUBSPOT_SHARE
    second_contact = in_hubspot & (rng.random(n) < SECOND_CONTACT_SHARE)
    in_mailchimp = rng.random(n) < MAILCHIMP_SHARE
    member_status = mailchimp.statuses(n, rng)
    stripe_plan = stripe.plan(orders, run.end_ts, rng)
    vnpay_orders = orders.take(~orders.stripe)
    lead_person, lead_created = facebook_ads.plan(people, run.end_ts, rng)

    hs_person = np.concatenate([np.flatnonzero(in_hubspot), np.flatnonzero(second_contact)])
    hs_second = np.arange(len(hs_person)) >= int(in_hubspot.sum())
    mc_person = np.flatnonzero(in_mailchimp)
    guest_person = stripe_plan.orders.person[stripe_plan.guest]
    parts = (
        (System.HUBSPOT, hs_person, hs_second),
        (System.STRIPE_CUSTOMER, stripe_plan.customer_person, stripe_plan.second),
        (System.STRIPE_GUEST, guest_person, None),
        (System.VNPAY, vnpay_orders.person, None),
        (System.LEAD, lead_person, None),
        (System.MAILCHIMP, mc_person, None),
    )
    person = np.concatenate([p for _, p, _ in parts])
    system = np.concatenate([np.full(len(p), s, np.int8) for s, p, _ in parts])
    pick_shared(people, person, system, run.population, run.take_ids, run.rng(chunk, 6))
    soft = assign_identities(
        people,
        person,
        system,
        np.concatenate([np.zeros(len(p), bool) if f is None else f for _, p, f in parts]),
        run.rng(chunk, 4),
    )

    clicks = _known_clicks(run, chunk, people, in_hubspot, stripe_plan)
    unsubscribed = in_mailchimp & (member_status == mailchimp.UNSUBSCRIBED)
    hubspot.write(
        run,
        chunk,
        people,
        soft.of(System.HUBSPOT),
        hs_second,
        orders_count,
        unsubscribed,
        clicks.contact_gclid,
    )
    mailchimp.write(
        run,
        chunk,
        campaigns,
        people,
        soft.of(System.MAILCHIMP),
        member_status[mc_person],
        orders_count,
    )
    stripe.write(
        run,
        chunk,
        people,
        stripe_plan,
        soft.of(System.STRIPE_CUSTOMER),
        soft.of(System.STRIPE_GUEST),
        clicks.charge_gclid,
    )
    vnpay.write(run, chunk, people, vnpay_orders, soft.of(System.VNPAY))
    facebook_ads.write_leads(run, chunk, fb, people, soft.of(System.LEAD), lead_created)
    google_ads.write_clicks(
        run, chunk, google, people.person_id[clicks.person], clicks.gclid, clicks.ts, clicks.value
    )


@dataclass
class KnownClicks:
    person: np.ndarray
    gclid: np.ndarray
    ts: np.ndarray
    value: np.ndarray  # USD of the charge the click led to, 0 when it only created a contact
    contact_gclid: np.ndarray  # per person
    charge_gclid: np.ndarray  # per Stripe order


def _known_clicks(
    run: Run, chunk: int, people: People, in_hubspot: np.ndarray, plan: stripe.StripePlan
) -> KnownClicks:
    """Clicks of known people, each recorded where a gclid is kept so the click stays linkable."""
    rng = run.rng(chunk, 5)
    n = len(people)
    orders = plan.orders
    paid = np.flatnonzero(~orders.failed)
    paid_by_person: dict[int, list[int]] = {}
    for i in paid.tolist():
        paid_by_person.setdefault(int(orders.person[i]), []).append(i)
    candidate = in_hubspot.copy()
    candidate[list(paid_by_person)] = True
    clicker = np.flatnonzero(candidate & (rng.random(n) < google_ads.KNOWN_CLICKER_SHARE))
    contact_gclid = np.full(n, None, object)
    charge_gclid = np.full(len(orders), None, object)
    usd = np.where(orders.currency == "usd", orders.amount / 100, orders.amount / 25_000)
    person, ts, value, target = [], [], [], []
    local_end = run.end_ts - VN_OFFSET_SECONDS
    for p in clicker.tolist():
        charges = paid_by_person.get(p, [])
        if in_hubspot[p]:
            start = max(int(people.first_seen[p]), run.window_start)
            person.append(p)
            ts.append(min(start + int(rng.integers(0, DAY)), local_end))
            value.append(0.0)
            target.append(("contact", p))
        elif charges:
            first = charges[0]
            person.append(p)
            ts.append(int(orders.ts[first]) - int(rng.integers(60, 3600)))
            value.append(float(usd[first]))
            target.append(("charge", first))
            charges = charges[1:]
        if charges and rng.random() < google_ads.SECOND_CLICK_SHARE:
            later = charges[int(rng.integers(0, len(charges)))]
            person.append(p)
            ts.append(int(orders.ts[later]) - int(rng.integers(60, 3600)))
            value.append(float(usd[later]))
            target.append(("charge", later))
    ids = google_ads.gclids(run, rng, len(person))
    for gclid, (kind, where) in zip(ids, target, strict=True):
        if kind == "contact":
            contact_gclid[where] = gclid
        else:
            charge_gclid[where] = gclid
    return KnownClicks(
        person=np.array(person, np.int64),
        gclid=ids,
        ts=np.array(ts, np.int64),
        value=np.array(value, float),
        contact_gclid=contact_gclid,
        charge_gclid=charge_gclid,
    )
