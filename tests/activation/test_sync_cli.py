"""`cdp sync`: the plan, the send, and the guardrails it shares with the Dagster sync assets."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from activation.fakes.mailchimp import FakeMailchimp
from orchestration.cli.main import main
from orchestration.guardrail_limits import GuardrailLimits
from orchestration.instance import cdp_instance
from orchestration.sync_guardrails import (
    AUDIENCE_METADATA,
    audience_outcome,
    last_synced_audience,
    sync_key,
)
from tests.activation.destinations.harness import SECRET
from tests.activation.warehouse import Person, build_warehouse, people, query, update


@pytest.fixture(autouse=True)
def dagster_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private Dagster instance: where sync sizes are recorded and read back."""
    home = tmp_path / "dagster_home"
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("CDP_DATA_DIR", str(tmp_path / "data"))
    return home


def cli_warehouse(path: Path, members: list[Person]) -> Path:
    """The activation marts plus the id changes the merge guardrail reads (none: no merges)."""
    build_warehouse(path, members)
    update(
        path,
        "create table if not exists marts.customer_id_changes (old_customer_id varchar,"
        " new_customer_id varchar, reason varchar, changed_at timestamp)",
    )
    return path


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
    warehouse = cli_warehouse(tmp_path / "wh.duckdb", people(3))
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


def test_config_folder_comes_from_the_flag_then_cdp_activation_config(
    tmp_path, config_dir, monkeypatch, capsys
):
    monkeypatch.setenv("CDP_WAREHOUSE", str(cli_warehouse(tmp_path / "wh.duckdb", people(3))))
    monkeypatch.setenv("CDP_ACTIVATION_CONFIG", str(config_dir))
    assert main(["sync", "vip_out", "--dry-run"]) == 0
    assert "would send 0 remove, 3 add, 0 update" in capsys.readouterr().out

    monkeypatch.setenv("CDP_ACTIVATION_CONFIG", str(tmp_path / "missing"))
    assert main(["sync", "vip_out", "--dry-run", "--config-dir", str(config_dir)]) == 0
    assert "would send 0 remove, 3 add, 0 update" in capsys.readouterr().out


def test_relative_file_drop_goes_under_the_data_folder(tmp_path, config_dir, monkeypatch):
    (config_dir / "destinations.yml").write_text(
        "destinations:\n  out:\n    type: files\n    output_dir: data/drops\n"
    )
    monkeypatch.setenv("CDP_WAREHOUSE", str(cli_warehouse(tmp_path / "wh.duckdb", people(3))))
    assert main(["sync", "vip_out", "--config-dir", str(config_dir)]) == 0
    assert (tmp_path / "data" / "drops" / "vip_out" / "snapshot.parquet").exists()


def test_a_sync_leaves_the_dagster_asset_definitions_unloaded(tmp_path, config_dir):
    """Loading the definitions (dbt manifest, dagster-dbt) costs seconds the command never uses."""
    warehouse = cli_warehouse(tmp_path / "wh.duckdb", people(3))
    script = (
        "import sys\n"
        "from orchestration.cli.main import main\n"
        f"code = main(['sync', 'vip_out', '--dry-run', '--config-dir', {str(config_dir)!r}])\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[:2] == ['orchestration', 'defs'])\n"
        "print(code, loaded)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, "CDP_WAREHOUSE": str(warehouse)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.splitlines()[-1] == "0 []"


@pytest.fixture
def warehouse_writer(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    """A warehouse another process holds open for writing, as a Dagster step does; its pid."""
    warehouse = cli_warehouse(tmp_path / "wh.duckdb", people(3))
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys\n"
            f"con = duckdb.connect({str(warehouse)!r})\n"
            "print('holding', flush=True)\n"
            "sys.stdin.read()\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "holding\n"
        yield warehouse, holder.pid
    finally:
        holder.communicate("")


def test_warehouse_held_by_another_writer_fails_clearly_and_sends_nothing(
    tmp_path, config_dir, warehouse_writer, monkeypatch, capsys
):
    warehouse, pid = warehouse_writer
    monkeypatch.setenv("CDP_WAREHOUSE", str(warehouse))
    for dry_run in ([], ["--dry-run"]):
        assert main(["sync", *dry_run, "--config-dir", str(config_dir)]) == 1
        error = capsys.readouterr().err
        assert f"the warehouse {warehouse} is locked by another process (PID {pid})" in error
        assert "e.g. a Dagster run" in error
        assert "retry after it finishes" in error
        assert "Traceback" not in error
    assert not (tmp_path / "out").exists()


def test_sync_runs_every_declared_sync_and_reports_counts(
    tmp_path, config_dir, monkeypatch, capsys
):
    warehouse = cli_warehouse(tmp_path / "wh.duckdb", people(3))
    monkeypatch.setenv("CDP_WAREHOUSE", str(warehouse))
    assert main(["sync", "--config-dir", str(config_dir)]) == 0
    assert "[success]" in capsys.readouterr().out
    assert (tmp_path / "out" / "vip_out" / "snapshot.parquet").exists()
    assert query(warehouse, "select sync, added, status from activation.sync_runs") == [
        ("vip_out", 3, "success")
    ]


def test_unknown_sync_name_fails(tmp_path, config_dir, monkeypatch, capsys):
    monkeypatch.setenv("CDP_WAREHOUSE", str(cli_warehouse(tmp_path / "wh.duckdb", people(1))))
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
    monkeypatch.setenv("CDP_WAREHOUSE", str(cli_warehouse(tmp_path / "wh.duckdb", people(2))))
    monkeypatch.delenv("DESTINATIONS__HS__TOKEN", raising=False)
    assert main(["sync", "--config-dir", str(folder)]) == 0
    assert "skipped, destination not configured" in capsys.readouterr().out
    assert main(["sync", "to_hs", "--config-dir", str(folder)]) == 1
    assert "DESTINATIONS__HS__TOKEN" in capsys.readouterr().err


@pytest.fixture
def mailchimp_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """One sync of segment `vip` to a fake Mailchimp, started with `fake_mailchimp` below."""
    monkeypatch.setenv("DESTINATIONS__MC__KEY", SECRET)
    return tmp_path / "mc_config"


def _write_mailchimp_config(folder: Path, fake: FakeMailchimp) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "destinations.yml").write_text(
        "destinations:\n  mc:\n    type: mailchimp\n    list_id: list1\n"
        f"    secret: destinations.mc.key\n    base_url: {fake.url}\n"
    )
    (folder / "syncs.yml").write_text(
        "syncs:\n  - name: vip_mc\n    segment: vip\n    destination: mc\n    mode: mirror\n"
        "    member_key: email\n    fields: {email: email}\n"
    )
    return folder


def _synced_by_dagster(members: int) -> None:
    """The size the Dagster sync asset records when it sends `vip_mc`."""
    with cdp_instance() as instance:
        instance.report_runless_asset_event(
            dg.AssetMaterialization(sync_key("vip_mc"), metadata={AUDIENCE_METADATA: members})
        )


def test_audience_swing_past_the_limit_blocks_the_send_and_sends_nothing(
    tmp_path, mailchimp_config, monkeypatch, capsys
):
    monkeypatch.setenv("CDP_WAREHOUSE", str(cli_warehouse(tmp_path / "wh.duckdb", people(200))))
    _synced_by_dagster(100)
    with FakeMailchimp(SECRET, "list1") as fake:
        config = str(_write_mailchimp_config(mailchimp_config, fake))
        assert main(["sync", "vip_mc", "--config-dir", config]) == 1
        error = capsys.readouterr().err
        assert "max_audience_change_share" in error
        assert "100 -> 200 members, changed 100% (limit 50%)" in error
        assert "nothing sent" in error

        assert main(["sync", "vip_mc", "--dry-run", "--config-dir", config]) == 1
        printed = capsys.readouterr().out
        assert "guardrail max_audience_change_share holds back: vip: 100 -> 200" in printed
        assert "guardrail max_customer_source_records passed" in printed
        assert "would send 0 remove, 200 add, 0 update" in printed
        assert (fake.requests, fake.members) == (0, {})
    with cdp_instance() as instance:
        assert last_synced_audience(instance, "vip_mc") == 100


def test_identity_guardrail_blocks_the_send(tmp_path, config_dir, monkeypatch, capsys):
    warehouse = cli_warehouse(tmp_path / "wh.duckdb", people(3))
    update(
        warehouse,
        "update marts.customers set source_record_count = 201 where customer_id = 'c00001'",
    )
    monkeypatch.setenv("CDP_WAREHOUSE", str(warehouse))
    assert main(["sync", "vip_out", "--config-dir", str(config_dir)]) == 1
    assert (
        "max_customer_source_records: largest customer c00001 has 201 source records (limit 200)"
        in capsys.readouterr().err
    )
    assert not (tmp_path / "out").exists()


def test_a_sync_records_its_audience_size_for_the_next_size_check(
    tmp_path, mailchimp_config, monkeypatch, capsys
):
    warehouse = cli_warehouse(tmp_path / "wh.duckdb", people(60))
    monkeypatch.setenv("CDP_WAREHOUSE", str(warehouse))
    with FakeMailchimp(SECRET, "list1") as fake:
        config = str(_write_mailchimp_config(mailchimp_config, fake))
        assert main(["sync", "vip_mc", "--config-dir", config]) == 0
        assert len(fake.tagged("vip")) == 60
        with cdp_instance() as instance:
            assert last_synced_audience(instance, "vip_mc") == 60

        update(warehouse, "delete from marts.segment_memberships where customer_id >= 'c00020'")
        with duckdb.connect(str(warehouse)) as con, cdp_instance() as instance:
            outcome = audience_outcome(con, instance, "vip_mc", "vip", GuardrailLimits.from_file())
        assert not outcome.passed and "60 -> 20 members" in outcome.detail
        requests = fake.requests
        assert main(["sync", "vip_mc", "--config-dir", config]) == 1
        assert "60 -> 20 members" in capsys.readouterr().err
        assert fake.requests == requests
