"""Entry point for `dagster dev -m orchestration.definitions`; everything lives in `defs/`.

Nothing is read at import: the dbt manifest is prepared and the configuration read when Dagster
loads the definitions.
"""

import dagster as dg

from orchestration.defs import build_definitions


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions()
