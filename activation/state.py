"""The `activation` schema: acknowledged state per (sync, member), run records, the per-member
log, the global suppression list; and the diff, computed in one SQL statement.

The diff reads `marts.customers`, `marts.customer_traits` and `marts.segment_memberships` only.
Consent and suppression are applied here, before anything can be sent; a member who loses consent
or is suppressed is removed from the destination even when the sync does not mirror.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb
import pyarrow as pa

from activation.config import ConsentPurpose, SyncConfig, SyncMode
from activation.destinations.base import RemovalReason

SCHEMA_DDL = (
    "create schema if not exists activation",
    """create table if not exists activation.sync_state (
        sync varchar not null,
        member_key varchar not null,
        member_hash varchar not null,
        payload_hash varchar not null,
        payload varchar not null,
        synced_at timestamp not null,
        primary key (sync, member_key)
    )""",
    """create table if not exists activation.sync_runs (
        run_id varchar primary key,
        sync varchar not null,
        destination varchar not null,
        started_at timestamp not null,
        ended_at timestamp,
        added bigint not null default 0,
        updated bigint not null default 0,
        removed bigint not null default 0,
        failed bigint not null default 0,
        skipped_consent bigint not null default 0,
        skipped_missing_key bigint not null default 0,
        status varchar not null,
        error varchar
    )""",
    """create table if not exists activation.sync_log (
        run_id varchar not null,
        sync varchar not null,
        member_hash varchar not null,
        operation varchar not null,
        status varchar not null,
        error varchar,
        logged_at timestamp not null,
        removal_reason varchar
    )""",
    # Warehouses whose log predates the column keep their rows (null reason) and work on.
    "alter table activation.sync_log add column if not exists removal_reason varchar",
    """create table if not exists activation.suppressions (
        identifier_hash varchar primary key,
        reason varchar,
        added_at timestamp not null default current_timestamp
    )""",
)

_EMPTY_STATE = (
    "(select null::varchar as sync, null::varchar as member_key, null::varchar as payload_hash,"
    " null::varchar as payload where $sync is null and false)"
)


def ensure_schema(conn: duckdb.DuckDBPyConnection) -> None:
    for statement in SCHEMA_DDL:
        conn.execute(statement)


@contextmanager
def batch_transaction(
    conn: duckdb.DuckDBPyConnection, name: str, batch: pa.Table
) -> Iterator[duckdb.DuckDBPyConnection]:
    """One transaction over an Arrow batch registered as `name`: everything a batch's outcomes
    change lands together or not at all."""
    conn.register(name, batch)
    try:
        conn.execute("begin transaction")
        try:
            yield conn
            conn.execute("commit")
        except Exception:
            conn.execute("rollback")
            raise
    finally:
        conn.unregister(name)


def _table_exists(conn: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    found = conn.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()
    return bool(found and found[0])


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def mart_columns(conn: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """Column name -> the qualified references to it (`c.x` customers first, then `t.x` traits):
    both marts may carry a column (e.g. `is_unsubscribed`), so every reference is qualified."""
    rows = conn.execute(
        "select table_name, column_name from information_schema.columns"
        " where table_schema = 'marts' and table_name in ('customers', 'customer_traits')"
        " order by table_name"
    ).fetchall()
    found: dict[str, list[str]] = {}
    for table, column in rows:
        alias = "c" if table == "customers" else "t"
        found.setdefault(column, []).append(f"{alias}.{_quote(column)}")
    return found


def _consent_sql(purpose: ConsentPurpose, columns: dict[str, list[str]]) -> str:
    """Conservative: a missing consent is no consent, and an opt-out flag in either mart counts."""
    if purpose is ConsentPurpose.EMAIL:
        parts = [f"coalesce({ref}, false)" for ref in columns.get("email_marketing_consent", [])]
        parts += [
            f"not coalesce({ref}, false)"
            for flag in ("is_unsubscribed", "is_bounced")
            for ref in columns.get(flag, [])
        ]
        return " and ".join(parts or ["false"])
    if purpose is ConsentPurpose.ADS:
        return (
            " and ".join(f"coalesce({ref}, false)" for ref in columns.get("ads_consent", []))
            or "false"
        )
    return "true"


def _member_key_sql(column: str, member_key: str) -> str:
    if member_key == "email":
        return f"nullif(lower(trim({column})), '')"
    return f"nullif(trim(cast({column} as varchar)), '')"


def diff_sql(
    conn: duckdb.DuckDBPyConnection, sync: SyncConfig, purpose: ConsentPurpose
) -> tuple[str, dict[str, str]]:
    """The statement producing one row per (operation, member) to send, plus audience counts.

    Output columns: kind ('add'/'update'/'remove'; 'keep' for unchanged members in replace mode;
    or 'skipped_consent'/'skipped_missing_key' for rows that are only counted), member_key,
    member_hash, payload (JSON text), reason (a `RemovalReason` value on removes, else null):
    destinations that can tell "left the audience" from "may no longer be contacted" (Mailchimp
    unsubscribes the latter) need to know why a member goes.
    """
    columns = mart_columns(conn)
    wanted = {sync.member_key, *sync.fields.values()}
    unknown = sorted(wanted - set(columns))
    if unknown:
        raise ValueError(
            f"sync {sync.name!r} maps unknown mart columns {unknown}; marts.customers and"
            " marts.customer_traits have: " + ", ".join(sorted(columns))
        )
    state = "activation.sync_state" if _table_exists(conn, "activation", "sync_state") else None
    has_suppressions = _table_exists(conn, "activation", "suppressions") and bool(
        conn.execute("select count(*) from activation.suppressions").fetchone()[0]
    )
    payload = ", ".join(f"{_quote(name)} := {columns[col][0]}" for name, col in sync.fields.items())
    payload_sql = f"to_json(struct_pack({payload}))::varchar" if payload else "'{}'"
    key_sql = _member_key_sql(columns[sync.member_key][0], sync.member_key)
    suppression = "true"
    suppressed_key = "false"
    if has_suppressions:
        # A removed member whose marts rows are gone (e.g. erased) is still found by key.
        suppressed_key = "member_hash in (select identifier_hash from activation.suppressions)"
        suppression = " and ".join(
            f"coalesce(sha256({value}), '') not in"
            " (select identifier_hash from activation.suppressions)"
            for value in (
                f"lower(trim({columns['email'][0]}))" if "email" in columns else "null",
                columns["phone"][0] if "phone" in columns else "null",
                "cast(c.customer_id as varchar)",
            )
        )
    updates = sync.mode is not SyncMode.ADD_ONLY
    replace = sync.mode is SyncMode.REPLACE
    mirror = sync.mode is SyncMode.MIRROR or replace
    # Without a consent purpose or a suppression every removed member is a segment leaver.
    lookup = mirror and (purpose is not ConsentPurpose.NONE or has_suppressions)
    state_sql = (
        f"(select member_key, payload_hash from {state} where sync = $sync)"
        if state
        else _EMPTY_STATE
    )
    # What a remove sends is the payload last acknowledged: joined to the removed members only,
    # so the whole state's payload text is not carried through the full outer join.
    sent_sql = (
        f"(select member_key, payload from {state} where sync = $sync)"
        if state
        else "(select null::varchar as member_key, null::varchar as payload where false)"
    )
    sql = f"""
    with people as (
        select
            {key_sql} as member_key,
            customer_id,
            m.customer_id is not null as in_segment,
            ({_consent_sql(purpose, columns)}) as consented,
            {suppression} as unsuppressed,
            case when m.customer_id is not null then {payload_sql} end as payload
        from marts.customers as c
        left join marts.customer_traits as t using (customer_id)
        {"inner" if mirror else "left"} join (
            select customer_id from marts.segment_memberships where segment = $segment
        ) as m using (customer_id)
    ),
    grouped as materialized (
        select
            member_key,
            bool_or(in_segment) as in_segment,
            bool_and(consented) as consented,
            bool_and(unsuppressed) as unsuppressed,
            count(*) filter (where in_segment) as members,
            arg_min(payload, customer_id) filter (where in_segment) as payload
        from people
        group by member_key
    ),
    keyed as (
        select
            member_key, in_segment, consented, unsuppressed, consented and unsuppressed as allowed,
            payload, md5(payload) as payload_hash
        from grouped
        where member_key is not null
    ),
    state as {state_sql},
    compared as (
        select
            coalesce(k.member_key, s.member_key) as member_key,
            coalesce(k.in_segment and k.allowed, false) as eligible,
            coalesce(k.allowed, true) as allowed,
            k.consented,
            k.unsuppressed,
            s.member_key is not null as acknowledged,
            k.payload,
            k.payload_hash,
            s.payload_hash as sent_hash
        from keyed as k full outer join state as s using (member_key)
    ),
    changes as materialized (
        select
            case
                when eligible and not acknowledged then 'add'
                when eligible and {str(updates).lower()} and payload_hash <> sent_hash
                    then 'update'
                when not eligible and acknowledged and ({str(mirror).lower()} or not allowed)
                    then 'remove'
                when eligible and {str(replace).lower()} then 'keep'
            end as kind,
            member_key,
            payload,
            consented,
            unsuppressed
        from compared
        where kind is not null
    ),
    removed as (
        select member_key, sha256(member_key) as member_hash, s.payload, consented, unsuppressed
        from (select member_key, consented, unsuppressed from changes where kind = 'remove') as r
        join {sent_sql} as s using (member_key)
    ){_leavers_sql(lookup, key_sql, purpose, columns, suppression)}
    select kind, member_key, sha256(member_key) as member_hash, payload, null as reason
    from changes where kind <> 'remove'
    union all
    select 'remove', member_key, member_hash, payload,
        case
            when not coalesce(r.unsuppressed, l.unsuppressed, true) or {suppressed_key}
                then '{RemovalReason.SUPPRESSED}'
            when not coalesce(r.consented, l.consented, true)
                then '{RemovalReason.CONSENT_WITHDRAWN}'
            else '{RemovalReason.LEFT_SEGMENT}'
        end
    from removed as r left join leavers as l using (member_key)
    union all
    select 'skipped_consent', member_key, sha256(member_key), null, null
    from keyed where in_segment and not allowed
    union all
    select 'skipped_missing_key', null, null, null, null
    from (select unnest(range(members)) from grouped where member_key is null)
    """
    return sql, {"segment": sync.segment, "sync": sync.name}


def _leavers_sql(
    lookup: bool,
    key_sql: str,
    purpose: ConsentPurpose,
    columns: dict[str, list[str]],
    suppression: str,
) -> str:
    """Consent and suppression of removed members the audience query did not see.

    A mirror reads segment members only, yet a segment may itself require consent
    (`email_marketing_consent = true`): losing consent then looks like leaving the segment. The
    leavers' own customers are looked up (one scan of the customers' keys, filtered to the few
    removed) so that such a removal still carries its real reason. Other modes read every
    customer already, and a sync with no consent purpose and an empty suppression list has no
    other reason to find: `lookup` is false then, and the scan is not made.
    """
    if not lookup:
        return (
            ",\n    leavers as (select null::varchar as member_key, null::boolean as consented,"
            " null::boolean as unsuppressed where false)"
        )
    return f""",
    leavers as (
        select
            {key_sql} as member_key,
            bool_and({_consent_sql(purpose, columns)}) as consented,
            bool_and({suppression}) as unsuppressed
        from marts.customers as c
        left join marts.customer_traits as t using (customer_id)
        where {key_sql} in (select member_key from removed where consented is null)
        group by all
    )"""
