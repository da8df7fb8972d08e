"""Requests from the command line and from a file (Dagster job): an unknown identifier is
answered "no data held", a failed step is resumed by the same request id, and the output never
repeats the identifier."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.cli.main import main
from orchestration.defs.privacy import privacy_erasure
from orchestration.privacy import erasure
from orchestration.privacy.requests_file import RequestsFileError, read_requests

pytestmark = pytest.mark.slow
UNKNOWN_EMAIL = "nobody.at.all@example.org"


@pytest.fixture
def deployment(built_warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private data folder holding a copy of the sample warehouse, as CDP_* point to it."""
    warehouse = tmp_path / "data" / "warehouse" / "cdp.duckdb"
    warehouse.parent.mkdir(parents=True)
    shutil.copy(built_warehouse, warehouse)
    monkeypatch.setenv("CDP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CDP_WAREHOUSE", str(warehouse))
    return tmp_path / "data"


def _ledger(data: Path, request_id: str) -> tuple:
    with duckdb.connect(str(data / "warehouse" / "cdp.duckdb"), read_only=True) as con:
        return con.execute(
            "select outcome, resolved, resolved_at, warehouse_deleted, suppressed, destinations,"
            " receipt, error from privacy.erasure_requests where request_id = ?",
            [request_id],
        ).fetchone()


def test_unknown_email_is_answered_no_data_held(deployment: Path, capsys: pytest.CaptureFixture):
    assert main(["forget", "--email", UNKNOWN_EMAIL, "--request-id", "unknown-1"]) == 0
    output = capsys.readouterr().out
    assert "request unknown-1: no data held" in output
    assert UNKNOWN_EMAIL not in output
    receipt = json.loads((deployment / "privacy" / "receipts" / "unknown-1.json").read_text())
    assert receipt["outcome"] == "no_data_held"
    assert receipt["scan"]["rows_matched"] == 0
    assert receipt["request"]["known_to_identity_graph"] is False
    assert _ledger(deployment, "unknown-1")[:2] == ("no_data_held", "done")


def test_invalid_identifier_exits_2_without_echoing_it(
    deployment: Path, capsys: pytest.CaptureFixture
):
    assert main(["forget", "--phone", "call-me-maybe"]) == 2
    assert "call-me-maybe" not in capsys.readouterr().err


def test_a_failed_step_is_resumed_by_the_same_request_id(
    deployment: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
):
    def refuse(*args: object, **kwargs: object) -> int:
        raise RuntimeError(f"suppression list unavailable for {UNKNOWN_EMAIL}")

    monkeypatch.setattr(erasure, "add_suppressions", refuse)
    assert main(["forget", "--email", UNKNOWN_EMAIL, "--request-id", "resume-1"]) == 1
    failed = _ledger(deployment, "resume-1")
    assert failed[0] == "failed" and failed[4] == "failed" and failed[7] == "RuntimeError"
    assert UNKNOWN_EMAIL not in capsys.readouterr().err
    monkeypatch.undo()
    monkeypatch.setenv("CDP_DATA_DIR", str(deployment))
    monkeypatch.setenv("CDP_WAREHOUSE", str(deployment / "warehouse" / "cdp.duckdb"))
    assert main(["forget", "--email", UNKNOWN_EMAIL, "--request-id", "resume-1"]) == 0
    resumed = _ledger(deployment, "resume-1")
    assert resumed[0] == "no_data_held"
    assert resumed[2] == failed[2], "the resolved step ran again"
    assert resumed[4:7] == ("done", "skipped", "done")


def test_a_request_id_names_one_request(deployment: Path, capsys: pytest.CaptureFixture):
    assert main(["forget", "--email", UNKNOWN_EMAIL, "--request-id", "once"]) == 0
    assert main(["forget", "--phone", "0901 234 567", "--request-id", "once"]) == 2
    assert "already recorded for another identifier" in capsys.readouterr().err


def test_the_job_carries_out_a_file_of_requests_once(deployment: Path, tmp_path: Path):
    requests = tmp_path / "requests.csv"
    requests.write_text(f"type,value\nemail,{UNKNOWN_EMAIL}\nphone,+1 415 555 0100\n")
    config = {"ops": {"erase_requests": {"config": {"requests_file": str(requests)}}}}
    with dg.DagsterInstance.ephemeral() as instance:
        first = privacy_erasure.execute_in_process(run_config=config, instance=instance)
        again = privacy_erasure.execute_in_process(run_config=config, instance=instance)
        logged = "\n".join(
            str(event.message)
            for run in (first, again)
            for event in instance.all_logs(run.run_id)
            if event.message
        )
    assert first.success and again.success
    assert "already complete" in logged
    receipts = sorted((deployment / "privacy" / "receipts").glob("*.json"))
    assert len(receipts) == 2
    assert {json.loads(r.read_text())["outcome"] for r in receipts} == {"no_data_held"}
    assert UNKNOWN_EMAIL not in logged and "415" not in logged


def test_requests_file_reads_jsonl_and_names_the_bad_line(tmp_path: Path):
    good = tmp_path / "batch 1.jsonl"
    good.write_text(
        '{"type": "email", "value": "A@B.io"}\n\n'
        '{"type": "customer_id", "value": "cus_1", "request_id": "r-7"}\n'
    )
    parsed = read_requests(good)
    assert [(r.line, r.identifier.value, r.request_id) for r in parsed] == [
        (1, "a@b.io", f"batch-1-{parsed[0].identifier.hash[:16]}"),
        (3, "cus_1", "r-7"),
    ]
    bad = tmp_path / "bad.csv"
    bad.write_text("type,value\nemail,not-an-address\n")
    with pytest.raises(RequestsFileError, match=r"bad.csv:2") as raised:
        read_requests(bad)
    assert "not-an-address" not in str(raised.value)
