"""`cdp segments list / preview / compile` on a small built warehouse."""

from __future__ import annotations

import argparse
import hashlib
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from segment_sandbox import dbt_build, write_sandbox

from orchestration import settings
from orchestration.cli import segments as segments_cli


def main(argv: list[str]) -> int:
    """`cdp` with only the segments group, so these tests need no other command module."""
    parser = argparse.ArgumentParser(prog="cdp")
    segments_cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.handler(args)


CUSTOMERS = [
    {"customer_id": "c1", "email": "an@example.com", "country": "VN"},
    {"customer_id": "c2", "email": "binh@example.com", "country": "VN"},
    {"customer_id": "c3", "email": "carol@example.com", "country": "US"},
]
TRAITS = [
    {"customer_id": "c1", "orders_count": 3},
    {"customer_id": "c2", "orders_count": 1},
    {"customer_id": "c3", "orders_count": 5},
]
EVENTS = [
    {"event_id": "e1", "customer_id": "c3", "event_type": "order",
     "occurred_at": datetime(2026, 10, 30)},
]  # fmt: skip
SPECS = {
    "vn_customers": {
        "name": "vn_customers",
        "description": "Customers in Vietnam.",
        "owner": "growth-vn",
        "rules": {"field": "country", "op": "=", "value": "VN"},
    },
    "recent_buyers": {
        "name": "recent_buyers",
        "description": "Ordered in the last 7 days.",
        "owner": "crm",
        "rules": {"did": "order", "in_last_days": 7},
    },
}


ANALYST_MODELS = {
    "segments/custom/frequent_buyers.sql": (
        "{{ config(tags=['segment']) }}\n"
        "select customer_id from {{ ref('customer_traits') }} where orders_count >= 3\n"
    ),
    "segments/custom/_custom__models.yml": (
        "version: 2\nmodels:\n  - name: frequent_buyers\n"
        "    description: Three orders or more.\n    meta: {owner: analytics}\n"
    ),
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("segments_cli")
    project = write_sandbox(root / "project", SPECS, CUSTOMERS, TRAITS, EVENTS, ANALYST_MODELS)
    warehouse = root / "warehouse.duckdb"
    dbt_build(project, "2026-11-01 00:00:00", warehouse)
    return project, warehouse


@pytest.fixture
def cli_env(built: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    project, warehouse = built
    monkeypatch.setattr(settings, "dbt_project_dir", lambda: project)
    monkeypatch.setenv("CDP_WAREHOUSE", str(warehouse))
    return project, warehouse


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _snapshot(folder: Path) -> dict[str, float]:
    return {str(path): path.stat().st_mtime for path in folder.rglob("*")}


@pytest.mark.slow
def test_list_shows_name_owner_size_and_last_refresh(cli_env, capsys) -> None:
    assert main(["segments", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["segment", "kind", "owner", "size", "last", "refreshed"]
    assert lines[1].split() == ["frequent_buyers", "model", "analytics", "2", "2026-11-01", "00:00"]
    assert lines[2].split() == ["recent_buyers", "spec", "crm", "1", "2026-11-01", "00:00"]
    assert lines[3].split() == ["vn_customers", "spec", "growth-vn", "2", "2026-11-01", "00:00"]


@pytest.mark.slow
def test_preview_shows_size_and_sample_and_writes_nothing(cli_env, capsys) -> None:
    project, warehouse = cli_env
    before = _digest(warehouse)
    target_before = _snapshot(project / "target")
    assert main(["segments", "preview", "vn_customers", "--as-of", "2026-11-01"]) == 0
    out = capsys.readouterr().out
    assert "segment vn_customers: 2 members" in out
    assert "an@example.com" in out and "binh@example.com" in out
    assert "carol@example.com" not in out
    assert _digest(warehouse) == before
    assert _snapshot(project / "target") == target_before


@pytest.mark.slow
def test_preview_evaluates_the_current_spec_not_the_last_build(cli_env, capsys) -> None:
    project, _ = cli_env
    spec_path = project / "segments" / "recent_buyers.yml"
    original = spec_path.read_text()
    spec = yaml.safe_load(original)
    spec["rules"] = {"did": "order", "in_last_days": 1}
    spec_path.write_text(yaml.safe_dump(spec))
    try:
        assert main(["segments", "preview", "recent_buyers", "--as-of", "2026-11-01"]) == 0
    finally:
        spec_path.write_text(original)
    assert "segment recent_buyers: 0 members" in capsys.readouterr().out


@pytest.mark.slow
def test_preview_of_an_analyst_model_segment(cli_env, capsys) -> None:
    assert main(["segments", "preview", "frequent_buyers"]) == 0
    out = capsys.readouterr().out
    assert "segment frequent_buyers: 2 members" in out
    assert "an@example.com" in out and "carol@example.com" in out


@pytest.mark.slow
def test_preview_of_unknown_segment_fails_clearly(cli_env, capsys) -> None:
    assert main(["segments", "preview", "nobody_here"]) == 2
    assert "unknown segment 'nobody_here'" in capsys.readouterr().err


@pytest.mark.slow
def test_compile_check_reports_stale_generated_models(cli_env, capsys) -> None:
    project, _ = cli_env
    assert main(["segments", "compile", "--check"]) == 0
    generated = project / "models" / "segments" / "generated" / "vn_customers.sql"
    original = generated.read_text()
    generated.write_text(original + "-- hand edit\n")
    try:
        assert main(["segments", "compile", "--check"]) == 1
        assert "stale: vn_customers.sql" in capsys.readouterr().out
        assert main(["segments", "compile"]) == 0
        assert generated.read_text() == original
    finally:
        generated.write_text(original)


@pytest.mark.slow
def test_compile_of_an_invalid_spec_names_file_segment_and_field(cli_env, capsys) -> None:
    project, _ = cli_env
    bad = project / "segments" / "broken.yml"
    bad.write_text(
        "name: broken\ndescription: x\nowner: y\nrules: {field: revenue, op: '>', value: 1}\n"
    )
    try:
        assert main(["segments", "compile"]) == 2
    finally:
        bad.unlink()
    err = capsys.readouterr().err
    assert "broken.yml: segment 'broken': field 'revenue'" in err and "unknown field" in err
