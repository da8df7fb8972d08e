"""`cdp clv fit`: fit BG/NBD + Gamma-Gamma on any transaction file and print the fit as JSON.

Analysts use it to inspect a fit outside the pipeline (another export, another calibration date)
with exactly the code the warehouse models use.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    clv = subparsers.add_parser("clv", help="customer lifetime value models")
    commands = clv.add_subparsers(dest="clv_command", required=True)
    fit = commands.add_parser(
        "fit",
        help="fit BG/NBD and Gamma-Gamma on a transaction CSV and print the parameters as JSON",
    )
    fit.add_argument(
        "--transactions",
        type=Path,
        required=True,
        help="CSV with columns customer_id,date,amount (one row per purchase)",
    )
    fit.add_argument(
        "--calibration-end",
        type=date.fromisoformat,
        help="last day of the calibration period (YYYY-MM-DD); later purchases form the holdout",
    )
    fit.add_argument("--currency", default="USD", help="currency of the amounts (a label)")
    fit.add_argument(
        "--min-repeat-buyers",
        type=int,
        help="refuse to fit with fewer customers who bought again "
        "(default: predictive.fitting's minimum)",
    )
    fit.set_defaults(handler=run_fit)


def run_fit(args: argparse.Namespace) -> int:
    """pandas and the fitting library (scipy) load here, not with the parser: every `cdp`
    command builds the parser, and they cost about a second."""
    import pandas as pd

    from predictive.errors import DegenerateDataError, FitError
    from predictive.fitting import DEFAULT_MIN_REPEAT_BUYERS, fit_transactions

    path: Path = args.transactions
    try:
        transactions = pd.read_csv(path, dtype={"customer_id": str})
        model = fit_transactions(
            transactions,
            currency=args.currency,
            calibration_end=args.calibration_end,
            min_repeat_buyers=DEFAULT_MIN_REPEAT_BUYERS
            if args.min_repeat_buyers is None
            else args.min_repeat_buyers,
        )
    except FileNotFoundError:
        print(f"error: {path}: no such file", file=sys.stderr)
        return 2
    except (DegenerateDataError, FitError, ValueError) as error:
        print(f"error: {path}: {error}", file=sys.stderr)
        return 2
    print(json.dumps(model.as_record(), indent=2))
    return 0
