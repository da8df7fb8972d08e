"""Consent provenance on the built S sample, and precedence end to end: new export files with a
HubSpot opt-out, then a newer Mailchimp signup, go through ingestion and dbt and move the
customer's consent (the precedence cases themselves are dbt unit tests in _consent__models.yml)."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import duckdb
import pytest

from ingestion.pipelines import load_all
from orchestration.dbt_runner import run_dbt

pytestmark = pytest.mark.slow

CONSENT_MODELS = ["stg_hubspot__contacts+", "stg_mailchimp__members+"]


def rows(warehouse: Path, sql: str, params: list[object] | None = None) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def test_customers_consent_flags_equal_todays_consent(built_warehouse: Path) -> None:
    mismatches = rows(
        built_warehouse,
        "select count(*) from marts.customers c join marts.customer_consent k using (customer_id) "
        "where (k.status = 'granted') <> case k.channel when 'email_marketing' "
        "then c.email_marketing_consent else c.ads_consent end",
    )
    per_customer = rows(
        built_warehouse,
        "select count(*), count(distinct customer_id) * 2 from marts.customer_consent",
    )
    customers = rows(built_warehouse, "select count(*) * 2 from marts.customers")
    assert mismatches == [(0,)]
    assert per_customer[0][0] == per_customer[0][1] == customers[0][0]


def test_history_keeps_every_signal_and_exactly_one_current_per_customer_and_channel(
    built_warehouse: Path,
) -> None:
    current_counts = rows(
        built_warehouse,
        "select distinct current_rows from (select count(*) filter (where is_current) as"
        " current_rows from marts.customer_consent_history group by customer_id, channel)",
    )
    unsubscribed_members = rows(
        built_warehouse,
        "select count(*) from staging.stg_mailchimp__members m where status = 'unsubscribed'"
        " and not exists (select 1 from marts.customer_consent_history h where h.channel ="
        " 'email_marketing' and h.source_record_id = m.member_id and h.signal = 'opt_in')",
    )
    both_signals = rows(
        built_warehouse,
        "select count(*) from (select source_record_id from marts.customer_consent_history"
        " where channel = 'email_marketing' and source_table = 'members' group by 1"
        " having count(distinct signal) = 2)",
    )
    assert current_counts == [(1,)]
    assert unsubscribed_members == [(0,)]
    assert both_signals[0][0] > 0


def test_no_current_grant_has_a_newer_or_simultaneous_denial(built_warehouse: Path) -> None:
    overridden = rows(
        built_warehouse,
        "select count(*) from marts.customer_consent_history g"
        " join marts.customer_consent_history d using (customer_id, channel)"
        " where g.is_current and g.status = 'granted' and d.status = 'denied'"
        " and d.occurred_at >= g.occurred_at",
    )
    assert overridden == [(0,)]


def _latest_row(folder: Path, pattern: str, key: str, value: str) -> tuple[list[str], dict]:
    found: dict[str, str] | None = None
    header: list[str] = []
    for path in sorted(folder.glob(pattern)):
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            header = list(reader.fieldnames or [])
            for row in reader:
                if row[key] == value:
                    found = row
    assert found is not None, f"{key}={value} not in {pattern}"
    return header, found


def _deliver(path: Path, header: list[str], row: dict[str, str]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerow(row)


def _consent(warehouse: Path, customer_id: str) -> dict[str, tuple]:
    return {
        channel: (status, signal, source, rule)
        for channel, status, signal, source, rule in rows(
            warehouse,
            "select channel, status, signal, source, rule from marts.customer_consent"
            " where customer_id = ?",
            [customer_id],
        )
    }


def test_newer_opt_out_denies_a_newer_signup_grants_again_and_history_survives_reruns(
    built_warehouse: Path, landing_copy: Path, tmp_path: Path
) -> None:
    warehouse = tmp_path / "cdp.duckdb"
    shutil.copy(built_warehouse, warehouse)
    customer_id, contact_id, member_id = rows(
        warehouse,
        "select k.customer_id, hs.source_record_id, k.source_record_id"
        " from marts.customer_consent k"
        " join marts.customer_source_records hs on hs.customer_id = k.customer_id"
        " and hs.source = 'hubspot' and hs.source_table = 'contacts'"
        " where k.channel = 'email_marketing' and k.status = 'granted' and k.signal = 'opt_in'"
        " order by k.customer_id limit 1",
    )[0]

    header_contact, contact = _latest_row(
        landing_copy / "hubspot", "contacts_*.csv", "Record ID", contact_id
    )
    contact.update(
        {"Unsubscribed from all email": "true", "Last Modified Date": "2026-11-03 08:00"}
    )
    _deliver(landing_copy / "hubspot" / "contacts_20261103_optout.csv", header_contact, contact)
    load_all(landing_copy, warehouse, systems=["hubspot"])
    run_dbt(
        ["run", "--select", *CONSENT_MODELS], warehouse, target_dir=tmp_path / "t1"
    ).raise_on_failure()

    after_opt_out = _consent(warehouse, customer_id)
    flags = rows(
        warehouse,
        "select email_marketing_consent, ads_consent, is_unsubscribed from marts.customers"
        " where customer_id = ?",
        [customer_id],
    )

    header, member = _latest_row(landing_copy / "mailchimp", "subscribed_*.csv", "LEID", member_id)
    member.update(
        {
            "OPTIN_TIME": "2026-11-04 09:00:00",
            "CONFIRM_TIME": "2026-11-04 09:05:00",
            "LAST_CHANGED": "2026-11-04 09:05:00",
        }
    )
    _deliver(landing_copy / "mailchimp" / "subscribed_20261104_resignup.csv", header, member)
    load_all(landing_copy, warehouse, systems=["mailchimp"])
    run_dbt(
        ["run", "--select", *CONSENT_MODELS], warehouse, target_dir=tmp_path / "t2"
    ).raise_on_failure()

    after_signup = _consent(warehouse, customer_id)
    history = rows(
        warehouse,
        "select signal, source, is_current, rule from marts.customer_consent_history"
        " where customer_id = ? and channel = 'email_marketing' order by occurred_at",
        [customer_id],
    )
    opt_ins_of_the_member = rows(
        warehouse,
        "select count(*) from marts.customer_consent_history where channel = 'email_marketing'"
        " and source_record_id = ? and signal = 'opt_in'",
        [member_id],
    )

    contact.update(
        {"Unsubscribed from all email": "false", "Last Modified Date": "2026-11-05 10:00"}
    )
    _deliver(
        landing_copy / "hubspot" / "contacts_20261105_resubscribed.csv", header_contact, contact
    )
    load_all(landing_copy, warehouse, systems=["hubspot"])
    run_dbt(
        ["run", "--select", *CONSENT_MODELS], warehouse, target_dir=tmp_path / "t3"
    ).raise_on_failure()
    latest = rows(
        warehouse,
        "select signal, source, is_current, rule from marts.customer_consent_history"
        " where customer_id = ? and channel = 'ads' order by occurred_at desc limit 1",
        [customer_id],
    )

    assert after_opt_out["email_marketing"] == ("denied", "opt_out", "hubspot", "latest_signal")
    assert after_opt_out["ads"] == ("denied", "opt_out", "hubspot", "latest_signal")
    assert flags == [(False, False, True)]
    assert after_signup["email_marketing"] == ("granted", "opt_in", "mailchimp", "latest_signal")
    assert after_signup["ads"] == ("granted", "opt_in", "mailchimp", "latest_signal")
    assert history[-2:] == [
        ("opt_out", "hubspot", False, "superseded"),
        ("opt_in", "mailchimp", True, "latest_signal"),
    ]
    assert opt_ins_of_the_member == [(2,)], "the first signup stays in the history"
    assert latest == [("opt_in", "hubspot", True, "latest_signal")]
