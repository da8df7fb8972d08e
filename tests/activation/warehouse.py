"""Small DuckDB warehouses with the mart columns activation reads (docs/contracts.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

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
    customers = pa.Table.from_pylist(
        [
            {
                "customer_id": p.customer_id,
                "email": p.email,
                "phone": p.phone,
                "first_name": p.first_name,
                "last_name": p.last_name,
                "country": p.country,
                "email_consent": p.email_consent,
                "ads_consent": p.ads_consent,
            }
            for p in members
        ]
    )
    traits = pa.Table.from_pylist(
        [
            {
                "customer_id": p.customer_id,
                "revenue": p.revenue,
                "unsubscribed": p.unsubscribed,
                "bounced": p.bounced,
            }
            for p in members
        ]
    )
    memberships = pa.Table.from_pylist(
        [{"segment": s, "customer_id": p.customer_id} for p in members for s in p.segments],
        schema=pa.schema([("segment", pa.string()), ("customer_id", pa.string())]),
    )
    conn.register("new_customers", customers)
    conn.register("new_traits", traits)
    conn.register("new_memberships", memberships)
    conn.execute(
        "insert into marts.customers select customer_id, email, phone, first_name, last_name,"
        " country, 'Hanoi', 'customer', now(), now(), email_consent, ads_consent, 1"
        " from new_customers"
    )
    conn.execute(
        "insert into marts.customer_traits select customer_id, 1, revenue, revenue, 'champions',"
        " unsubscribed, bounced from new_traits"
    )
    conn.execute(
        "insert into marts.segment_memberships select segment, customer_id, now()"
        " from new_memberships"
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
