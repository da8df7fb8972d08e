"""Mailchimp: the audience export (three CSVs by status) and campaign activity events.

Events are built and serialised with Arrow compute only: at 1M people there are about 10M of them,
and a per-event Python object would dominate the run time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ingestion.generate import formats
from ingestion.generate import vocabulary as vocab
from ingestion.generate.context import Run
from ingestion.generate.identity import SoftRecords
from ingestion.generate.landing import BAD_DATES, Corruption
from ingestion.generate.mess import MESS
from ingestion.generate.people import DAY, People

MEMBER_COLUMNS = [
    "Email Address", "First Name", "Last Name", "Phone Number", "MEMBER_RATING", "OPTIN_TIME",
    "OPTIN_IP", "CONFIRM_TIME", "CONFIRM_IP", "LATITUDE", "LONGITUDE", "GMTOFF", "DSTOFF",
    "TIMEZONE", "CC", "REGION", "LAST_CHANGED", "LEID", "EUID", "NOTES", "TAGS",
]  # fmt: skip
UNSUB_COLUMNS = [
    "UNSUB_TIME", "UNSUB_CAMPAIGN_TITLE", "UNSUB_CAMPAIGN_ID", "UNSUB_REASON", "UNSUB_REASON_OTHER",
]  # fmt: skip
CLEAN_COLUMNS = ["CLEAN_TIME", "CLEAN_CAMPAIGN_TITLE", "CLEAN_CAMPAIGN_ID"]
HEADERS = {
    "subscribed": MEMBER_COLUMNS,
    "unsubscribed": MEMBER_COLUMNS + UNSUB_COLUMNS,
    "cleaned": MEMBER_COLUMNS + CLEAN_COLUMNS,
}
EVENT_KEYS = ("campaign_id", "list_id", "email_address", "action", "timestamp", "url", "ip")
UNSUB_REASONS = (
    "N/A (Unsubscribed by admin)",
    "I no longer want to receive these emails",
    "The emails are too frequent",
    "I never signed up for this list",
    "Other",
)
ACTIONS = np.array(["sent", "open", "click", "bounce"], object)
SENT, OPEN, CLICK, BOUNCE = range(4)
LEID_BASE = 40_000_001
SUBSCRIBED, UNSUBSCRIBED, CLEANED = range(3)
STATUS_SHARES = (0.80, 0.13, 0.07)
EVENT_BATCH = 50_000


@dataclass(frozen=True)
class Campaigns:
    """Twice-weekly campaigns over the reporting window; the same for every chunk."""

    ids: np.ndarray
    titles: np.ndarray
    send_ts: np.ndarray
    urls: np.ndarray
    list_id: str

    @classmethod
    def build(cls, run: Run) -> Campaigns:
        rng = np.random.default_rng([run.seed, 0xCA])
        send_ts = run.window_start + 2 * 3600 + (np.arange(0, 365, 3.5) * DAY).astype(np.int64)
        n = len(send_ts)
        day = formats.day(send_ts, formats.VN_OFFSET_SECONDS).to_pylist()
        themes = ("Bản tin tuần", "Khuyến mãi cuối tuần", "New arrivals", "Flash sale")
        titles = np.array([f"{themes[i % 4]} {d}" for i, d in enumerate(day)], object)
        ids = formats.hex_ids(rng, n, 10)
        urls = np.array(
            [
                f"https://shop.example.vn/khuyen-mai/{d}?utm_source=mailchimp&utm_medium=email"
                f"&utm_campaign={cid}"
                for d, cid in zip(day, ids, strict=True)
            ],
            object,
        )
        return cls(ids, titles, send_ts, urls, str(formats.hex_ids(rng, 1, 10)[0]))


def statuses(n: int, rng: np.random.Generator) -> np.ndarray:
    return rng.choice(3, size=n, p=STATUS_SHARES)


def write(
    run: Run,
    chunk: int,
    campaigns: Campaigns,
    people: People,
    soft: SoftRecords,
    status: np.ndarray,
    orders_count: np.ndarray,
) -> None:
    """`status` has one entry per soft record (member)."""
    rng = run.rng(chunk, 20)
    p = soft.person
    n = len(p)
    optin = np.minimum(
        people.first_seen[p] + rng.exponential(5 * DAY, n).astype(np.int64), run.end_ts - DAY
    )
    confirm = optin + rng.integers(30, 7200, n)
    stop = np.full(n, run.end_ts, np.int64)
    # Members leave at a campaign: unsubscribing from it or bouncing hard on it.
    first_after = np.searchsorted(campaigns.send_ts, confirm)
    can_leave = first_after < len(campaigns.send_ts)
    leaving = (status != SUBSCRIBED) & can_leave
    status = np.where((status != SUBSCRIBED) & ~can_leave, SUBSCRIBED, status)
    span = len(campaigns.send_ts) - first_after
    leave_campaign = np.minimum(
        first_after + (rng.random(n) * np.maximum(span, 1)).astype(np.int64),
        len(campaigns.send_ts) - 1,
    )
    leave_ts = campaigns.send_ts[leave_campaign] + rng.integers(600, 3 * DAY, n)
    leave_ts = np.minimum(leave_ts, run.end_ts)
    stop = np.where(leaving, leave_ts, stop)
    last_changed = np.where(leaving, leave_ts, confirm)

    leid = formats.int_text(run.take_ids("mailchimp_leid", n) + LEID_BASE)
    tz = np.array([vocab.TIMEZONES[c] for c in people.country[p]], object)
    ip = _ips(rng, people.is_vn[p])
    rating = np.clip(1 + (people.engagement[p] * 5).astype(int), 1, 5)
    rating = np.where(status == CLEANED, 1, rating)
    tags = np.where(
        orders_count[p] >= 5,
        '"customer","vip"',
        np.where(orders_count[p] > 0, '"customer"', None),
    )
    base = {
        "Email Address": soft.email,
        "First Name": soft.first_name,
        "Last Name": soft.last_name,
        "Phone Number": soft.phone,
        "MEMBER_RATING": formats.int_text(rating),
        "OPTIN_TIME": formats.seconds_text(optin),
        "OPTIN_IP": ip,
        "CONFIRM_TIME": formats.seconds_text(confirm),
        "CONFIRM_IP": ip,
        "LATITUDE": np.full(n, None, object),
        "LONGITUDE": np.full(n, None, object),
        "GMTOFF": np.array([str(t[1]) for t in tz], object),
        "DSTOFF": np.array([str(t[1]) for t in tz], object),
        "TIMEZONE": np.array([t[0] for t in tz], object),
        "CC": people.country[p],
        "REGION": np.where(rng.random(n) < 0.5, people.city[p], None),
        "LAST_CHANGED": formats.seconds_text(last_changed),
        "LEID": leid,
        "EUID": formats.hex_ids(rng, n, 10),
        "NOTES": np.full(n, None, object),
        "TAGS": tags,
        "UNSUB_TIME": formats.seconds_text(leave_ts),
        "UNSUB_CAMPAIGN_TITLE": campaigns.titles[leave_campaign],
        "UNSUB_CAMPAIGN_ID": campaigns.ids[leave_campaign],
        "UNSUB_REASON": formats.choice(rng, UNSUB_REASONS, n),
        "UNSUB_REASON_OTHER": np.full(n, None, object),
        "CLEAN_TIME": formats.seconds_text(leave_ts),
        "CLEAN_CAMPAIGN_TITLE": campaigns.titles[leave_campaign],
        "CLEAN_CAMPAIGN_ID": campaigns.ids[leave_campaign],
    }
    full = formats.table(base, list(HEADERS["cleaned"][:-3]) + UNSUB_COLUMNS + CLEAN_COLUMNS)
    for code, export_type in enumerate(HEADERS):
        rows = np.flatnonzero(status == code)
        corruptions = ()
        if export_type == "subscribed":
            corruptions = (
                Corruption("bad_date", "OPTIN_TIME", BAD_DATES),
                Corruption("broken_quoting", "MEMBER_RATING"),
            )
        run.landing.write_csv(
            run.landing.name("mailchimp", export_type, "csv"),
            full.take(rows).select(HEADERS[export_type]),
            key="LEID",
            fresh_keys=lambda k: formats.int_text(run.take_ids("mailchimp_leid", k) + LEID_BASE),
            corruptions=corruptions,
            duplicates=export_type == "subscribed",
        )
    run.truth.add("mailchimp", "members", leid, people.person_id[p])

    late = np.flatnonzero((status == SUBSCRIBED) & (rng.random(n) < MESS.correction_members))
    late_ts = run.correction_ts + rng.integers(0, 8 * 3600, len(late))
    fixed = full.take(late).select(HEADERS["unsubscribed"]).to_pydict()
    fixed["UNSUB_TIME"] = formats.seconds_text(late_ts).to_pylist()
    fixed["LAST_CHANGED"] = fixed["UNSUB_TIME"]
    fixed["UNSUB_CAMPAIGN_ID"] = [campaigns.ids[-1]] * len(late)
    fixed["UNSUB_CAMPAIGN_TITLE"] = [campaigns.titles[-1]] * len(late)
    run.landing.write_csv(
        run.landing.name("mailchimp", "unsubscribed", "csv", corrections=True),
        formats.table(fixed, HEADERS["unsubscribed"]),
    )

    # Events in member batches: their text is most of the run's memory.
    for lo in range(0, n, EVENT_BATCH):
        part = slice(lo, lo + EVENT_BATCH)
        events = _events(
            rng, campaigns, people, p[part], confirm[part], stop[part], status[part],
            leave_campaign[part],
        )  # fmt: skip
        run.landing.write_jsonl_lines(
            run.landing.name("mailchimp", "campaign_activity", "jsonl"),
            _event_lines(campaigns, soft.email[part], ip[part], *events),
            truncated=True,
        )


def _events(
    rng: np.random.Generator,
    campaigns: Campaigns,
    people: People,
    p: np.ndarray,
    confirm: np.ndarray,
    stop: np.ndarray,
    status: np.ndarray,
    leave_campaign: np.ndarray,
) -> tuple[np.ndarray, ...]:
    """(member, campaign, action, ts) of every event; engaged members open until the end."""
    engagement = people.engagement[p]
    send_ts = campaigns.send_ts
    eligible = (send_ts[None, :] >= confirm[:, None]) & (send_ts[None, :] <= stop[:, None])
    p_send = (0.08 + 0.22 * engagement).astype(np.float32)
    sent = eligible & (rng.random(eligible.shape, dtype=np.float32) < p_send[:, None])
    cleaned = np.flatnonzero(status == CLEANED)
    sent[cleaned, leave_campaign[cleaned]] = True
    member, campaign = np.nonzero(sent)
    del sent, eligible
    ts_sent = send_ts[campaign] + rng.integers(0, 1800, len(member))
    bounced = (status[member] == CLEANED) & (campaign == leave_campaign[member])
    bounced |= rng.random(len(member)) < 0.005

    active = ts_sent <= people.active_until[p][member]
    p_open = (0.05 + 0.55 * engagement[member]) * active
    opened = ~bounced & (rng.random(len(member)) < p_open)
    open_ts = ts_sent[opened] + (np.exp(rng.normal(0.5, 1.2, int(opened.sum()))) * 3600).astype(
        np.int64
    )
    clicked = rng.random(len(open_ts)) < 0.1 + 0.3 * engagement[member[opened]]
    click_ts = open_ts[clicked] + rng.integers(5, 900, int(clicked.sum()))
    bounce_ts = ts_sent[bounced] + rng.integers(5, 300, int(bounced.sum()))

    members = np.concatenate([member, member[opened], member[opened][clicked], member[bounced]])
    camps = np.concatenate(
        [campaign, campaign[opened], campaign[opened][clicked], campaign[bounced]]
    )
    actions = np.concatenate(
        [
            np.full(len(member), SENT, np.int8),
            np.full(len(open_ts), OPEN, np.int8),
            np.full(len(click_ts), CLICK, np.int8),
            np.full(len(bounce_ts), BOUNCE, np.int8),
        ]
    )
    ts = np.concatenate([ts_sent, open_ts, click_ts, bounce_ts])
    keep = ts <= stop[members]
    order = np.argsort(ts[keep], kind="stable")
    return members[keep][order], camps[keep][order], actions[keep][order], ts[keep][order]


def _event_lines(
    campaigns: Campaigns,
    emails: np.ndarray,
    ips: np.ndarray,
    member: np.ndarray,
    campaign: np.ndarray,
    action: np.ndarray,
    ts: np.ndarray,
) -> pa.Array:
    """One JSON object per event, built column-wise (values never need JSON escaping)."""
    email = pa.array(emails, pa.string()).take(pa.array(member))
    cid = pa.array(campaigns.ids, pa.string()).take(pa.array(campaign))
    act = pa.array(ACTIONS, pa.string()).take(pa.array(action))
    stamp = formats.strftime(ts, "%Y-%m-%dT%H:%M:%S+00:00")
    is_click = pa.array(action == CLICK)
    with_ip = pa.array((action == OPEN) | (action == CLICK))
    url = pa.array(campaigns.urls, pa.string()).take(pa.array(campaign))
    url_json = pc.if_else(is_click, pc.binary_join_element_wise('"', url, '"', ""), "null")
    ip = pa.array(ips, pa.string()).take(pa.array(member))
    ip_json = pc.if_else(with_ip, pc.binary_join_element_wise('"', ip, '"', ""), "null")
    return pc.binary_join_element_wise(
        '{"campaign_id":"', cid,
        f'","list_id":"{campaigns.list_id}","email_address":"', email,
        '","action":"', act,
        '","timestamp":"', stamp,
        '","url":', url_json,
        ',"ip":', ip_json,
        "}\n",
        "",
    )  # fmt: skip


def _ips(rng: np.random.Generator, is_vn: np.ndarray) -> np.ndarray:
    n = len(is_vn)
    first = np.where(
        is_vn,
        formats.choice(rng, ("113", "14", "27", "171", "42"), n),
        rng.integers(20, 220, n).astype(str).astype(object),
    )
    rest = rng.integers(0, 256, (n, 3))
    return np.array(
        [f"{a}.{b}.{c}.{d}" for a, (b, c, d) in zip(first, rest.tolist(), strict=True)], object
    )
