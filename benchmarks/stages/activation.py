"""Stage `activation`: the sync diff of a 1M-member audience (target at M: < 5 s) and sync
throughput against each destination's local fake with its rate limit set (target: at least 90% of
the allowed records per second, zero lost records).

The diff is what every sync run computes first: segment members joined to customers and traits,
consent and suppression applied, compared with the acknowledged state. The prepared warehouse
(untimed) holds 1M members, an acknowledged state from an earlier run, then churn: 5% new members,
5% changed payloads, 2% leavers. Throughput runs send a fixed audience through `run_sync` to a fake
whose rate limit equals the configured client rate; `share_of_allowed` compares records per
second with `rate * batch size`, and `lost` counts records the fake does not hold afterwards.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import duckdb

from benchmarks.registry import BenchContext, Measurement, Stage, register

DIFF_MEMBERS = {"XS": 1_000, "S": 10_000, "M": 1_000_000, "L": 10_000_000}
SECRET_NAME = "destinations.bench.key"
SECRET = "bench-secret-us1"
FIELDS = {
    "email": "email",
    "phone": "phone",
    "first_name": "first_name",
    "last_name": "last_name",
    "country": "country",
}
# destination type -> (settings, records): each run takes about 5-10 s at the allowed rate.
THROUGHPUT = {
    "mailchimp": ({"batch_size": 500, "rate_limit_per_second": 5.0, "max_concurrency": 10}, 12_500),
    "meta": ({"batch_size": 10_000, "rate_limit_per_second": 1.0, "max_concurrency": 2}, 100_000),
    "google": ({"batch_size": 10_000, "rate_limit_per_second": 1.0, "max_concurrency": 2}, 100_000),
    "hubspot": ({"batch_size": 100, "rate_limit_per_second": 10.0}, 6_000),
    "webhook": ({"batch_size": 500, "rate_limit_per_second": 10.0, "max_concurrency": 2}, 25_000),
}


def build_marts(warehouse: Path, members: int, segment: str = "bench") -> None:
    """Synthetic marts with the contract's columns, every customer consented and in `segment`."""
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema if not exists marts")
        con.execute(f"""
            create or replace table marts.customers as
            select 'c' || lpad(i::varchar, 8, '0') as customer_id,
                   'user' || i || '@example.com' as email,
                   '+1415' || lpad((i % 10000000)::varchar, 7, '0') as phone,
                   'First' || (i % 997) as first_name, 'Nguyễn' as last_name, 'US' as country,
                   'Hanoi' as city, 'customer' as lifecycle_stage,
                   now() as first_seen_at, now() as last_seen_at,
                   true as email_marketing_consent, true as ads_consent, 1 as source_record_count
            from range({members}) as t(i)""")
        con.execute("""
            create or replace table marts.customer_traits as
            select customer_id, 2 as orders_count, 100.0 as lifetime_revenue_usd,
                   'champions' as rfm_segment, false as is_unsubscribed, false as is_bounced
            from marts.customers""")
        con.execute(f"""
            create or replace table marts.segment_memberships as
            select '{segment}' as segment, customer_id, now() as entered_at from marts.customers""")


def _config(destination: dict[str, Any], fields: dict[str, str]) -> Any:
    from activation.config import ActivationConfig, SyncConfig

    return ActivationConfig(
        destinations={"dest": destination},
        syncs=[
            SyncConfig(
                name="bench",
                segment="bench",
                destination="dest",
                mode="mirror",
                member_key="email",
                fields=fields,
            )
        ],
    )


def diff_audience(warehouse: str) -> dict[str, Any]:
    from activation.config import ConsentPurpose
    from activation.state import diff_sql

    sync = _config({"type": "files", "output_dir": "."}, FIELDS).sync("bench")
    cpu = time.process_time()
    with duckdb.connect(warehouse) as con:
        sql, params = diff_sql(con, sync, ConsentPurpose.EMAIL)
        con.execute(f"create temp table pending as {sql}", params)
        counts = dict(con.execute("select kind, count(*) from pending group by kind").fetchall())
        members = con.execute("select count(*) from marts.segment_memberships").fetchone()[0]
    # CPU seconds across DuckDB's threads: on a busy machine, wall time alone misleads.
    cpu_seconds = round(time.process_time() - cpu, 2)
    return {
        "rows": int(members),
        "cpu_seconds": cpu_seconds,
        **{k: int(v) for k, v in counts.items()},
    }


def _prepared_diff(context: BenchContext, run: int) -> dict[str, Any]:
    """1M members with an acknowledged state, then churn; built once per size, copied per run."""
    from activation.engine import run_sync
    from activation.secrets import SecretResolver

    members = DIFF_MEMBERS[context.size]
    folder = context.data_dir.parent / "prepared" / f"activation-diff-{context.size}"
    if not (folder / ".complete").exists():
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        warehouse = folder / "cdp.duckdb"
        build_marts(warehouse, members)
        with duckdb.connect(str(warehouse)) as con:
            con.execute("delete from marts.segment_memberships where hash(customer_id) % 20 = 0")
        files = {"type": "files", "output_dir": str(folder / "files"), "batch_size": 1_000_000}
        run_sync(warehouse, _config(files, FIELDS), "bench", SecretResolver({}))
        with duckdb.connect(str(warehouse)) as con:
            con.execute("""insert into marts.segment_memberships
                select 'bench', customer_id, now() from marts.customers
                where hash(customer_id) % 20 = 0""")
            con.execute(
                "update marts.customers set first_name = 'Changed' where hash(customer_id) % 20 = 1"
            )
            con.execute("delete from marts.segment_memberships where hash(customer_id) % 50 = 2")
        (folder / ".complete").touch()
    work = context.work_dir / f"diff-{run}"
    work.mkdir(parents=True, exist_ok=True)
    shutil.copy(folder / "cdp.duckdb", work / "cdp.duckdb")
    return {"warehouse": str(work / "cdp.duckdb")}


def _fake(kind: str, rate: float) -> Any:
    from activation.fakes.google import FakeGoogleDataManager
    from activation.fakes.hubspot import FakeHubSpot
    from activation.fakes.mailchimp import FakeMailchimp
    from activation.fakes.meta import FakeMeta
    from activation.fakes.webhook import FakeWebhook

    return {
        "mailchimp": lambda: FakeMailchimp(SECRET, "list", rate_limit=rate),
        "meta": lambda: FakeMeta(SECRET, "aud", rate_limit=rate),
        "google": lambda: FakeGoogleDataManager(SECRET, "1", "aud", rate_limit=rate),
        "hubspot": lambda: FakeHubSpot(SECRET, rate_limit=rate),
        "webhook": lambda: FakeWebhook(SECRET, rate_limit=rate, max_records=10_000),
    }[kind]()


def _received(kind: str, fake: Any) -> int:
    if kind == "hubspot":
        return len(fake.contacts)
    return len(fake.members)


def sync_throughput(warehouse: str, kind: str) -> dict[str, Any]:
    from activation.engine import run_sync
    from activation.secrets import SecretResolver

    settings, records = THROUGHPUT[kind]
    rate = settings["rate_limit_per_second"]
    with _fake(kind, rate) as fake:
        destination = {
            "type": kind,
            "secret": SECRET_NAME,
            **settings,
            "base_url": fake.url,
            "list_id": "list",
            "audience_id": "aud",
            "operating_account_id": "1",
            "url": f"{fake.url}/hook",
        }
        keys = {"type", "secret", "base_url", *settings}
        keys |= {
            "mailchimp": {"list_id"},
            "meta": {"audience_id"},
            "google": {"audience_id", "operating_account_id"},
            "hubspot": set(),
            "webhook": {"url"},
        }[kind]
        if kind == "webhook":
            keys.discard("base_url")
        secrets = SecretResolver({"DESTINATIONS__BENCH__KEY": SECRET})
        config = _config({k: v for k, v in destination.items() if k in keys}, FIELDS)
        started = time.perf_counter()
        result = run_sync(Path(warehouse), config, "bench", secrets)
        seconds = time.perf_counter() - started
        received, throttled = _received(kind, fake), fake.throttled
        accepted = fake.data_requests_at
    # The send window: first to last accepted data request, plus the one interval the rate
    # allows per request (so a single request counts as 1/rate seconds).
    window = accepted[-1] - accepted[0] + 1.0 / rate
    allowed_per_second = rate * settings["batch_size"]
    achieved = result.added / window
    return {
        "rows": result.added,
        "destination": kind,
        "records_per_second": round(achieved),
        "allowed_per_second": allowed_per_second,
        "share_of_allowed": round(achieved / allowed_per_second, 3),
        "sync_wall_seconds": round(seconds, 2),
        "lost": records - received,
        "failed": result.failed,
        "throttled_429s": throttled,
    }


def _throughput_warehouse(kind: str) -> Any:
    def kwargs(context: BenchContext, run: int) -> dict[str, Any]:
        work = context.work_dir / f"throughput-{kind}-{run}"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        build_marts(work / "cdp.duckdb", THROUGHPUT[kind][1])
        return {"warehouse": str(work / "cdp.duckdb"), "kind": kind}

    return kwargs


register(
    Stage(
        name="activation",
        description="sync diff of a 1M-member audience; throughput against each rate-limited fake",
        measurements=(
            Measurement(
                name="diff (1M members at M: 5% new, 5% changed, 2% leavers)",
                target="benchmarks.stages.activation:diff_audience",
                kwargs=_prepared_diff,
            ),
            *(
                Measurement(
                    name=f"sync throughput: {kind}",
                    target="benchmarks.stages.activation:sync_throughput",
                    kwargs=_throughput_warehouse(kind),
                )
                for kind in THROUGHPUT
            ),
        ),
    )
)
