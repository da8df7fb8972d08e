"""Which Arrow types hold text: `string`, and `large_string` (64-bit offsets), which Arrow
gives a column whose text passes 2 GB and which casts and concatenations may produce. Every
check of a column for text goes through here, so no place forgets the second."""

from __future__ import annotations

import pyarrow as pa


def is_text(data_type: pa.DataType) -> bool:
    return pa.types.is_string(data_type) or pa.types.is_large_string(data_type)
