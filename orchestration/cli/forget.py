"""`cdp forget --email X | --phone Y | --customer-id Z [--request-id R]`: the right to erasure.

Prints the request id, the outcome and the receipt's path, never the identifier. Exit 0 when the
person is erased or no data was held, 1 when a step failed (run the same request id again to
resume), 2 for an invalid identifier or request id.
"""

from __future__ import annotations

import argparse
import sys

import duckdb

from orchestration import settings
from orchestration.privacy.erasure import (
    FAILED,
    ErasureOutcome,
    ErasureStepError,
    forget,
    new_request_id,
)
from orchestration.privacy.identifiers import InvalidIdentifierError, parse_identifier
from orchestration.privacy.ledger import RequestConflictError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "forget",
        help="erase a person everywhere (warehouse, destinations, serving copy) with a receipt",
    )
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--email", help="an email address of the person")
    who.add_argument("--phone", help="a phone number of the person (national numbers: VN)")
    who.add_argument("--customer-id", help="a customer_id, current or from before a merge")
    parser.add_argument(
        "--request-id",
        help="your reference for the request; the same id again resumes or repeats it (default:"
        " a new id)",
    )
    parser.set_defaults(handler=run)


def _report(outcome: ErasureOutcome) -> None:
    answer = {
        "erased": "erased",
        "no_data_held": "no data held",
        FAILED: "failed",
    }.get(outcome.outcome, outcome.outcome)
    again = " (already complete: nothing done this time)" if outcome.repeated else ""
    print(f"request {outcome.request_id}: {answer}{again}")
    for step, status in outcome.steps.items():
        print(f"  {step:<18}{status or '-'}")
    if outcome.receipt is not None:
        print(f"receipt: {outcome.receipt} (rows still matching: {outcome.rows_matched})")


def run(args: argparse.Namespace) -> int:
    if settings.engine() != "duckdb":
        print("error: erasure supports the duckdb engine only (docs/privacy.md)", file=sys.stderr)
        return 2
    kind, value = next(
        (kind, value)
        for kind, value in (
            ("email", args.email),
            ("phone", args.phone),
            ("customer_id", args.customer_id),
        )
        if value is not None
    )
    try:
        identifier = parse_identifier(kind, value)
    except InvalidIdentifierError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    from orchestration.privacy.deployment import deployment_settings

    request_id = args.request_id or new_request_id()
    try:
        outcome = forget(deployment_settings(), identifier, request_id)
    except (RequestConflictError, ValueError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except ErasureStepError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except duckdb.IOException as error:
        print(
            f"error: the warehouse cannot be opened (is a run writing it?): {error}",
            file=sys.stderr,
        )
        return 1
    _report(outcome)
    return 1 if outcome.outcome == FAILED else 0
