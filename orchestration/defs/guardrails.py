"""Guardrails as blocking asset checks on the marts every sync reads.

A blocking check only holds back the assets that depend on its asset directly, so every activation
asset depends directly on `marts/customers`, `marts/customer_id_changes` and its segment (see
`defs/activation.py`). Activation also re-evaluates the same guardrails before it sends anything,
which covers syncs started outside a full-chain run (the checks then ran in an earlier run).
"""

from collections.abc import Sequence
from dataclasses import dataclass

import dagster as dg
from dagster import AssetCheckExecutionContext

from orchestration.defs.resources import CdpPaths
from orchestration.guardrail_limits import GuardrailLimits
from orchestration.guardrails import GuardrailOutcome, largest_customer, merges_in_latest_build
from orchestration.instance import WAREHOUSE_POOL
from orchestration.sync_guardrails import audience_outcome

CUSTOMERS_KEY = dg.AssetKey(["marts", "customers"])
ID_CHANGES_KEY = dg.AssetKey(["marts", "customer_id_changes"])
IDENTITY_GUARDED_KEYS = (CUSTOMERS_KEY, ID_CHANGES_KEY)


def check_result(outcome: GuardrailOutcome) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=outcome.passed,
        severity=dg.AssetCheckSeverity.ERROR,
        description=outcome.detail,
        metadata={"observed": outcome.observed, "limit": outcome.limit},
    )


@dataclass(frozen=True)
class AudienceGuard:
    """One sync's audience: the segment asset it reads and how to measure its change."""

    sync: str
    segment: str
    segment_key: dg.AssetKey

    @property
    def check_name(self) -> str:
        return f"audience_size_stable_{self.sync}"


@dg.asset_check(
    asset=CUSTOMERS_KEY,
    name="largest_customer_within_limit",
    blocking=True,
    pool=WAREHOUSE_POOL,
    description="Holds back every sync when one customer is stitched from more source records "
    "than `max_customer_source_records` (orchestration/guardrails.yaml): likely a false merge.",
)
def largest_customer_within_limit(
    paths: CdpPaths, guardrails: GuardrailLimits
) -> dg.AssetCheckResult:
    with paths.connect() as con:
        return check_result(largest_customer(con, guardrails.max_customer_source_records))


@dg.asset_check(
    asset=ID_CHANGES_KEY,
    name="merges_within_limit",
    blocking=True,
    pool=WAREHOUSE_POOL,
    description="Holds back every sync when the latest build merged more customers than "
    "`max_merges_per_run` (orchestration/guardrails.yaml).",
)
def merges_within_limit(paths: CdpPaths, guardrails: GuardrailLimits) -> dg.AssetCheckResult:
    with paths.connect() as con:
        return check_result(merges_in_latest_build(con, guardrails.max_merges_per_run))


def build_guardrail_defs(audiences: Sequence[AudienceGuard]) -> dg.Definitions:
    return dg.Definitions(
        asset_checks=[
            largest_customer_within_limit,
            merges_within_limit,
            *(_audience_check(guard) for guard in audiences),
        ]
    )


def _audience_check(guard: AudienceGuard) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=guard.segment_key,
        name=guard.check_name,
        blocking=True,
        pool=WAREHOUSE_POOL,
        description=f"Holds back sync `{guard.sync}` when segment `{guard.segment}` grew or "
        "shrank by more than `max_audience_change_share` since its last acknowledged sync.",
    )
    def audience_size_stable(
        context: AssetCheckExecutionContext, paths: CdpPaths, guardrails: GuardrailLimits
    ) -> dg.AssetCheckResult:
        with paths.connect() as con:
            return check_result(
                audience_outcome(con, context.instance, guard.sync, guard.segment, guardrails)
            )

    return audience_size_stable
