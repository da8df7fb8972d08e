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


def daily_purchases(transactions: pd.DataFrame) -> pd.DataFrame:
    """Collapse transactions to one row per (customer, calendar day) with the day's total amount."""
    check_columns(transactions)
    if transactions["customer_id"].isna().any():
        raise ValueError("transactions have rows without a customer_id")
    amounts = pd.to_numeric(transactions["amount"], errors="raise").fillna(0.0)
    frame = pd.DataFrame(
        {
            "customer_id": transactions["customer_id"].to_numpy(),
            "day": _as_day_numbers(transactions["date"]),
            "amount": amounts.to_numpy(dtype=np.float64),
        }
    )
    return frame.groupby(["customer_id", "day"], as_index=False, sort=True)["amount"].sum()


def summarize(
    transactions: pd.DataFrame,
    calibration_end: date | datetime | str,
    observation_end: date | datetime | str | None = None,
    time_unit_days: float = DAYS_PER_WEEK,
) -> Summary:
    """Summarise `customer_id,date,amount` rows; days after `observation_end` are ignored.

    The calibration end day is included in calibration; the holdout period runs from the day
    after it through `observation_end` (default: no holdout).
    """
    cal_day = _day_number(calibration_end)
    obs_day = cal_day if observation_end is None else _day_number(observation_end)
    if obs_day < cal_day:
        raise ValueError(f"observation end {observation_end} is before calibration end")
    daily = daily_purchases(transactions)
    daily = daily[daily["day"] <= obs_day]
    calibration = daily[daily["day"] <= cal_day]
    if calibration.empty:
        raise DegenerateDataError(
            f"no purchase on or before the calibration end {pd.Timestamp(calibration_end).date()}"
        )

    grouped = calibration.groupby("customer_id", sort=True)
    first_day = grouped["day"].min()
    last_day = grouped["day"].max()
    days_bought = grouped["day"].count()
    total = grouped["amount"].sum()
    first_amount = grouped["amount"].first()

    frequency = (days_bought - 1).astype(np.int64)
    repeat_total = total - first_amount
    monetary = np.where(frequency > 0, repeat_total / frequency.clip(lower=1), 0.0)
    customers = pd.DataFrame(
        {
            "customer_id": first_day.index,
            "frequency": frequency.to_numpy(),
            "recency": ((last_day - first_day) / time_unit_days).to_numpy(dtype=np.float64),
            "T": ((cal_day - first_day) / time_unit_days).to_numpy(dtype=np.float64),
            "monetary_value": np.asarray(monetary, dtype=np.float64),
        }
    )
    if observation_end is not None:
        holdout = daily[daily["day"] > cal_day].groupby("customer_id")["day"].count()
        customers["frequency_holdout"] = holdout.reindex(
            customers["customer_id"], fill_value=0
        ).to_numpy(dtype=np.int64)
    end = calibration_end if observation_end is None else observation_end
    return Summary(
        customers=customers,
        calibration_end=pd.Timestamp(calibration_end).date(),
        observation_end=pd.Timestamp(end).date(),
        time_unit_days=time_unit_days,
    )
