"""Activity has the shape downstream models need: email engagement, repeat and lapsed buyers."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

from generated_exports import read_csv, read_jsonl, read_truth

END = datetime(2026, 11, 2, tzinfo=UTC)


def test_about_ten_email_events_per_person_over_the_last_year(sample_exports: Path) -> None:
    path = sample_exports / "landing/mailchimp/campaign_activity_20261101.jsonl"
    events = [e for _, e in read_jsonl(path, "campaign_activity") if e is not None]
    people = len({r["person_id"] for r in read_truth(sample_exports) if r["person_id"][0] == "P"})
    assert 8 <= len(events) / people <= 12
    actions = Counter(e["action"] for e in events)
    assert set(actions) == {"sent", "open", "click", "bounce"}
    assert actions["sent"] > actions["open"] > actions["click"] > 0
    stamps = [datetime.fromisoformat(e["timestamp"]) for e in events]
    assert END - timedelta(days=366) <= min(stamps) and max(stamps) < END


def test_events_belong_to_audience_members(sample_exports: Path) -> None:
    landing = sample_exports / "landing/mailchimp"
    members = set()
    for kind in ("subscribed", "unsubscribed", "cleaned"):
        _, rows = read_csv(landing / f"{kind}_20261101.csv", kind)
        members |= {row["Email Address"] for _, row in rows if row}
    path = landing / "campaign_activity_20261101.jsonl"
    emails = {e["email_address"] for _, e in read_jsonl(path, "campaign_activity") if e}
    assert emails <= members


def test_buyers_include_one_time_repeat_loyal_and_lapsed(sample_exports: Path) -> None:
    owner = {r["source_record_id"]: r["person_id"] for r in read_truth(sample_exports)}
    orders = defaultdict(list)
    landing = sample_exports / "landing"
    for _, charge in read_jsonl(landing / "stripe/charges_20261101.jsonl", "charges"):
        if charge and charge["status"] == "succeeded":
            orders[owner[charge["id"]]].append(datetime.fromtimestamp(charge["created"], UTC))
    _, rows = read_csv(landing / "vnpay/transactions_20261101.csv", "transactions")
    for _, row in rows:
        if row and row["vnp_ResponseCode"] in ("00", "07"):
            paid = datetime.strptime(row["vnp_PayDate"], "%Y%m%d%H%M%S") - timedelta(hours=7)
            orders[owner[row["vnp_TxnRef"]]].append(paid.replace(tzinfo=UTC))
    counts = Counter(len(v) for v in orders.values())
    buyers = sum(counts.values())
    one_time = counts[1] / buyers
    loyal = sum(n for k, n in counts.items() if k >= 5) / buyers
    assert 0.2 < one_time < 0.7 and loyal > 0.05
    lapsed = [v for v in orders.values() if len(v) >= 2 and END - max(v) > timedelta(days=150)]
    assert len(lapsed) > 0.03 * buyers


def test_failed_payments_are_present_and_kept_in_the_truth(sample_exports: Path) -> None:
    landing = sample_exports / "landing"
    _, rows = read_csv(landing / "vnpay/transactions_20261101.csv", "transactions")
    codes = Counter(row["vnp_ResponseCode"] for _, row in rows if row)
    assert {"00", "24"} <= set(codes)
    failed = [
        c
        for _, c in read_jsonl(landing / "stripe/charges_20261101.jsonl", "charges")
        if c and c["status"] == "failed"
    ]
    assert failed and all(not c["paid"] and c["failure_code"] for c in failed)
