"""The dbt macro `normalize_phone` (what the warehouse stores) and `activation.normalize.phone_e164`
(what an erasure request, a suppression or a send is normalized to) give one E.164 for every
spelling of a number; where they differ, an erasure typed one way misses the person stored the
other way."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from activation.normalize import phone_e164
from orchestration.dbt_runner import run_dbt

pytestmark = pytest.mark.slow

SPELLINGS = [
    "+84 0912 345 678",
    "+840912345678",
    "0912345678",
    "84912345678",
    "+84912345678",
    "840912345678",
    "0084912345678",
    "00840912345678",
    "+84 (0) 90 123 4567",
    "0901.234.567",
    "+1 415-555-0123",
    "+44 (0)20 7123 4567",
    "+61 0412 345 678",
    "+66 081 234 5678",
]


def test_the_macro_and_python_normalize_every_spelling_alike(tmp_path: Path) -> None:
    values = ", ".join(f"('{spelling}')" for spelling in SPELLINGS)
    sql = f"select p, {{{{ normalize_phone('p') }}}} as e164 from (values {values}) as t(p)"
    result = run_dbt(
        ["show", "--inline", sql, "--output", "json", "--limit", str(len(SPELLINGS))],
        tmp_path / "cdp.duckdb",
        target_dir=tmp_path / "target",
        dbt_vars={"phone_default_region": "VN"},
    )
    assert result.success, result.output[-3000:]
    shown = json.loads(result.output[result.output.index("{") : result.output.rindex("}") + 1])
    macro = {row["p"]: row["e164"] for row in shown["show"]}
    python = {spelling: phone_e164(spelling, "VN") for spelling in SPELLINGS}
    assert macro == python
    assert {macro[spelling] for spelling in SPELLINGS[:8]} == {"+84912345678"}
