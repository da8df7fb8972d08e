"""Every `cdp` command builds the whole parser first, so what the parser imports, every command
pays for: the loaders (dlt) and the fitting library (scipy, pandas) load with the command that
uses them."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("dlt", "scipy", "pandas", "orchestration.defs")


def test_building_the_parser_loads_neither_dlt_nor_the_fitting_library() -> None:
    script = (
        "import sys\n"
        "from orchestration.cli.main import build_parser\n"
        "build_parser()\n"
        f"print(sorted(name for name in {HEAVY!r} if name in sys.modules))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    assert loaded.strip() == "[]"
