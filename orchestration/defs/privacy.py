"""The erasure job: carry out a file of erasure requests (docs/privacy.md).

An op job, not an asset: an erasure is an action taken on request, not a dataset kept fresh.
It runs in the warehouse pool, since it deletes from the warehouse and rebuilds the models, so it
never overlaps a load, a dbt build or a sync. Launch it from the UI (Jobs > privacy_erasure) with
`ops: {erase_requests: {config: {requests_file: /path/requests.csv}}}`.
"""

from pathlib import Path

import dagster as dg

from orchestration.instance import WAREHOUSE_POOL

ERASURE_JOB = "privacy_erasure"


class ErasureRequestsConfig(dg.Config):
    requests_file: str
    """A CSV (`type,value[,request_id]`) or JSONL file, one identifier per line."""


@dg.op(pool=WAREHOUSE_POOL)
def erase_requests(context: dg.OpExecutionContext, config: ErasureRequestsConfig) -> None:
    """Every request of the file in turn; a failed one is reported and the rest still run, then
    the op fails so the run shows red. Logs carry request ids and outcomes, never identifiers."""
    from orchestration.privacy.deployment import deployment_settings
    from orchestration.privacy.erasure import FAILED, ErasureStepError, forget
    from orchestration.privacy.requests_file import read_requests

    requests = read_requests(Path(config.requests_file))
    settings = deployment_settings()
    outcomes: dict[str, str] = {}
    for request in requests:
        try:
            outcome = forget(settings, request.identifier, request.request_id)
        except ErasureStepError as error:
            context.log.error(str(error))
            outcomes[request.request_id] = FAILED
            continue
        outcomes[request.request_id] = outcome.outcome
        context.log.info(
            f"{request.request_id}: {outcome.outcome}"
            + (" (already complete)" if outcome.repeated else "")
        )
    context.add_output_metadata({"requests": len(requests), "outcomes": outcomes})
    failed = sorted(rid for rid, outcome in outcomes.items() if outcome == FAILED)
    if failed:
        raise dg.Failure(
            f"{len(failed)} erasure request(s) failed: {', '.join(failed)}; run the job again"
            " with the same file to resume them"
        )


@dg.job(name=ERASURE_JOB, description="Erase the people listed in a file of requests.")
def privacy_erasure() -> None:
    erase_requests()


def build_privacy_defs() -> dg.Definitions:
    return dg.Definitions(jobs=[privacy_erasure])
