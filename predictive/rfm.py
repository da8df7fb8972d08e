"""Per-customer frequency, recency, age and average repeat spend, as the BTYD papers define them.

Fader, Hardie & Lee (2005) count *repeat* transactions only: the first purchase starts the clock
and is not part of `frequency` or of the Gamma-Gamma average spend, and purchases on the same day
count as one transaction (their amounts added). Times are in a chosen unit (weeks in the papers)
from the customer's first purchase: `recency` to the last one, `T` to the end of calibration.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pandas as pd

from predictive.errors import DegenerateDataError

DAYS_PER_WEEK = 7.0
REQUIRED_COLUMNS = ("customer_id", "date", "amount")


@dataclass(frozen=True)
class Summary:
    """One row per customer who bought on or before the calibration end.

    `customers` has columns customer_id, frequency, recency, T, monetary_value and, when a holdout
    period was asked for, frequency_holdout (repeat purchase days inside it).
    """

    customers: pd.DataFrame
    calibration_end: date
    observation_end: date
    time_unit_days: float

    @property
    def holdout_duration(self) -> float:
        return (self.observation_end - self.calibration_end).days / self.time_unit_days


def _as_day_numbers(values: pd.Series) -> np.ndarray:
    """Calendar day of each timestamp as an integer (days since 1970-01-01), time zone dropped."""
    stamps = pd.to_datetime(values, utc=True, errors="raise")
    return stamps.dt.tz_localize(None).to_numpy(dtype="datetime64[D]").astype(np.int64)


def _day_number(day: date | datetime | str) -> int:
    return int(np.datetime64(pd.Timestamp(day).date(), "D").astype(np.int64))


def check_columns(transactions: pd.DataFrame) -> None:
    missing = [c for c in REQUIRED_COLUMNS if c not in transactions.columns]
    if missing:
        raise ValueError(f"transactions lack column(s) {missing}; need {list(REQUIRED_COLUMNS)}")


@dataclass(frozen=True)
class DailyPurchases:
    """One entry per (customer, calendar day), sorted by customer code then day.

    Customers are integer codes into `customer_ids` (order of first appearance): sorting and
    reducing integers is what keeps a summary of millions of orders to about a second.
    """

    customer_ids: np.ndarray
    code: np.ndarray
    day: np.ndarray
    amount: np.ndarray


def daily_purchases(transactions: pd.DataFrame) -> DailyPurchases:
    """Collapse transactions to one entry per (customer, calendar day) with the day's total."""
    check_columns(transactions)
    if transactions["customer_id"].isna().any():
        raise ValueError("transactions have rows without a customer_id")
    amounts = pd.to_numeric(transactions["amount"], errors="raise").fillna(0.0)
    codes, customer_ids = pd.factorize(transactions["customer_id"], sort=False)
    days = _as_day_numbers(transactions["date"])
    if len(days) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return DailyPurchases(np.asarray(customer_ids), empty, empty, np.zeros(0))
    first_day = int(days.min())
    span = int(days.max()) - first_day + 1
    keys, position = np.unique(
        codes.astype(np.int64) * span + (days - first_day), return_inverse=True
    )
    totals = np.bincount(position.ravel(), weights=amounts.to_numpy(dtype=np.float64))
    return DailyPurchases(
        customer_ids=np.asarray(customer_ids),
        code=keys // span,
        day=keys % span + first_day,
        amount=totals,
    )


def summarize(
    transactions: pd.DataFrame,
    calibration_end: date | datetime | str,
    observation_end: date | datetime | str | None = None,
    time_unit_days: float = DAYS_PER_WEEK,
) -> Summary:
    """Summarise `customer_id,date,amount` rows; days after `observation_end` are ignored.

    The calibration end day is included in calibration; the holdout period runs from the day
    after it through `observation_end` (default: no holdout). Rows come in order of each
    customer's first appearance in `transactions`.
    """
    cal_day = _day_number(calibration_end)
    obs_day = cal_day if observation_end is None else _day_number(observation_end)
    if obs_day < cal_day:
        raise ValueError(f"observation end {observation_end} is before calibration end")
    daily = daily_purchases(transactions)
    in_calibration = daily.day <= cal_day
    code, day, amount = (
        daily.code[in_calibration],
        daily.day[in_calibration],
        daily.amount[in_calibration],
    )
    if len(code) == 0:
        raise DegenerateDataError(
            f"no purchase on or before the calibration end {pd.Timestamp(calibration_end).date()}"
        )

    # entries are sorted by (customer, day): each customer is one contiguous run
    starts = np.flatnonzero(np.r_[True, code[1:] != code[:-1]])
    ends = np.r_[starts[1:], len(code)] - 1
    first_day, last_day = day[starts], day[ends]
    frequency = (ends - starts).astype(np.int64)
    repeat_total = np.add.reduceat(amount, starts) - amount[starts]
    monetary = np.divide(repeat_total, frequency, out=np.zeros(len(starts)), where=frequency > 0)
    customer_code = code[starts]
    customers = pd.DataFrame(
        {
            "customer_id": daily.customer_ids[customer_code],
            "frequency": frequency,
            "recency": (last_day - first_day) / time_unit_days,
            "T": (cal_day - first_day) / time_unit_days,
            "monetary_value": monetary,
        }
    )
    if observation_end is not None:
        in_holdout = (daily.day > cal_day) & (daily.day <= obs_day)
        holdout = np.bincount(daily.code[in_holdout], minlength=len(daily.customer_ids))
        customers["frequency_holdout"] = holdout[customer_code].astype(np.int64)
    end = calibration_end if observation_end is None else observation_end
    return Summary(
        customers=customers,
        calibration_end=pd.Timestamp(calibration_end).date(),
        observation_end=pd.Timestamp(end).date(),
        time_unit_days=time_unit_days,
    )
