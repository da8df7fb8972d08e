"""The guardrail limits of this deployment (orchestration/guardrails.yaml), apart from the graph.

Both senders read them: the Dagster assets and checks as a resource, and `cdp sync`, which must not
pay for importing the asset definitions (dbt manifest, dagster-dbt: seconds) to read four numbers.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import yaml

GUARDRAILS_FILE = Path(__file__).resolve().parent / "guardrails.yaml"


class GuardrailLimits(dg.ConfigurableResource):
    """Limits past which identity or audiences changed too suddenly to sync without a human look."""

    max_customer_source_records: int
    max_merges_per_run: int
    max_audience_change_share: float
    min_audience_size_for_change_check: int

    @classmethod
    def from_file(cls, path: Path = GUARDRAILS_FILE) -> GuardrailLimits:
        return cls(**yaml.safe_load(path.read_text()))
