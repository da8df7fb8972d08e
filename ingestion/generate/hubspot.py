"""HubSpot CRM: contacts and deals as the UI export writes them (display labels as headers)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from ingestion.generate import formats
from ingestion.generate import vocabulary as vocab
from ingestion.generate.context import Run
from ingestion.generate.identity import EmailKind, SoftRecords
from ingestion.generate.landing import BAD_AMOUNTS, BAD_DATES, Corruption
from ingestion.generate.mess import MESS
from ingestion.generate.people import ACQUISITION_CHANNELS, DAY, People

CONTACT_COLUMNS = [
    "Record ID", "First Name", "Last Name", "Email", "Phone Number", "Contact owner",
    "Lifecycle Stage", "Lead Status", "Create Date", "Last Modified Date", "Last Activity Date",
    "Associated Company", "Job Title", "City", "Country/Region", "Original Source", "UTM Source",
    "UTM Medium", "UTM Campaign", "Google ad click id", "Unsubscribed from all email",
]  # fmt: skip
DEAL_COLUMNS = [
    "Record ID", "Deal Name", "Deal Stage", "Amount", "Currency", "Close Date", "Deal owner",
    "Pipeline", "Create Date", "Last Modified Date", "Associated Contact",
]  # fmt: skip
OPEN_STAGES = (
    "Appointment Scheduled",
    "Qualified To Buy",
    "Presentation Scheduled",
    "Decision Maker Bought-In",
    "Contract Sent",
)
LEAD_STATUSES = ("New", "Open", "In Progress", "Attempted to contact", "Connected", "Unqualified")
CONTACT_ID_BASE = 15_000_000_001
DEAL_ID_BASE = 21_000_000_001
UTM_BY_CHANNEL = {
    "Paid Search": ("google", "cpc", "search-brand-vn"),
    "Paid Social": ("facebook", "paid_social", "tet-sale-2026"),
    "Email Marketing": ("mailchimp", "email", "newsletter"),
}


def write(
    run: Run,
    chunk: int,
    people: People,
    soft: SoftRecords,
    second: np.ndarray,
    orders_count: np.ndarray,
    unsubscribed: np.ndarray,
    contact_gclid: np.ndarray,
) -> None:
    """`second` marks soft records that are a person's second contact (created later)."""
    rng = run.rng(chunk, 10)
    n = len(soft.person)
    p = soft.person
    record_id = run.take_ids("hubspot_contact", n) + CONTACT_ID_BASE
    ids = formats.int_text(record_id)
    created = people.first_seen[p] + np.where(
        second, (rng.random(n) * (run.end_ts - people.first_seen[p])).astype(np.int64), 0
    )
    modified = created + (rng.random(n) * (run.end_ts - created)).astype(np.int64)
    activity = created + (rng.random(n) * (modified - created)).astype(np.int64)
    stage = _lifecycle(people.engagement[p], orders_count[p], rng)
    channel = np.array([name for name, _ in ACQUISITION_CHANNELS], object)[people.channel[p]]
    gclid = contact_gclid[p]
    clicked = np.array([g is not None for g in gclid], bool)
    channel = np.where(clicked, "Paid Search", channel)
    utm = [UTM_BY_CHANNEL.get(c, (None, None, None)) for c in channel]
    unsub = unsubscribed[p] | (rng.random(n) < 0.02)
    columns = {
        "Record ID": ids,
        "First Name": soft.first_name,
        "Last Name": soft.last_name,
        "Email": soft.email,
        "Phone Number": soft.phone,
        "Contact owner": formats.blank(formats.choice(rng, vocab.HUBSPOT_OWNERS, n)),
        "Lifecycle Stage": stage,
        "Lead Status": np.where(
            stage == "Customer", None, formats.blank(formats.choice(rng, (*LEAD_STATUSES, ""), n))
        ),
        "Create Date": formats.minutes(created),
        "Last Modified Date": formats.minutes(modified),
        "Last Activity Date": formats.mask(formats.minutes(activity), rng.random(n) < 0.6),
        "Associated Company": np.where(rng.random(n) < 0.6, people.company_name[p], None),
        "Job Title": formats.blank(formats.choice(rng, vocab.JOB_TITLES, n)),
        "City": people.city[p],
        "Country/Region": people.country_name[p],
        "Original Source": channel,
        "UTM Source": np.array([u[0] for u in utm], object),
        "UTM Medium": np.array([u[1] for u in utm], object),
        "UTM Campaign": np.array([u[2] for u in utm], object),
        "Google ad click id": gclid,
        "Unsubscribed from all email": np.where(unsub, "true", "false"),
    }
    table = formats.table(columns, CONTACT_COLUMNS)
    contacts = run.landing.name("hubspot", "contacts", "csv")
    run.landing.write_csv(
        contacts,
        table,
        key="Record ID",
        fresh_keys=lambda k: formats.int_text(run.take_ids("hubspot_contact", k) + CONTACT_ID_BASE),
        corruptions=(
            Corruption("bad_date", "Create Date", BAD_DATES),
            Corruption("broken_quoting", "Lifecycle Stage"),
        ),
        duplicates=True,
    )
    run.truth.add("hubspot", "contacts", ids, people.person_id[p])
    _contact_corrections(run, rng, table, people, soft, second)
    _deals(run, chunk, people, p[~second], ids[~second], created[~second])


def _contact_corrections(
    run: Run,
    rng: np.random.Generator,
    table: pa.Table,
    people: People,
    soft: SoftRecords,
    second: np.ndarray,
) -> None:
    """Later edits of some contacts; a second contact never gets the own email (HubSpot keeps
    emails unique, and the first contact has it)."""
    n = table.num_rows
    rows = np.flatnonzero(rng.random(n) < MESS.correction_contacts)
    fixed = table.take(rows).to_pydict()
    person = soft.person[rows]
    for i, row in enumerate(rows):
        fixed["Last Name"][i] = people.last_name[person[i]]
        if soft.email_kind[row] == EmailKind.MISSING and not second[row]:
            fixed["Email"][i] = people.email[person[i]]
        if fixed["Lifecycle Stage"][i] not in ("Customer", "Evangelist"):
            fixed["Lifecycle Stage"][i] = "Sales Qualified Lead"
    stamp = run.correction_ts + rng.integers(0, 8 * 3600, len(rows))
    fixed["Last Modified Date"] = formats.minutes(stamp).to_pylist()
    name = run.landing.name("hubspot", "contacts", "csv", corrections=True)
    run.landing.write_csv(name, formats.table(fixed, CONTACT_COLUMNS))


def _deals(
    run: Run,
    chunk: int,
    people: People,
    person: np.ndarray,
    contact_ids: np.ndarray,
    contact_created: np.ndarray,
) -> None:
    rng = run.rng(chunk, 11)
    has = rng.random(len(person)) < 0.2
    twice = has & (rng.random(len(person)) < 0.25)
    owner = np.concatenate([np.flatnonzero(has), np.flatnonzero(twice)])
    n = len(owner)
    p = person[owner]
    record_id = formats.int_text(run.take_ids("hubspot_deal", n) + DEAL_ID_BASE)
    created = contact_created[owner] + (
        rng.random(n) * (run.end_ts - contact_created[owner])
    ).astype(np.int64)
    outcome = rng.random(n)
    stage = np.where(
        outcome < 0.35,
        "Closed Won",
        np.where(outcome < 0.55, "Closed Lost", formats.choice(rng, OPEN_STAGES, n)),
    )
    closed = np.isin(stage, ("Closed Won", "Closed Lost"))
    close = created + rng.integers(5 * DAY, 60 * DAY, n)
    close = np.where(closed, np.minimum(close, run.end_ts), close + 30 * DAY)
    modified = np.where(
        closed, close, created + (rng.random(n) * (run.end_ts - created)).astype(np.int64)
    )
    vn = people.is_vn[p]
    amount = np.where(
        vn,
        np.round(rng.lognormal(np.log(15e6), 0.8, n) / 1e5) * 1e5,
        np.round(rng.lognormal(np.log(1500), 0.8, n) * 2) / 2,
    )
    product = formats.choice(
        rng, ("Gói Premium", "Annual plan", "Bulk order", "Gói doanh nghiệp"), n
    )
    columns = {
        "Record ID": record_id,
        "Deal Name": np.array(
            [f"{c} - {prod}" for c, prod in zip(people.company_name[p], product, strict=True)],
            object,
        ),
        "Deal Stage": stage,
        "Amount": formats.decimal_text(amount, 2),
        "Currency": np.where(vn, "VND", "USD"),
        "Close Date": formats.day(close),
        "Deal owner": formats.blank(formats.choice(rng, vocab.HUBSPOT_OWNERS, n)),
        "Pipeline": np.full(n, "Sales Pipeline", object),
        "Create Date": formats.minutes(created),
        "Last Modified Date": formats.minutes(modified),
        "Associated Contact": contact_ids[owner],
    }
    table = formats.table(columns, DEAL_COLUMNS)
    run.landing.write_csv(
        run.landing.name("hubspot", "deals", "csv"),
        table,
        key="Record ID",
        fresh_keys=lambda k: formats.int_text(run.take_ids("hubspot_deal", k) + DEAL_ID_BASE),
        corruptions=(
            Corruption("non_numeric_amount", "Amount", BAD_AMOUNTS),
            Corruption("bad_date", "Close Date", BAD_DATES),
            Corruption("broken_quoting", "Deal Stage"),
        ),
        duplicates=True,
    )
    run.truth.add("hubspot", "deals", record_id, people.person_id[p])

    moved = np.flatnonzero(~closed & (rng.random(n) < MESS.correction_deals))
    fixed = table.take(moved).to_pydict()
    stamp = run.correction_ts + rng.integers(0, 8 * 3600, len(moved))
    fixed["Deal Stage"] = list(np.where(rng.random(len(moved)) < 0.6, "Closed Won", "Closed Lost"))
    fixed["Close Date"] = formats.day(stamp).to_pylist()
    fixed["Last Modified Date"] = formats.minutes(stamp).to_pylist()
    name = run.landing.name("hubspot", "deals", "csv", corrections=True)
    run.landing.write_csv(name, formats.table(fixed, DEAL_COLUMNS))


def _lifecycle(engagement: np.ndarray, orders: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    stage = np.select(
        [engagement < 0.25, engagement < 0.45, engagement < 0.6, engagement < 0.7],
        ["Subscriber", "Lead", "Marketing Qualified Lead", "Sales Qualified Lead"],
        "Opportunity",
    ).astype(object)
    stage[orders > 0] = "Customer"
    stage[(orders >= 5) & (rng.random(len(orders)) < 0.3)] = "Evangelist"
    return stage
