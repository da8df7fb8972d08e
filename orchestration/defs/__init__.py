"""The whole asset graph, assembled from one module per concern.

`build_definitions()` is the one place that knows how the parts join; both `dagster dev` (through
`orchestration/definitions.py`) and `cdp run` (in-process) execute what it returns.
"""

from __future__ import annotations

from collections.abc import Mapping

import dagster as dg
from dagster_dbt import DbtProject

from orchestration.defs.activation import build_activation_defs
from orchestration.defs.automation import build_automation_defs
from orchestration.defs.blocking_checks import BLOCKING_CHECKS_RESOURCE, BlockingChecks
from orchestration.defs.guardrails import build_guardrail_defs
from orchestration.defs.ingest import build_ingest_defs
from orchestration.defs.privacy import build_privacy_defs
from orchestration.defs.resources import CdpPaths
from orchestration.defs.serving import DBT_DOCS_KEY, SERVING_KEY, build_serving_defs
from orchestration.defs.transform import (
    SEGMENT_TAG,
    build_transform_defs,
    cdp_dbt_project,
    prepare_manifest,
)
from orchestration.guardrail_limits import GuardrailLimits


def build_definitions(
    project: DbtProject | None = None, resources: Mapping[str, object] | None = None
) -> dg.Definitions:
    """`resources` replaces defaults by key (tests tighten guardrail limits this way)."""
    project = project or cdp_dbt_project()
    prepare_manifest(project)
    transform = build_transform_defs(project)
    dbt_specs = [spec for assets in transform.assets or [] for spec in assets.specs]
    models = [spec.key for spec in dbt_specs]
    segments = {spec.key.path[-1]: spec.key for spec in dbt_specs if SEGMENT_TAG in spec.tags}
    activation, audiences = build_activation_defs(segments)
    syncs = [key for assets in activation.assets or [] for key in assets.keys]
    graph = dg.Definitions.merge(
        build_ingest_defs(),
        transform,
        activation,
        build_guardrail_defs(audiences),
        build_serving_defs(models, project.manifest_path),
        build_automation_defs([*syncs, SERVING_KEY, DBT_DOCS_KEY]),
        build_privacy_defs(),
    )
    return dg.Definitions.merge(
        graph,
        dg.Definitions(
            resources={
                "paths": CdpPaths(),
                "guardrails": GuardrailLimits.from_file(),
                BLOCKING_CHECKS_RESOURCE: BlockingChecks.of(graph),
                **(resources or {}),
            },
        ),
    )
