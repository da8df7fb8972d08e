"""`cdp dev`: the Dagster UI, daemon and sensors on localhost:3000 (what `make dev` runs).

Under `dagster dev` the definitions recompile segments and re-parse the dbt project on every
load, so edits show up with "Reload definitions" in the UI.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from orchestration import settings


def register(subparsers: argparse._SubParsersAction) -> None:
    dev = subparsers.add_parser(
        "dev",
        help="start the Dagster UI (dagster dev) on localhost:3000",
        description="Starts `dagster dev` on the project's definitions with DAGSTER_HOME="
        "data/dagster_home, the instance `cdp run` records its runs in.",
    )
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument("--port", type=int, default=3000)
    dev.set_defaults(handler=handle)


def dagster_dev_command(host: str, port: int) -> list[str]:
    dagster = Path(sys.executable).with_name("dagster")
    return [
        str(dagster),
        "dev",
        "-m",
        "orchestration.definitions",
        "--working-directory",
        str(settings.project_root()),
        "--host",
        host,
        "--port",
        str(port),
    ]


def handle(args: argparse.Namespace) -> int:
    from orchestration.instance import cdp_instance
    from orchestration.runner import export_settings

    export_settings()
    cdp_instance()
    command = dagster_dev_command(args.host, args.port)
    home = os.environ["DAGSTER_HOME"]
    print(f"Dagster UI on http://{args.host}:{args.port} (DAGSTER_HOME={home})")
    sys.stdout.flush()
    os.execv(command[0], command)
