"""Which code produced a stored fit or prediction.

Bump `MODEL_VERSION` whenever the maths or the RFM summary definitions change.
"""

from __future__ import annotations

MODEL_VERSION = "bgnbd-gg-1"
