"""Entry point for `dagster dev -m orchestration.definitions`; everything lives in `defs/`.

Nothing is read at import: the dbt manifest is prepared and the configuration read when Dagster
loads the definitions.
"""

import dagster as dg

from orchestration.defs import build_definitions
from orchestration.instance import write_run_history_without_fsync


@dg.definitions
def defs() -> dg.Definitions:
    write_run_history_without_fsync()
    return build_definitions()
