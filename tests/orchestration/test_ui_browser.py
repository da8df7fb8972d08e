"""`cdp dev` serves the Dagster UI, and a real browser sees source, dbt and activation assets.

The UI runs in its own process group, killed as a group with SIGKILL at teardown: `dagster dev`
ignores SIGTERM/SIGINT in this environment, and a leftover webserver or daemon would hang CI.
Chromium is Debian's (`make browser` installs it); Playwright's own browser download cannot work
offline.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium")
STARTUP_TIMEOUT_SECONDS = 240

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_ui(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"cdp dev exited with {process.returncode}:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(f"{url}/server_info", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(1)
    pytest.fail(
        f"the UI did not answer within {STARTUP_TIMEOUT_SECONDS}s:\n{log.read_text()[-4000:]}"
    )


@pytest.fixture
def dagster_ui(tmp_path: Path) -> Iterator[str]:
    """`cdp dev` on a free port, on an empty landing folder so no sensor starts a run."""
    port = _free_port()
    log = tmp_path / "cdp-dev.log"
    env = {
        **os.environ,
        "CDP_DATA_DIR": str(tmp_path / "data"),
        "CDP_WAREHOUSE": str(tmp_path / "data" / "warehouse" / "cdp.duckdb"),
        "CDP_LANDING": str(tmp_path / "data" / "landing"),
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
    }
    cdp = Path(sys.executable).with_name("cdp")
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(cdp), "dev", "--port", str(port)],
            stdout=output,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_for_ui(url, process, log)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


@pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium is not installed (make browser)")
def test_asset_catalog_lists_source_dbt_and_activation_assets(dagster_ui: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            # Tall enough that the catalog's virtualized list renders every row.
            page = browser.new_page(viewport={"width": 1600, "height": 12000})
            page.goto(f"{dagster_ui}/assets", wait_until="domcontentloaded")
            for label in (
                "raw_hubspot / contacts",
                "marts / customers",
                "serving / warehouse_copy",
            ):
                page.get_by_text(label, exact=True).first.wait_for(timeout=60_000)
            body = page.inner_text("body")
            assert "activation / " in body
            assert "staging / stg_hubspot__contacts" in body
        finally:
            browser.close()
