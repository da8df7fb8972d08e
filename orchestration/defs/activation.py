"""One asset per declared sync (activation/config/syncs.yml), calling the activation library.

Each sync asset depends directly on the marts its guardrails watch (customers, id changes) and on
its segment's model, so a failed blocking guardrail check on any of them holds the sync back in
the same run. A sync can also start outside that run (eager automation after a marts update, the
UI), when the checks ran in an earlier one: it then waits until the recorded blocking checks of
what it reads passed (dbt tests included, `defs/blocking_checks.py`), and it re-evaluates the
guardrails on the warehouse as it is before sending anything. A sync whose destination's `secret:`
is not set yet is skipped (not materialized) with the reason in the log, so a fresh checkout's
`make run` syncs what it can (the file drops); a configured destination that fails, fails the run.
"""

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import dagster as dg
from dagster import AssetExecutionContext

from activation.config import ActivationConfig, load_config
from activation.secrets import SecretResolver
from orchestration import settings
from orchestration.activation_config import (
    activation_secrets,
    load_activation_config,
    missing_secret,
)
from orchestration.defs.blocking_checks import (
    BlockingChecks,
    eager_after_passed_checks,
    hold_back_after_failed_checks,
)
from orchestration.defs.guardrails import (
    CUSTOMERS_KEY,
    ID_CHANGES_KEY,
    AudienceGuard,
)
from orchestration.defs.resources import CdpPaths
from orchestration.guardrail_limits import GuardrailLimits
from orchestration.guardrails import segment_size
from orchestration.instance import WAREHOUSE_POOL
from orchestration.retries import retry_transient
from orchestration.sync_guardrails import pre_send_verdicts, sync_key, synced_metadata, tripped

ACTIVATION_GROUP = "activation"
MEMBERSHIPS_KEY = dg.AssetKey(["marts", "segment_memberships"])
TRAITS_KEY = dg.AssetKey(["marts", "customer_traits"])


class ActivationResource(dg.ConfigurableResource):
    """Sync declarations and secrets, read when a sync runs (`orchestration/activation_config.py`,
    shared with `cdp sync`)."""

    def load(self) -> ActivationConfig:
        return load_activation_config()

    def secrets(self) -> SecretResolver:
        return activation_secrets()


def _sync_asset(sync: Any, destination_type: str, guard: AudienceGuard) -> dg.AssetsDefinition:
    @dg.asset(
        key=sync_key(sync.name),
        deps=[guard.segment_key, MEMBERSHIPS_KEY, TRAITS_KEY, CUSTOMERS_KEY, ID_CHANGES_KEY],
        group_name=ACTIVATION_GROUP,
        kinds={destination_type},
        pool=WAREHOUSE_POOL,
        output_required=False,
        automation_condition=eager_after_passed_checks(),
        description=f"Syncs segment `{sync.segment}` to `{sync.destination}` "
        f"({destination_type}, mode {sync.mode}, member key `{sync.member_key}`).",
    )
    def sync_audience(
        context: AssetExecutionContext,
        paths: CdpPaths,
        activation: ActivationResource,
        guardrails: GuardrailLimits,
        blocking_checks: dg.ResourceParam[BlockingChecks],
    ) -> Iterator[dg.MaterializeResult]:
        from activation.destinations import build_destination
        from activation.engine import run_sync

        config, secrets = activation.load(), activation.secrets()
        missing = missing_secret(config.destination(sync.destination), secrets)
        if missing is not None:
            context.log.warning(f"sync {sync.name} skipped, destination not configured: {missing}")
            return
        hold_back_after_failed_checks(context, blocking_checks, f"sync {sync.name} not sent")
        with paths.connect() as con:
            members = segment_size(con, sync.segment)
            held = tripped(
                pre_send_verdicts(con, context.instance, sync.name, sync.segment, guardrails)
            )
        if held:
            raise dg.Failure(
                description=f"guardrails hold back sync {sync.name}: " + "; ".join(held)
            )
        destination = build_destination(config.destination(sync.destination), secrets)
        with retry_transient(context):
            result = run_sync(
                paths.warehouse(), config, sync.name, secrets, destination=destination
            )
        yield dg.MaterializeResult(metadata=synced_metadata(result, members))

    return sync_audience


def build_activation_defs(
    segment_keys: Mapping[str, dg.AssetKey],
) -> tuple[dg.Definitions, Sequence[AudienceGuard]]:
    """Sync assets for every declared sync; `segment_keys` maps a segment name to its dbt asset."""
    config = load_config(settings.activation_config_dir())
    assets, guards = [], []
    for sync in config.syncs:
        if sync.segment not in segment_keys:
            raise ValueError(
                f"sync {sync.name!r} reads segment {sync.segment!r}, which no dbt model defines "
                f"(segments: {', '.join(sorted(segment_keys))})"
            )
        guard = AudienceGuard(sync.name, sync.segment, segment_keys[sync.segment])
        destination_type = str(config.destination(sync.destination).get("type"))
        assets.append(_sync_asset(sync, destination_type, guard))
        guards.append(guard)
    return (
        dg.Definitions(assets=assets, resources={"activation": ActivationResource()}),
        guards,
    )
