"""Small DuckDB warehouses with the mart columns activation reads (docs/contracts.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

CUSTOMERS_DDL = """
create table marts.customers (
    customer_id varchar primary key, email varchar, phone varchar, first_name varchar,
    last_name varchar, country varchar, city varchar, lifecycle_stage varchar,
    first_seen_at timestamp, last_seen_at timestamp, email_marketing_consent boolean,
    ads_consent boolean, source_record_count integer
)"""
TRAITS_DDL = """
create table marts.customer_traits (
    customer_id varchar primary key, orders_count integer, revenue_usd decimal(18, 2),
    lifetime_revenue_usd decimal(18, 2), rfm_segment varchar, is_unsubscribed boolean,
    is_bounced boolean
)"""
MEMBERSHIPS_DDL = """
create table marts.segment_memberships (segment varchar, customer_id varchar, entered_at timestamp)
"""


@dataclass
class Person:
    customer_id: str
    email: str | None
    phone: str | None = None
    first_name: str | None = "Ann"
    last_name: str | None = "Lee"
    country: str | None = "US"
    email_consent: bool | None = True
    ads_consent: bool | None = True
    revenue: float = 10.0
    unsubscribed: bool = False
    bounced: bool = False
    segments: list[str] = field(default_factory=lambda: ["vip"])


def people(count: int, prefix: str = "c") -> list[Person]:
    return [
        Person(f"{prefix}{i:05d}", f"user{i}@example.com", f"+1415555{i % 10000:04d}")
        for i in range(count)
    ]


def build_warehouse(path: Path, members: list[Person]) -> Path:
    conn = duckdb.connect(str(path))
    conn.execute("create schema if not exists marts")
    for statement in ("customers", "customer_traits", "segment_memberships"):
        conn.execute(f"drop table if exists marts.{statement}")
    conn.execute(CUSTOMERS_DDL)
    conn.execute(TRAITS_DDL)
    conn.execute(MEMBERSHIPS_DDL)
    conn.executemany(
        "insert into marts.customers values (?, ?, ?, ?, ?, ?, 'Hanoi', 'customer', now(), now(),"
        " ?, ?, 1)",
        [[p.customer_id, p.email, p.phone, p.first_name, p.last_name, p.country, p.email_consent,
          p.ads_consent] for p in members],
    )  # fmt: skip
    conn.executemany(
        "insert into marts.customer_traits values (?, 1, ?, ?, 'champions', ?, ?)",
        [[p.customer_id, p.revenue, p.revenue, p.unsubscribed, p.bounced] for p in members],
    )
    conn.executemany(
        "insert into marts.segment_memberships values (?, ?, now())",
        [[segment, p.customer_id] for p in members for segment in p.segments],
    )
    conn.close()
    return path


def update(path: Path, sql: str, params: list[object] | None = None) -> None:
    conn = duckdb.connect(str(path))
    conn.execute(sql, params or [])
    conn.close()


def query(path: Path, sql: str, params: list[object] | None = None) -> list[tuple]:
    conn = duckdb.connect(str(path))
    try:
        return conn.execute(sql, params or []).fetchall()
    finally:
        conn.close()
