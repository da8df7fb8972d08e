"""Running one sync against a fake API, with the secret in a private environment."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import duckdb

from activation.config import ActivationConfig, SyncConfig
from activation.engine import SyncResult, run_sync
from activation.fakes.server import FakeApi, FakeRequest, FakeResponse
from activation.secrets import SecretResolver

SECRET = "sk-live-DO-NOT-LEAK-4242-us19"
FAST_RETRIES = {"max_retries": 4, "backoff_base_seconds": 0.01, "backoff_max_seconds": 2.0}
CONTACT_FIELDS = {
    "email": "email",
    "phone": "phone",
    "first_name": "first_name",
    "last_name": "last_name",
    "country": "country",
}

ECHOED_EMAIL = "someone.else@example.org"
ECHOED_HASH = hashlib.sha256(ECHOED_EMAIL.encode()).hexdigest()


class RefusingApi(FakeApi):
    """Refuses every request with a body echoing identifiers, as APIs do in their error texts
    ("contact x@y.com already exists", the hash of the row they refused)."""

    def __init__(self, status: int) -> None:
        super().__init__()
        self.status = status

    def handle(self, request: FakeRequest) -> FakeResponse:
        return FakeResponse(
            self.status, {"message": f"contact {ECHOED_EMAIL} (sha256 {ECHOED_HASH}) conflicts"}
        )


def secrets(value: str = SECRET) -> SecretResolver:
    return SecretResolver({"DESTINATIONS__TEST__KEY": value})


def sync(
    warehouse: Path,
    destination: dict[str, Any],
    *,
    fields: dict[str, str] | None = None,
    mode: str = "mirror",
    secret: str = SECRET,
    dry_run: bool = False,
) -> SyncResult:
    config = ActivationConfig(
        destinations={"dest": {"secret": "destinations.test.key", **FAST_RETRIES, **destination}},
        syncs=[
            SyncConfig(
                name="audience",
                segment="vip",
                destination="dest",
                mode=mode,
                member_key="email",
                fields=fields or CONTACT_FIELDS,
            )
        ],
    )
    return run_sync(warehouse, config, "audience", secrets(secret), dry_run=dry_run)


def warehouse_text(warehouse: Path, schema: str | None = None) -> str:
    """Every value of every table (of one schema if given), as text: to grep for what must never
    be stored."""
    conn = duckdb.connect(str(warehouse))
    try:
        tables = conn.execute(
            "select table_schema, table_name from information_schema.tables"
            " where coalesce(table_schema = ?, true)",
            [schema],
        ).fetchall()
        return "\n".join(
            str(conn.execute(f'select * from "{schema}"."{table}"').fetchall())
            for schema, table in tables
        )
    finally:
        conn.close()


def log_rows(warehouse: Path) -> list[tuple]:
    conn = duckdb.connect(str(warehouse))
    try:
        return conn.execute(
            "select operation, status, error from activation.sync_log order by logged_at"
        ).fetchall()
    finally:
        conn.close()
