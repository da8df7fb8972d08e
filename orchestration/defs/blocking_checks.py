"""Hold back what publishes or sends data while a blocking check of what it reads has failed.

Dagster skips an asset after a failed blocking check only within the run where the check failed.
A later run would still publish or sync the data the check rejected: the eager automation after
a marts update that a run outside the full chain made, a materialization started from the UI, a
retry. So the serving copy and the syncs gate twice: their automation condition waits until every
blocking check of their dependencies passed, and the asset itself looks up each such check's
latest evaluation before it writes anything, which covers runs no automation condition governs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import dagster as dg
from dagster import AssetExecutionContext

BLOCKING_CHECKS_RESOURCE = "blocking_checks"
FAILED_CHECKS_METADATA = "failed_blocking_checks"


def eager_after_passed_checks() -> dg.AutomationCondition:
    """`eager`, and only once every blocking check of every dependency has passed (or runs in
    the same request, whose failure then makes Dagster skip this asset)."""
    return (
        dg.AutomationCondition.eager() & dg.AutomationCondition.all_deps_blocking_checks_passed()
    ).with_label("eager_after_blocking_checks_passed")


@dataclass(frozen=True)
class BlockingChecks:
    """The blocking checks on each asset's dependencies, taken from the whole graph when the
    definitions are assembled: the graph a run carries holds only the checks that run executes
    (a serving copy started alone knows none), and a run in process has no repository to ask."""

    upstream: Mapping[dg.AssetKey, tuple[dg.AssetCheckKey, ...]]

    @classmethod
    def of(cls, defs: dg.Definitions) -> BlockingChecks:
        """Read from the definitions' assets and checks as declared (resolving the graph would
        require this very resource)."""
        declared = [
            definition
            for definition in [*(defs.assets or ()), *(defs.asset_checks or ())]
            if isinstance(definition, dg.AssetsDefinition)
        ]
        on_asset: dict[dg.AssetKey, list[dg.AssetCheckKey]] = defaultdict(list)
        for definition in declared:
            for check in definition.check_specs:
                if check.blocking:
                    on_asset[check.asset_key].append(check.key)
        upstream = {
            spec.key: tuple(
                sorted(check for dep in spec.deps for check in on_asset.get(dep.asset_key, ()))
            )
            for definition in declared
            for spec in definition.specs
        }
        return cls({key: checks for key, checks in upstream.items() if checks})

    def failed(self, instance: dg.DagsterInstance, key: dg.AssetKey) -> Sequence[str]:
        """`<asset>:<check>[: <why>]` of each blocking check on a dependency of `key` whose
        latest verdict is a failure: a tripped guardrail, a dbt test of severity error
        (dagster-dbt makes only those blocking). Any failure counts, as for the automation
        condition's `check_passed`; a check that never ran is the automation's to wait for."""
        failed = []
        for check in self.upstream.get(key, ()):
            verdict = _latest_failure(instance, check)
            if verdict is not None:
                name = f"{check.asset_key.to_user_string()}:{check.name}"
                failed.append(f"{name}: {verdict}" if verdict else name)
        return sorted(failed)


def _latest_failure(instance: dg.DagsterInstance, check: dg.AssetCheckKey) -> str | None:
    """Why the newest execution of `check` that speaks for its asset's current data failed
    (empty if it gave no reason), or None if it passed or there is none.

    An execution without an evaluation was planned in a run and never reported. If that run
    failed and wrote the asset's latest materialization, the check crashed after the rebuild:
    nothing vouches for the rebuilt data, so it counts as failed. Otherwise (the run never got
    to the check, or skipped it) the asset is still what an older execution saw, so the search
    goes on back in time."""
    storage = instance.event_log_storage
    cursor = None
    while records := storage.get_asset_check_execution_history(check, limit=20, cursor=cursor):
        for record in records:
            evaluation = record.evaluation
            if isinstance(evaluation, dg.AssetCheckEvaluation):
                return None if evaluation.passed else (evaluation.description or "")
            if _crashed_after_rebuild(instance, check.asset_key, record.run_id):
                return f"did not finish in run {record.run_id}, which rebuilt its asset"
        cursor = records[-1].id
    return None


def _crashed_after_rebuild(instance: dg.DagsterInstance, asset: dg.AssetKey, run_id: str) -> bool:
    run = instance.get_run_by_id(run_id)
    if run is None or run.status != dg.DagsterRunStatus.FAILURE:
        return False
    materialization = instance.get_latest_materialization_event(asset)
    return materialization is not None and materialization.run_id == run_id


def hold_back_after_failed_checks(
    context: AssetExecutionContext, checks: BlockingChecks, held_back: str
) -> None:
    """Fails the step before it changes anything, naming each failed check after `held_back`
    (what did not happen): what the last good run published or sent stays as it was until the
    checks pass again, and the failed run shows operators why."""
    failed = checks.failed(context.instance, context.asset_key)
    if failed:
        raise dg.Failure(
            description=f"{held_back}, blocking checks failed: " + "; ".join(failed),
            metadata={FAILED_CHECKS_METADATA: dg.MetadataValue.json(list(failed))},
        )
