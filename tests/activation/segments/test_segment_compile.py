"""Code generation: deterministic, complete, self-cleaning, and portable SQL only."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from segment_sandbox import marts_properties

from activation.segments import compile_project
from activation.segments.project import GENERATED_DIR

SPEC = {
    "name": "recent_vn",
    "description": "Vietnamese customers seen in the last 30 days who ordered.",
    "owner": "growth",
    "rules": {
        "all": [
            {"field": "country", "op": "=", "value": "VN"},
            {"field": "first_seen_at", "op": ">=", "value": {"days_ago": 30}},
            {"did": "order", "in_last_days": 30},
        ]
    },
}


def _project(root: Path, specs: list[dict]) -> Path:
    marts = root / "models" / "marts"
    marts.mkdir(parents=True)
    (marts / "_marts__models.yml").write_text(yaml.safe_dump(marts_properties()))
    (root / "segments").mkdir()
    for spec in specs:
        (root / "segments" / f"{spec['name']}.yml").write_text(yaml.safe_dump(spec))
    return root


def test_compile_writes_a_model_per_spec_and_is_idempotent(tmp_path: Path) -> None:
    root = _project(tmp_path, [SPEC])
    first = compile_project(root)
    assert "recent_vn.sql" in first.written
    second = compile_project(root)
    assert not second.changed
    assert compile_project(root, check=True).changed is False


def test_removing_a_spec_removes_its_generated_model(tmp_path: Path) -> None:
    root = _project(tmp_path, [SPEC])
    compile_project(root)
    (root / "segments" / "recent_vn.yml").unlink()
    result = compile_project(root)
    assert result.removed == ["recent_vn.sql"]
    assert not (root / GENERATED_DIR / "recent_vn.sql").exists()


def test_generated_model_uses_cross_database_macros_and_as_of(tmp_path: Path) -> None:
    root = _project(tmp_path, [SPEC])
    compile_project(root)
    sql = (root / GENERATED_DIR / "recent_vn.sql").read_text()
    assert "dbt.dateadd('day', -30, as_of())" in sql
    assert "e.occurred_at <= {{ as_of() }}" in sql
    assert not re.search(r"\b(now|current_date|date_add|interval|strftime)\b", sql, re.IGNORECASE)
    assert "{{ ref('customers') }}" in sql and "{{ ref('customer_events') }}" in sql
    assert "tags=['segment']" in sql


def test_generated_properties_carry_owner_tag_and_enforced_contract(tmp_path: Path) -> None:
    root = _project(tmp_path, [SPEC])
    compile_project(root)
    properties = yaml.safe_load((root / GENERATED_DIR / "_generated__models.yml").read_text())
    model = next(m for m in properties["models"] if m["name"] == "recent_vn")
    assert model["config"]["meta"]["owner"] == "growth"
    assert model["config"]["contract"] == {"enforced": True}


def test_members_are_tested_once_in_the_union_of_segments(tmp_path: Path) -> None:
    root = _project(tmp_path, [SPEC])
    compile_project(root)
    properties = yaml.safe_load((root / GENERATED_DIR / "_generated__models.yml").read_text())
    models = {m["name"]: m for m in properties["models"]}
    union = models["int_segment_members_unioned"]
    assert "data_tests" not in models["recent_vn"]["columns"][0]
    assert union["data_tests"] == [
        {
            "unique_combination_of_columns": {
                "arguments": {"combination_of_columns": ["segment", "customer_id"]}
            }
        }
    ]
    assert {c["name"]: c["data_tests"] for c in union["columns"]} == {
        "segment": ["not_null"],
        "customer_id": ["not_null"],
    }


def test_project_without_specs_compiles_without_mart_contracts(tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()
    result = compile_project(tmp_path)
    assert "int_segment_members_unioned.sql" in result.written
