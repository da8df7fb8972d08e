"""Purchases with BG/NBD-like behaviour, so RFM, segments and CLV models have signal to find.

Each buyer has a purchase rate (gamma across buyers) and a chance to drop out after every purchase
(beta across buyers); lapsed people stop at their `active_until`. Failed payment attempts are extra
rows just before a successful order, as when a card is declined and the customer retries.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ingestion.generate.people import DAY, People

YEAR = 365 * DAY
BUYER_SHARE = 0.40
VN_STRIPE_SHARE = 0.15
STRIPE_FAILED_SHARE = 0.04
VNPAY_FAILED_SHARE = 0.08
MAX_ORDERS = 60


@dataclass
class Orders:
    """Successful orders and failed attempts of one chunk, sorted by person then time."""

    person: np.ndarray
    ts: np.ndarray
    stripe: np.ndarray  # paid through Stripe (else VNPay)
    currency: np.ndarray  # "usd" / "vnd"
    amount: np.ndarray  # Stripe minor units = VND for vnd, cents for usd
    failed: np.ndarray

    def __len__(self) -> int:
        return len(self.person)

    def take(self, mask: np.ndarray) -> Orders:
        return Orders(*(getattr(self, f)[mask] for f in self.__dataclass_fields__))


def make_orders(people: People, end_ts: int, rng: np.random.Generator) -> Orders:
    n = len(people)
    buyer = rng.random(n) < BUYER_SHARE
    rate = rng.gamma(1.2, 5.0, n) / YEAR  # purchases per second while alive
    dropout = rng.beta(1.0, 4.0, n)
    spend = rng.lognormal(0.0, 0.5, n)
    stop = np.minimum(people.active_until, end_ts)
    low = np.maximum(people.first_seen, end_ts - YEAR)
    high = np.maximum(low + DAY, stop)
    t = low + (rng.beta(1.0, 2.0, n) * (high - low)).astype(np.int64)  # most start early
    t = np.minimum(t, end_ts - 3600)

    persons, times = [np.flatnonzero(buyer)], [t[buyer]]
    alive = buyer.copy()
    for _ in range(MAX_ORDERS - 1):
        alive &= rng.random(n) >= dropout
        t = t + rng.exponential(1.0 / np.maximum(rate, 1e-12)).astype(np.int64)
        alive &= t <= stop
        if not alive.any():
            break
        persons.append(np.flatnonzero(alive))
        times.append(t[alive])
    person = np.concatenate(persons)
    ts = np.concatenate(times)
    m = len(person)

    vn = people.is_vn[person]
    stripe = ~vn | (rng.random(m) < VN_STRIPE_SHARE)
    currency = np.where(vn, "vnd", "usd").astype(object)
    basket = spend[person] * rng.lognormal(0.0, 0.5, m)
    vnd = np.maximum(20_000, np.round(450_000 * basket / 1000) * 1000)
    cents = np.maximum(500, np.round(6500 * basket))
    amount = np.where(vn, vnd, cents).astype(np.int64)

    fail_share = np.where(stripe, STRIPE_FAILED_SHARE, VNPAY_FAILED_SHARE)
    attempt = rng.random(m) < fail_share
    retry_gap = rng.integers(120, 1800, m)
    all_person = np.concatenate([person, person[attempt]])
    all_ts = np.concatenate([ts, ts[attempt] - retry_gap[attempt]])
    order = np.lexsort((all_ts, all_person))
    failed = np.concatenate([np.zeros(m, bool), np.ones(int(attempt.sum()), bool)])
    return Orders(
        person=all_person[order],
        ts=all_ts[order],
        stripe=np.concatenate([stripe, stripe[attempt]])[order],
        currency=np.concatenate([currency, currency[attempt]])[order],
        amount=np.concatenate([amount, amount[attempt]])[order],
        failed=failed[order],
    )
