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

import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import dagster as dg
from dagster import AssetExecutionContext

from orchestration import settings
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
from orchestration.defs.resources import CdpPaths, GuardrailLimits
from orchestration.guardrails import segment_size
from orchestration.instance import WAREHOUSE_POOL
from orchestration.retries import retry_transient
from orchestration.sync_guardrails import pre_send_verdicts, sync_key, synced_metadata, tripped

ACTIVATION_GROUP = "activation"
MEMBERSHIPS_KEY = dg.AssetKey(["marts", "segment_memberships"])
TRAITS_KEY = dg.AssetKey(["marts", "customer_traits"])


def activation_config_dir() -> Path:
    return Path(
        os.environ.get("CDP_ACTIVATION_CONFIG", settings.project_root() / "activation" / "config")
    )


class ActivationResource(dg.ConfigurableResource):
    """Sync declarations and secrets, read when a sync runs.

    Relative `output_dir`s in destinations.yml are resolved against the project, with `data/...`
    under the data folder (CDP_DATA_DIR), so file drops follow the warehouse wherever it lives.
    """

    def load(self) -> Any:
        from activation.config import load_config

        config = load_config(activation_config_dir())
        for destination in config.destinations.values():
            output_dir = destination.get("output_dir")
            if output_dir and not Path(output_dir).is_absolute():
                destination["output_dir"] = str(_resolve_data_path(Path(output_dir)))
        return config

    def secrets(self) -> Any:
        from activation.secrets import SecretResolver

        return SecretResolver(os.environ, settings.project_root() / ".dlt" / "secrets.toml")

    @staticmethod
    def missing_secret(destination: Mapping[str, Any], secrets: Any) -> str | None:
        """Why the destination cannot be used yet (its `secret:` is not set), or None."""
        from activation.secrets import MissingSecretError

        name = destination.get("secret")
        if not name:
            return None
        try:
            secrets.get(name)
        except MissingSecretError as missing:
            return str(missing)
        return None


def _resolve_data_path(path: Path) -> Path:
    if path.parts and path.parts[0] == "data":
        return settings.data_dir().joinpath(*path.parts[1:])
    return settings.project_root() / path


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
        missing = activation.missing_secret(config.destination(sync.destination), secrets)
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
    from activation.config import load_config

    config = load_config(activation_config_dir())
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
