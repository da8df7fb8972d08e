"""Stripe: customers, charges and refunds as API objects, one JSON object per line.

Amounts are in the currency's smallest unit; VND is zero-decimal in Stripe, so a VND amount is
whole dong while a USD amount is cents.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ingestion.generate import formats
from ingestion.generate.context import Run
from ingestion.generate.identity import SoftRecords
from ingestion.generate.landing import BAD_AMOUNTS, Corruption
from ingestion.generate.mess import MESS
from ingestion.generate.orders import Orders
from ingestion.generate.people import ACQUISITION_CHANNELS, DAY, People

CUSTOMER_KEYS = (
    "id", "object", "address", "created", "currency", "description", "email", "livemode",
    "metadata", "name", "phone",
)  # fmt: skip
CHARGE_KEYS = (
    "id", "object", "amount", "amount_captured", "amount_refunded", "balance_transaction",
    "billing_details", "captured",
    "created", "currency", "customer", "description", "failure_code", "failure_message",
    "livemode", "metadata", "outcome", "paid", "payment_intent", "receipt_email", "refunded",
    "status",
)  # fmt: skip
REFUND_KEYS = (
    "id", "object", "amount", "balance_transaction", "charge", "created", "currency", "metadata",
    "payment_intent", "reason", "status",
)  # fmt: skip
GUEST_SHARE = 0.08
SECOND_CUSTOMER_SHARE = 0.05
REFUND_SHARE = 0.05
FAILURES = (
    ("card_declined", "Your card was declined."),
    ("insufficient_funds", "Your card has insufficient funds."),
    ("expired_card", "Your card has expired."),
)
UTM = {
    "Paid Search": ("google", "cpc", "search-brand-vn"),
    "Paid Social": ("facebook", "paid_social", "tet-sale-2026"),
    "Email Marketing": ("mailchimp", "email", "newsletter"),
}


@dataclass
class StripePlan:
    """Which soft records the Stripe export needs, decided before identities are assigned."""

    orders: Orders
    guest: np.ndarray  # per order
    customer_person: np.ndarray  # one entry per customer object
    second: np.ndarray  # per customer: a person's second customer object
    customer_created: np.ndarray


def plan(orders: Orders, end_ts: int, rng: np.random.Generator) -> StripePlan:
    stripe = orders.take(orders.stripe)
    payers, first = np.unique(stripe.person, return_index=True)
    twice = rng.random(len(payers)) < SECOND_CUSTOMER_SHARE
    created = stripe.ts[first] - rng.integers(0, 300, len(payers))
    later = created[twice] + (rng.random(int(twice.sum())) * (end_ts - created[twice])).astype(
        np.int64
    )
    return StripePlan(
        orders=stripe,
        guest=rng.random(len(stripe)) < GUEST_SHARE,
        customer_person=np.concatenate([payers, payers[twice]]),
        second=np.concatenate([np.zeros(len(payers), bool), np.ones(int(twice.sum()), bool)]),
        customer_created=np.concatenate([created, later]),
    )


def write(
    run: Run,
    chunk: int,
    people: People,
    stripe_plan: StripePlan,
    customers: SoftRecords,
    guests: SoftRecords,
    charge_gclid: np.ndarray,
) -> np.ndarray:
    """Writes the three exports; returns the USD value of each order (for ad conversions)."""
    rng = run.rng(chunk, 30)
    n_cust = len(customers.person)
    cus_ids = formats.random_ids(rng, "cus_", run.take_ids("stripe_customer", n_cust), 14)
    names = _full_names(people, customers)
    customer_records = [
        {
            "id": cus_ids[i],
            "object": "customer",
            "address": {
                "city": people.city[customers.person[i]],
                "country": people.country[customers.person[i]],
                "line1": None,
                "postal_code": None,
            },
            "created": int(stripe_plan.customer_created[i]),
            "currency": "vnd" if people.is_vn[customers.person[i]] else "usd",
            "description": None,
            "email": customers.email[i],
            "livemode": False,
            "metadata": {},
            "name": names[i],
            "phone": customers.phone[i],
        }
        for i in range(n_cust)
    ]
    run.landing.write_jsonl(
        run.landing.name("stripe", "customers", "jsonl"),
        customer_records,
        key="id",
        fresh_keys=lambda k: formats.random_ids(
            rng, "cus_", run.take_ids("stripe_customer", k), 14
        ),
        corruptions=(Corruption("truncated_json", "id"),),
        duplicates=True,
    )
    run.truth.add("stripe", "customers", cus_ids, people.person_id[customers.person])

    orders = stripe_plan.orders
    m = len(orders)
    customer_of = _customer_of_order(stripe_plan, orders, rng)
    ch_ids = formats.random_ids(rng, "ch_", run.take_ids("stripe_charge", m), 24)
    pi_ids = formats.random_ids(rng, "pi_", run.take_ids("stripe_charge", m), 24)
    txn_ids = formats.random_ids(rng, "txn_", run.take_ids("stripe_txn", m), 24)
    guest_row = np.cumsum(stripe_plan.guest) - 1
    guest_names = _full_names(people, guests)
    failure = rng.integers(0, len(FAILURES), m)
    refund_at = orders.ts + rng.integers(DAY, 30 * DAY, m)
    refunds = ~orders.failed & (rng.random(m) < REFUND_SHARE)
    late = ~orders.failed & ~refunds & (rng.random(m) < MESS.correction_charges)
    refund_at = np.where(late, run.correction_ts + rng.integers(0, 8 * 3600, m), refund_at)
    refunds |= late
    refund_amount = np.where(
        rng.random(m) < 0.7, orders.amount, np.maximum(1, orders.amount * rng.uniform(0.2, 0.8, m))
    ).astype(np.int64)
    refunded_in_primary = refunds & (refund_at <= run.end_ts)
    channel = np.array([c for c, _ in ACQUISITION_CHANNELS], object)[people.channel[orders.person]]
    order_no = run.take_ids("stripe_order", m)

    charges: list[dict[str, Any]] = []
    corrected: list[dict[str, Any]] = []
    for i in range(m):
        p = int(orders.person[i])
        if stripe_plan.guest[i]:
            g = int(guest_row[i])
            email, phone, name, customer = guests.email[g], guests.phone[g], guest_names[g], None
        else:
            c = int(customer_of[i])
            record = customer_records[c]
            email, phone, name, customer = (
                record["email"],
                record["phone"],
                record["name"],
                record["id"],
            )
        failed = bool(orders.failed[i])
        amount = int(orders.amount[i])
        metadata = {"order_id": f"ORD-{order_no[i] + 100_000:08d}"}
        gclid = charge_gclid[i]
        utm = ("google", "cpc", "search-brand-vn") if gclid is not None else UTM.get(channel[i])
        if utm is not None:
            metadata.update(utm_source=utm[0], utm_medium=utm[1], utm_campaign=utm[2])
        if gclid is not None:
            metadata["gclid"] = gclid
        charge = {
            "id": ch_ids[i],
            "object": "charge",
            "amount": amount,
            "amount_captured": 0 if failed else amount,
            "amount_refunded": int(refund_amount[i]) if refunded_in_primary[i] else 0,
            "balance_transaction": None if failed else txn_ids[i],
            "billing_details": {
                "address": {
                    "city": people.city[p],
                    "country": people.country[p],
                    "line1": None,
                    "postal_code": None,
                },
                "email": email,
                "name": name,
                "phone": phone,
            },
            "captured": not failed,
            "created": int(orders.ts[i]),
            "currency": orders.currency[i],
            "customer": customer,
            "description": f"Order {metadata['order_id']}",
            "failure_code": FAILURES[failure[i]][0] if failed else None,
            "failure_message": FAILURES[failure[i]][1] if failed else None,
            "livemode": False,
            "metadata": metadata,
            "outcome": {
                "network_status": "declined_by_network" if failed else "approved_by_network",
                "reason": FAILURES[failure[i]][0] if failed else None,
                "risk_level": "normal",
                "seller_message": "The bank did not return any further details with this decline."
                if failed
                else "Payment complete.",
                "type": "issuer_declined" if failed else "authorized",
            },
            "paid": not failed,
            "payment_intent": pi_ids[i],
            "receipt_email": email,
            "refunded": bool(refunded_in_primary[i] and refund_amount[i] == amount),
            "status": "failed" if failed else "succeeded",
        }
        charges.append(charge)
        if refunds[i] and not refunded_in_primary[i]:
            corrected.append(
                charge
                | {
                    "amount_refunded": int(refund_amount[i]),
                    "refunded": bool(refund_amount[i] == amount),
                }
            )
    run.landing.write_jsonl(
        run.landing.name("stripe", "charges", "jsonl"),
        charges,
        key="id",
        fresh_keys=lambda k: formats.random_ids(rng, "ch_", run.take_ids("stripe_charge", k), 24),
        corruptions=(
            Corruption("truncated_json", "id"),
            Corruption("non_numeric_amount", "amount", BAD_AMOUNTS),
        ),
        duplicates=True,
    )
    run.landing.write_jsonl(
        run.landing.name("stripe", "charges", "jsonl", corrections=True), corrected
    )
    run.truth.add("stripe", "charges", ch_ids, people.person_id[orders.person])

    _refunds(run, rng, people, orders, ch_ids, pi_ids, refunds, refund_at, refund_amount)
    usd = np.where(orders.currency == "usd", orders.amount / 100, orders.amount / 25_000)
    return np.where(orders.failed, 0.0, usd)


def _refunds(
    run: Run,
    rng: np.random.Generator,
    people: People,
    orders: Orders,
    ch_ids: np.ndarray,
    pi_ids: np.ndarray,
    refunds: np.ndarray,
    refund_at: np.ndarray,
    refund_amount: np.ndarray,
) -> None:
    rows = np.flatnonzero(refunds)
    re_ids = formats.random_ids(rng, "re_", run.take_ids("stripe_refund", len(rows)), 24)
    txn = formats.random_ids(rng, "txn_", run.take_ids("stripe_txn", len(rows)), 24)
    reason = formats.choice(
        rng, ("requested_by_customer",) * 8 + ("duplicate", "fraudulent"), len(rows)
    )
    primary: list[dict[str, Any]] = []
    late: list[dict[str, Any]] = []
    for k, i in enumerate(rows):
        record = {
            "id": re_ids[k],
            "object": "refund",
            "amount": int(refund_amount[i]),
            "balance_transaction": txn[k],
            "charge": ch_ids[i],
            "created": int(refund_at[i]),
            "currency": orders.currency[i],
            "metadata": {},
            "payment_intent": pi_ids[i],
            "reason": reason[k],
            "status": "succeeded",
        }
        (primary if refund_at[i] <= run.end_ts else late).append(record)
    run.landing.write_jsonl(
        run.landing.name("stripe", "refunds", "jsonl"),
        primary,
        key="id",
        fresh_keys=lambda k: formats.random_ids(rng, "re_", run.take_ids("stripe_refund", k), 24),
        corruptions=(Corruption("truncated_json", "id"),),
    )
    run.landing.write_jsonl(run.landing.name("stripe", "refunds", "jsonl", corrections=True), late)
    run.truth.add("stripe", "refunds", re_ids, people.person_id[orders.person[rows]])


def _customer_of_order(
    stripe_plan: StripePlan, orders: Orders, rng: np.random.Generator
) -> np.ndarray:
    """Index into the customer list: the first customer, or the second once it exists."""
    n_first = int((~stripe_plan.second).sum())
    first_of = np.full(int(stripe_plan.customer_person.max(initial=-1)) + 1, -1, np.int64)
    first_of[stripe_plan.customer_person[:n_first]] = np.arange(n_first)
    second_of = np.full(len(first_of), -1, np.int64)
    second_of[stripe_plan.customer_person[n_first:]] = np.arange(
        n_first, len(stripe_plan.customer_person)
    )
    chosen = first_of[orders.person]
    alt = second_of[orders.person]
    use_alt = (
        (alt >= 0)
        & (orders.ts >= stripe_plan.customer_created[np.maximum(alt, 0)])
        & (rng.random(len(orders)) < 0.5)
    )
    return np.where(use_alt, alt, chosen)


def _full_names(people: People, soft: SoftRecords) -> list[str | None]:
    """Vietnamese full names are family name first: `Nguyễn Văn An`."""
    vn = people.is_vn[soft.person]
    return [
        None if first is None else (f"{last} {first}" if is_vn else f"{first} {last}")
        for first, last, is_vn in zip(soft.first_name, soft.last_name, vn, strict=True)
    ]
