"""`cdp generate` writes the documented layout and reports what it wrote."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.cli.main import main


def test_cli_writes_landing_and_truth_layout(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    code = main(
        [
            "generate",
            "--people",
            "120",
            "--seed",
            "3",
            "--out",
            str(tmp_path),
            "--end-date",
            "2026-05-31",
        ]
    )
    assert code == 0
    systems = {p.name for p in (tmp_path / "landing").iterdir()}
    assert systems == {"hubspot", "mailchimp", "stripe", "vnpay", "facebook_ads", "google_ads"}
    assert (tmp_path / "landing/hubspot/contacts_20260531.csv").is_file()
    assert (tmp_path / "landing/hubspot/contacts_20260601_corrections.csv").is_file()
    assert (
        (tmp_path / "truth/records.csv")
        .read_text()
        .startswith('"source","source_table","source_record_id","person_id"')
    )
    assert (tmp_path / "truth/malformed.csv").read_text().startswith('"source_file","line","kind"')
    out = capsys.readouterr().out
    assert "generated 120 people" in out and "peak RSS" in out


def test_cli_rejects_a_bad_end_date(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        main(["generate", "--people", "10", "--out", str(tmp_path), "--end-date", "01/11/2026"])
