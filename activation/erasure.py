"""Right to erasure at the destinations: every sync that ever sent a person gets the API's own
deletion call, then activation's tables forget the person's plaintext.

Who received the person is decided from activation's own tables, never from the marts (the
privacy flow may already have deleted the person's mart rows):
- `sync_state` rows whose member key, or whose email / phone / customer_id field in the payload,
  is one of the person's identifiers: the destination holds them now;
- `sync_log` rows whose member hash is the hash of one of the person's possible member keys:
  the destination received them once. A past `remove` is not an erasure (Mailchimp's untag and
  HubSpot's flag keep the contact, file drops keep old diffs), so those members are erased too.
Member keys other than email, phone or customer_id can only be found through `sync_state`.

Afterwards `sync_state` holds no row of the person (its payload is plaintext PII), error texts
that echo an identifier are masked, and each removal is one `sync_log` row (operation `erase`,
hashed member key) in a `sync_runs` row of its own. A member whose latest log row is a successful
`erase` is not sent again, so a second call sends only what failed before.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import duckdb
import pyarrow as pa

from activation.config import ActivationConfig, SyncConfig
from activation.destinations import Operation, Outcome, Record, SyncContext, build_destination
from activation.http import WaitTooLongError
from activation.normalize import normalize_email, phone_e164, sha256_hex
from activation.redaction import redact_identifiers
from activation.secrets import SecretResolver
from activation.state import batch_transaction

log = logging.getLogger(__name__)

ERASE = "erase"
MASK = "<erased>"
DEFERRED = "deferred"


@dataclass(frozen=True)
class ErasureSubject:
    """One person's identifiers, raw: emails are trimmed and lowercased here, phones parsed to
    E.164 (give them with their country code: there is no country to guess a region from)."""

    customer_ids: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()


@dataclass(frozen=True)
class DestinationRemoval:
    destination: str
    sync: str
    status: Literal["removed", "not_sent", "failed"]
    detail: str


@dataclass(frozen=True)
class _Identifiers:
    """The subject's identifiers normalized as the marts and member keys hold them."""

    email: tuple[str, ...]
    phone: tuple[str, ...]
    customer_id: tuple[str, ...]

    @classmethod
    def of(cls, subject: ErasureSubject) -> _Identifiers:
        emails = (normalize_email(e) for e in subject.emails)
        phones = (phone_e164(p) for p in subject.phones)
        ids = (c.strip() for c in subject.customer_ids)
        return cls(
            tuple(dict.fromkeys(e for e in emails if e)),
            tuple(dict.fromkeys(p for p in phones if p)),
            tuple(dict.fromkeys(c for c in ids if c)),
        )

    def for_column(self, column: str) -> tuple[str, ...]:
        return getattr(self, column, ()) if column in ("email", "phone", "customer_id") else ()

    def texts(self, subject: ErasureSubject) -> set[str]:
        """Every spelling of the person's email addresses and phones that an error text may
        echo. Customer ids are left out: a short id is a substring of unrelated texts, so ids
        are masked only in the person's own log rows."""
        raw = {*subject.emails, *subject.phones}
        return {t for t in {*raw, *(r.strip() for r in raw), *self.email, *self.phone} if t}


@dataclass
class _Member:
    member_key: str
    member_hash: str
    fields: dict[str, object]
    erased_at: object = None


def _table_exists(conn: duckdb.DuckDBPyConnection, table: str) -> bool:
    row = conn.execute(
        "select count(*) from information_schema.tables"
        " where table_schema = 'activation' and table_name = ?",
        [table],
    ).fetchone()
    return bool(row and row[0])


def _state_members(
    conn: duckdb.DuckDBPyConnection, sync: SyncConfig, ids: _Identifiers
) -> dict[str, _Member]:
    """Acknowledged members of the sync that are the person, by key or by a payload field."""
    conditions, params = (
        ["member_key in (select unnest($keys))"],
        {
            "sync": sync.name,
            "keys": list(ids.for_column(sync.member_key)),
        },
    )
    for i, (name, column) in enumerate(sync.fields.items()):
        values = ids.for_column(column)
        if values:
            value = f"json_extract_string(payload, $path{i})"
            value = f"lower(trim({value}))" if column == "email" else f"trim({value})"
            conditions.append(f"{value} in (select unnest($values{i}))")
            params[f"path{i}"] = "$." + json.dumps(name)
            params[f"values{i}"] = list(values)
    rows = conn.execute(
        "select member_key, member_hash, payload from activation.sync_state"
        f" where sync = $sync and ({' or '.join(conditions)})",
        params,
    ).fetchall()
    return {key: _Member(key, hash_, json.loads(payload)) for key, hash_, payload in rows}


def _logged_members(
    conn: duckdb.DuckDBPyConnection, sync: SyncConfig, ids: _Identifiers, hashes: Sequence[str]
) -> dict[str, tuple[str, str, object]]:
    """member hash -> (latest operation, its status, its time) for the person's member hashes."""
    rows = conn.execute(
        "select member_hash, arg_max(operation, logged_at), arg_max(status, logged_at),"
        " max(logged_at) from activation.sync_log"
        " where sync = ? and member_hash in (select unnest(?)) group by member_hash",
        [sync.name, list(hashes)],
    ).fetchall()
    return {h: (op, status, at) for h, op, status, at in rows}


def _rebuilt_fields(sync: SyncConfig, member_key: str, ids: _Identifiers) -> dict[str, object]:
    """For a member the state no longer holds: the fields a removal needs, from the subject."""
    fields: dict[str, object] = {}
    for name, column in sync.fields.items():
        if column == sync.member_key:
            fields[name] = member_key
        elif ids.for_column(column):
            fields[name] = ids.for_column(column)[0]
    return fields


def find_members(
    conn: duckdb.DuckDBPyConnection, sync: SyncConfig, ids: _Identifiers
) -> list[_Member]:
    """The person's members of one sync: held now (state) or received once (log). A member whose
    latest log row is a successful erase and who is not in the state carries `erased_at`."""
    members = _state_members(conn, sync, ids)
    by_hash = {sha256_hex(k): k for k in ids.for_column(sync.member_key)}
    by_hash.update({m.member_hash: m.member_key for m in members.values()})
    for member_hash, (operation, status, at) in _logged_members(
        conn, sync, ids, list(by_hash)
    ).items():
        key = by_hash[member_hash]
        if key not in members:
            members[key] = _Member(key, member_hash, _rebuilt_fields(sync, key, ids))
            if operation == ERASE and status == "ok":
                members[key].erased_at = at
    return sorted(members.values(), key=lambda m: m.member_key)


def _mask(text: str | None, secrets_of_person: set[str]) -> str | None:
    """The person's own identifiers become `<erased>`; any other email or digest a reply echoed
    is redacted too, as in every stored error text."""
    if text is None:
        return None
    for value in sorted(secrets_of_person, key=len, reverse=True):
        text = text.replace(value, MASK)
    return redact_identifiers(text)


def _send(
    sync: SyncConfig,
    config: ActivationConfig,
    secrets: SecretResolver,
    run_id: str,
    members: list[_Member],
) -> list[Outcome]:
    """One outcome per member. An API asking for a longer wait than `max_wait_seconds` stops the
    sending, not the report: the batches answered keep their outcomes, and the interrupted batch
    and the rest are `deferred` (failed, so the next call sends them; a per-member API may have
    erased some of the interrupted batch already, and erasing again is harmless)."""
    destination = build_destination(config.destination(sync.destination), secrets)
    try:
        records = [Record(m.member_key, m.member_hash, m.fields) for m in members]
        context = SyncContext(sync, run_id, {Operation.REMOVE.value: len(records)})
        size = destination.settings.batch_size
        outcomes: list[Outcome] = []
        for offset in range(0, len(records), size):
            try:
                outcomes += destination.erase(context, records[offset : offset + size])
            except WaitTooLongError as error:
                deferred = Outcome(False, f"{DEFERRED}: {error}")
                return outcomes + [deferred] * (len(records) - len(outcomes))
        return outcomes
    finally:
        destination.close()


def _record(
    conn: duckdb.DuckDBPyConnection,
    sync: SyncConfig,
    run_id: str,
    found: list[_Member],
    sent: list[_Member],
    outcomes: list[Outcome],
    texts: set[str],
) -> None:
    """One transaction: the run, one log row per removal, the person's state rows gone, and every
    stored error text that echoes one of their identifiers masked."""
    ok = sum(o.ok for o in outcomes)
    batch = pa.table(
        {
            "member_hash": [m.member_hash for m in sent],
            "status": ["ok" if o.ok else "failed" for o in outcomes],
            "error": [
                _mask(o.error, texts | {m.member_key}) for m, o in zip(sent, outcomes, strict=True)
            ],
        }
    )
    with batch_transaction(conn, "erase_batch", batch):
        conn.execute(
            "insert into activation.sync_runs (run_id, sync, destination, started_at, ended_at,"
            " removed, failed, status) values (?, ?, ?, now(), now(), ?, ?, ?)",
            [
                run_id,
                sync.name,
                sync.destination,
                ok,
                len(outcomes) - ok,
                "success" if ok == len(outcomes) else ("partial" if ok else "failed"),
            ],
        )
        conn.execute(
            "insert into activation.sync_log (run_id, sync, member_hash, operation, status,"
            " error, logged_at) select ?, ?, member_hash, ?, status, error, now() from erase_batch",
            [run_id, sync.name, ERASE],
        )
        conn.execute(
            "delete from activation.sync_state where sync = ? and member_key in (select unnest(?))",
            [sync.name, [m.member_key for m in found]],
        )
        for text in sorted(texts, key=len, reverse=True):
            for table in ("sync_log", "sync_runs"):
                conn.execute(
                    f"update activation.{table} set error = replace(error, ?, ?)"
                    " where contains(error, ?)",
                    [text, MASK, text],
                )
        for member in found:
            conn.execute(
                "update activation.sync_log set error = replace(error, ?, ?)"
                " where sync = ? and member_hash = ? and contains(error, ?)",
                [member.member_key, MASK, sync.name, member.member_hash, member.member_key],
            )


def _erase_sync(
    conn: duckdb.DuckDBPyConnection,
    config: ActivationConfig,
    secrets: SecretResolver,
    sync: SyncConfig,
    ids: _Identifiers,
    texts: set[str],
) -> DestinationRemoval | None:
    found = find_members(conn, sync, ids)
    if not found:
        return None
    pending = [m for m in found if m.erased_at is None]
    if not pending:
        latest = max(str(m.erased_at) for m in found)
        return DestinationRemoval(
            sync.destination, sync.name, "not_sent", f"already erased (last on {latest} UTC)"
        )
    run_id = uuid.uuid4().hex
    try:
        outcomes = _send(sync, config, secrets, run_id, pending)
    except Exception as error:  # a missing secret, an unknown type: every member fails
        outcomes = [Outcome(False, f"{type(error).__name__}: {error}")] * len(pending)
    _record(conn, sync, run_id, found, pending, outcomes, texts)
    keys = {m.member_key for m in pending}
    failures = [_mask(o.error, texts | keys) for o in outcomes if not o.ok]
    log.info(
        "erasure run %s, sync %s: %d erased, %d failed",
        run_id,
        sync.name,
        len(outcomes) - len(failures),
        len(failures),
    )
    if failures:
        return DestinationRemoval(
            sync.destination, sync.name, "failed", _failure_detail(len(outcomes), failures)
        )
    return DestinationRemoval(
        sync.destination, sync.name, "removed", f"{len(outcomes)} member(s) erased"
    )


def _failure_detail(sent: int, failures: list[str]) -> str:
    """How many were erased, how many failed and how many were deferred, each with its first
    error: a deferral and a refusal need different follow-ups."""
    deferred = [f for f in failures if f.startswith(DEFERRED)]
    refused = [f for f in failures if not f.startswith(DEFERRED)]
    parts = [f"{sent - len(failures)} of {sent} member(s) erased"]
    if refused:
        parts.append(f"{len(refused)} failed: {refused[0]}")
    if deferred:
        parts.append(f"{len(deferred)} {deferred[0]}")
    return "; ".join(parts)


def _undeclared_syncs(
    conn: duckdb.DuckDBPyConnection, config: ActivationConfig, hashes: list[str]
) -> list[DestinationRemoval]:
    """Syncs no longer in syncs.yml that sent the person: nothing can be sent, say so."""
    declared = [s.name for s in config.syncs]
    rows = conn.execute(
        "select l.sync, any_value(r.destination) from activation.sync_log as l"
        " left join activation.sync_runs as r using (run_id)"
        " where l.member_hash in (select unnest(?)) and l.sync not in (select unnest(?))"
        " group by l.sync order by l.sync",
        [hashes, declared],
    ).fetchall()
    return [
        DestinationRemoval(
            destination or "unknown",
            sync,
            "failed",
            "sync no longer declared in syncs.yml: erase this person at the destination by hand",
        )
        for sync, destination in rows
    ]


def erase_from_destinations(
    warehouse: Path, config: ActivationConfig, secrets: SecretResolver, subject: ErasureSubject
) -> list[DestinationRemoval]:
    """Erase one person from every destination that ever received them; one entry per sync that
    did (none at all for a person never sent anywhere, and then no request is made)."""
    ids = _Identifiers.of(subject)
    texts = ids.texts(subject)
    conn = duckdb.connect(str(warehouse))
    try:
        if not (_table_exists(conn, "sync_state") and _table_exists(conn, "sync_log")):
            return []
        removals = []
        for sync in config.syncs:
            removal = _erase_sync(conn, config, secrets, sync, ids, texts)
            if removal is not None:
                removals.append(removal)
        hashes = [sha256_hex(v) for v in (*ids.email, *ids.phone, *ids.customer_id)]
        return removals + _undeclared_syncs(conn, config, hashes)
    finally:
        conn.close()
