from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.cli.main import main
from tests.activation.warehouse import build_warehouse, people, query


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "config"
    folder.mkdir()
    (folder / "destinations.yml").write_text(
        f"destinations:\n  out:\n    type: files\n    output_dir: {tmp_path / 'out'}\n"
    )
    (folder / "syncs.yml").write_text(
        "syncs:\n  - name: vip_out\n    segment: vip\n    destination: out\n    mode: mirror\n"
        "    member_key: customer_id\n    fields: {customer_id: customer_id, email: email}\n"
    )
    return folder


def test_dry_run_prints_plan_and_sends_nothing(tmp_path, config_dir, monkeypatch, capsys):
    warehouse = build_warehouse(tmp_path / "wh.duckdb", people(3))
    monkeypatch.setenv("CDP_WAREHOUSE", str(warehouse))
    assert main(["sync", "vip_out", "--dry-run", "--config-dir", str(config_dir)]) == 0
    printed = capsys.readouterr().out
    assert "would send 0 remove, 3 add, 0 update" in printed
    assert "c00000" in printed
    assert not (tmp_path / "out").exists()
    assert query(
        warehouse,
        "select count(*) from information_schema.tables where table_schema = 'activation'",
    ) == [(0,)]


def test_sync_runs_every_declared_sync_and_reports_counts(
    tmp_path, config_dir, monkeypatch, capsys
):
    warehouse = build_warehouse(tmp_path / "wh.duckdb", people(3))
    monkeypatch.setenv("CDP_WAREHOUSE", str(warehouse))
    assert main(["sync", "--config-dir", str(config_dir)]) == 0
    assert "[success]" in capsys.readouterr().out
    assert (tmp_path / "out" / "vip_out" / "snapshot.parquet").exists()
    assert query(warehouse, "select sync, added, status from activation.sync_runs") == [
        ("vip_out", 3, "success")
    ]


def test_unknown_sync_name_fails(tmp_path, config_dir, monkeypatch, capsys):
    monkeypatch.setenv("CDP_WAREHOUSE", str(build_warehouse(tmp_path / "wh.duckdb", people(1))))
    assert main(["sync", "nope", "--config-dir", str(config_dir)]) == 1
    assert "unknown sync" in capsys.readouterr().err


def test_unconfigured_destination_is_skipped_when_running_all_but_fails_by_name(
    tmp_path, monkeypatch, capsys
):
    folder = tmp_path / "config"
    folder.mkdir()
    (folder / "destinations.yml").write_text(
        "destinations:\n  hs: {type: hubspot, secret: destinations.hs.token}\n"
    )
    (folder / "syncs.yml").write_text(
        "syncs:\n  - {name: to_hs, segment: vip, destination: hs, fields: {email: email}}\n"
    )
    monkeypatch.setenv("CDP_WAREHOUSE", str(build_warehouse(tmp_path / "wh.duckdb", people(2))))
    monkeypatch.delenv("DESTINATIONS__HS__TOKEN", raising=False)
    assert main(["sync", "--config-dir", str(folder)]) == 0
    assert "skipped, destination not configured" in capsys.readouterr().out
    assert main(["sync", "to_hs", "--config-dir", str(folder)]) == 1
    assert "DESTINATIONS__HS__TOKEN" in capsys.readouterr().err
