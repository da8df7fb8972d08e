"""Loader behaviour on small hand-written deliveries: merges, reruns, bad rows, bad files."""

from __future__ import annotations

import functools
import logging
import shutil
from pathlib import Path

import dlt
import duckdb
import pytest
from landing_fixtures import (
    CAMPAIGN_PERFORMANCE_HEADER,
    CLICKS_HEADER,
    CONTACTS_HEADER,
    DEALS_HEADER,
    INSIGHTS_HEADER,
    SUBSCRIBED_HEADER,
    TRANSACTIONS_HEADER,
    UNSUBSCRIBED_HEADER,
    actions,
    activity,
    campaign_day,
    charge,
    click,
    contact,
    deal,
    insight,
    lead,
    member,
    query,
    snapshot,
    transaction,
    write,
)

from ingestion import pipelines
from ingestion.errors import MissingColumnsError, UnknownExportError
from ingestion.landing import sha256_of
from ingestion.pipelines import load_all
from ingestion.reading import ExportReader

pytestmark = pytest.mark.slow


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    return tmp_path / "landing"


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return tmp_path / "warehouse" / "cdp.duckdb"


def test_corrected_redelivery_in_a_later_run_replaces_the_record(landing, warehouse):
    write(landing, "hubspot/contacts_20261101.csv", CONTACTS_HEADER, contact("1"), contact("2"))
    load_all(landing, warehouse, ["hubspot"])
    write(
        landing,
        "hubspot/contacts_20261102_corrections.csv",
        CONTACTS_HEADER,
        contact("1", last_name="Nguyễn", modified="2026-11-02 08:00"),
    )
    (summary,) = load_all(landing, warehouse, ["hubspot"])
    assert (summary.files, summary.rows_loaded) == (1, 1)
    rows = query(warehouse, "select record_id, last_name from raw_hubspot.contacts order by 1")
    assert rows == [("1", "Nguyễn"), ("2", "Nguyen")]


def test_older_version_delivered_in_a_later_run_does_not_replace_the_newer(landing, warehouse):
    write(
        landing,
        "hubspot/contacts_20261102.csv",
        CONTACTS_HEADER,
        contact("1", last_name="Newer", modified="2026-11-02 08:00"),
    )
    load_all(landing, warehouse, ["hubspot"])
    write(
        landing,
        "hubspot/contacts_20261103_resend.csv",
        CONTACTS_HEADER,
        contact("1", last_name="Older", modified="2026-10-01 08:00"),
        contact("2", last_name="Fresh", modified="2026-10-01 08:00"),
    )
    (summary,) = load_all(landing, warehouse, ["hubspot"])
    assert (summary.rows_read, summary.rows_loaded) == (2, 2)
    rows = query(warehouse, "select record_id, last_name from raw_hubspot.contacts order by 1")
    assert rows == [("1", "Newer"), ("2", "Fresh")]


def test_newest_modified_time_wins_within_one_run_whatever_the_file_order(landing, warehouse):
    write(
        landing,
        "hubspot/contacts_20261101.csv",
        CONTACTS_HEADER,
        contact("1", last_name="Newer", modified="2026-11-03 08:00"),
    )
    write(
        landing,
        "hubspot/contacts_20261102_corrections.csv",
        CONTACTS_HEADER,
        contact("1", last_name="Older", modified="2026-11-01 08:00"),
    )
    load_all(landing, warehouse, ["hubspot"])
    assert query(warehouse, "select last_name from raw_hubspot.contacts") == [("Newer",)]


def test_newest_modified_time_wins_within_a_later_run_after_an_appended_first_delivery(
    landing, warehouse
):
    """The first delivery is appended; the next one merges and still keeps the newest row."""
    write(landing, "hubspot/contacts_20261101.csv", CONTACTS_HEADER, contact("1"), contact("1"))
    load_all(landing, warehouse, ["hubspot"])
    assert query(warehouse, "select count(*) from raw_hubspot.contacts") == [(1,)]
    write(
        landing,
        "hubspot/contacts_20261102.csv",
        CONTACTS_HEADER,
        contact("2", last_name="Newer", modified="2026-11-03 08:00"),
    )
    write(
        landing,
        "hubspot/contacts_20261103_corrections.csv",
        CONTACTS_HEADER,
        contact("2", last_name="Older", modified="2026-11-02 08:00"),
    )
    load_all(landing, warehouse, ["hubspot"])
    rows = query(warehouse, "select record_id, last_name from raw_hubspot.contacts order by 1")
    assert rows == [("1", "Nguyen"), ("2", "Newer")]


def test_unsubscribe_correction_turns_member_status_to_unsubscribed(landing, warehouse):
    write(landing, "mailchimp/subscribed_20261101.csv", SUBSCRIBED_HEADER, member("7"), member("8"))
    write(
        landing,
        "mailchimp/unsubscribed_20261102_corrections.csv",
        UNSUBSCRIBED_HEADER,
        member("7", changed="2026-11-02 10:00:00", extra=',"2026-11-02 10:00:00",,,"Other",'),
    )
    load_all(landing, warehouse, ["mailchimp"])
    rows = query(
        warehouse, "select leid, status, unsub_time is not null from raw_mailchimp.members"
    )
    assert sorted(rows) == [("7", "unsubscribed", True), ("8", "subscribed", False)]


def test_later_file_wins_for_exports_without_a_modified_time(landing, warehouse):
    write(
        landing,
        "vnpay/transactions_20261101.csv",
        TRANSACTIONS_HEADER,
        transaction("DH1", status="01"),
    )
    write(
        landing,
        "vnpay/transactions_20261102_corrections.csv",
        TRANSACTIONS_HEADER,
        transaction("DH1", status="00"),
    )
    load_all(landing, warehouse, ["vnpay"])
    rows = query(warehouse, "select vnp_txnref, vnp_transactionstatus from raw_vnpay.transactions")
    assert rows == [("DH1", "00")]


def test_rerun_loads_nothing_and_creates_no_load_package(landing, warehouse):
    write(landing, "stripe/charges_20261101.jsonl", charge("ch_1"), charge("ch_2"))
    write(landing, "mailchimp/campaign_activity_20261101.jsonl", activity("a@x.com"))
    load_all(landing, warehouse, ["stripe", "mailchimp"])
    loads_before = query(warehouse, "select count(*) from raw_stripe._dlt_loads")
    summaries = load_all(landing, warehouse, ["stripe", "mailchimp"])
    assert [(s.files, s.rows_read) for s in summaries] == [(0, 0), (0, 0)]
    assert query(warehouse, "select count(*) from raw_stripe._dlt_loads") == loads_before
    assert query(warehouse, "select count(*) from raw_stripe.charges") == [(2,)]
    assert query(warehouse, "select count(*) from raw_mailchimp.campaign_activity") == [(1,)]


def _count_hashed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    hashed: list[str] = []

    def counting(path: Path) -> str:
        hashed.append(path.name)
        return sha256_of(path)

    monkeypatch.setattr("ingestion.landing.sha256_of", counting)
    return hashed


def test_a_rerun_takes_loaded_files_hashes_from_the_ledger_without_reading_them(
    landing, warehouse, monkeypatch
):
    write(landing, "stripe/charges_20261101.jsonl", charge("ch_1"))
    load_all(landing, warehouse, ["stripe"])
    write(landing, "stripe/charges_20261102.jsonl", charge("ch_2"))
    hashed = _count_hashed(monkeypatch)
    (summary,) = load_all(landing, warehouse, ["stripe"])
    assert hashed == ["charges_20261102.jsonl"]
    assert (summary.files, summary.rows_loaded) == (1, 1)


def test_a_file_rewritten_in_place_is_hashed_again_and_loads_if_its_bytes_changed(
    landing, warehouse, monkeypatch
):
    path = write(landing, "stripe/charges_20261101.jsonl", charge("ch_1"))
    load_all(landing, warehouse, ["stripe"])
    hashed = _count_hashed(monkeypatch)
    path.touch()
    (untouched,) = load_all(landing, warehouse, ["stripe"])
    write(landing, "stripe/charges_20261101.jsonl", charge("ch_1"), charge("ch_2"))
    (rewritten,) = load_all(landing, warehouse, ["stripe"])
    assert hashed == ["charges_20261101.jsonl", "charges_20261101.jsonl"]
    assert (untouched.files, rewritten.files, rewritten.rows_loaded) == (0, 1, 2)
    assert query(warehouse, "select count(*) from raw_stripe.charges") == [(2,)]


def test_a_ledger_written_before_file_stamps_still_stops_reloads(landing, warehouse):
    write(landing, "stripe/charges_20261101.jsonl", charge("ch_1"))
    load_all(landing, warehouse, ["stripe"])
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("alter table raw_stripe._files drop column file_size")
        connection.execute("alter table raw_stripe._files drop column file_modified_ns")
    (summary,) = load_all(landing, warehouse, ["stripe"])
    assert summary.files == 0


def test_events_append_once_per_file(landing, warehouse):
    write(
        landing,
        "mailchimp/campaign_activity_20261101.jsonl",
        activity("a@x.com"),
        activity("a@x.com"),
    )
    load_all(landing, warehouse, ["mailchimp"])
    write(landing, "mailchimp/campaign_activity_20261102.jsonl", activity("b@x.com", "open"))
    load_all(landing, warehouse, ["mailchimp"])
    load_all(landing, warehouse, ["mailchimp"])
    rows = query(
        warehouse,
        "select _source_file, count(*) from raw_mailchimp.campaign_activity group by 1 order by 1",
    )
    assert rows == [
        ("mailchimp/campaign_activity_20261101.jsonl", 2),
        ("mailchimp/campaign_activity_20261102.jsonl", 1),
    ]


@pytest.mark.parametrize(
    ("relative", "lines", "line", "reason_part"),
    [
        (
            "hubspot/contacts_20261101.csv",
            [CONTACTS_HEADER, contact("1"), contact("2", modified="2026-02-30 25:61")],
            3,
            "last_modified_date: not a valid timestamp",
        ),
        (
            "hubspot/deals_20261101.csv",
            [DEALS_HEADER, deal("1", amount="1.2OO.000"), deal("2")],
            2,
            "amount: not a valid decimal",
        ),
        (
            "mailchimp/subscribed_20261101.csv",
            [SUBSCRIBED_HEADER, member("1"), member("2").replace('"Mai"', '"Mai', 1)],
            3,
            "broken quoting",
        ),
        (
            "mailchimp/campaign_activity_20261101.jsonl",
            [activity("a@x.com"), activity("b@x.com")[:40], activity("c@x.com")],
            2,
            "truncated or invalid JSON",
        ),
        (
            "stripe/charges_20261101.jsonl",
            [charge("ch_1"), charge("ch_2", amount='"N/A"')],
            2,
            "amount: not a valid integer: 'N/A'",
        ),
        (
            "vnpay/transactions_20261101.csv",
            [TRANSACTIONS_HEADER, transaction("DH1", amount="12,50"), transaction("DH2")],
            2,
            "vnp_amount: not a valid integer",
        ),
        (
            "vnpay/transactions_20261101.csv",
            [TRANSACTIONS_HEADER, transaction("DH1", paid="20261341120000"), transaction("DH2")],
            2,
            "vnp_paydate: not a valid timestamp",
        ),
        (
            "facebook_ads/insights_20261101.csv",
            [INSIGHTS_HEADER, insight("1"), insight("2") + ',"one field too many"'],
            3,
            "wrong number of fields",
        ),
        (
            "facebook_ads/leads_20261101.jsonl",
            [lead("1"), lead("2")[:-5]],
            2,
            "truncated or invalid JSON",
        ),
        (
            "google_ads/campaign_performance_20261101.csv",
            [CAMPAIGN_PERFORMANCE_HEADER, campaign_day("1", cost="N/A"), campaign_day("2")],
            2,
            "metrics_cost_micros: not a valid integer",
        ),
        (
            "google_ads/clicks_20261101.csv",
            [CLICKS_HEADER, click("Cj0a"), click("Cj0b", day="31/12/2026")],
            3,
            "segments_date: not a valid date",
        ),
    ],
    ids=lambda value: value if isinstance(value, str) and "/" in value else None,
)
def test_malformed_row_is_quarantined_with_line_text_and_reason(
    landing, warehouse, relative, lines, line, reason_part
):
    system = relative.split("/")[0]
    write(landing, relative, *lines)
    (summary,) = load_all(landing, warehouse, [system])
    rows = len(lines) - relative.endswith(".csv")
    assert (summary.rows_read, summary.rows_loaded, summary.rows_rejected) == (rows, rows - 1, 1)
    rejects = query(
        warehouse,
        "select source_file, source_line, raw_text, reason, export_type"
        f" from raw_{system}._rejects",
    )
    assert len(rejects) == 1
    source_file, source_line, raw_text, reason, export_type = rejects[0]
    assert (source_file, source_line, raw_text) == (relative, line, lines[line - 1])
    assert reason_part in reason
    assert export_type == relative.split("/")[1].rsplit("_", 1)[0]
    loaded = query(
        warehouse, f"select rows_read, rows_loaded, rows_rejected from raw_{system}._files"
    )
    assert loaded == [(rows, rows - 1, 1)]


def test_a_malformed_field_data_line_is_rejected_and_the_others_keep_their_answers(
    landing, warehouse
):
    """A `field_data` that is not a list of named `{name, values}` entries rejects its own line
    only; an entry without values is an answer left out (docs/raw-tables.md "Lists")."""
    lines = [
        lead("1"),
        lead("2", '[{"name": "email"}]'),
        lead("3", '[{"name": "email", "values": "x@y.z"}]'),
        lead("4", '[{"values": ["x@y.z"]}]'),
        lead("5", '"email=x@y.z"'),
        lead("6"),
    ]
    write(landing, "facebook_ads/leads_20261101.jsonl", *lines)
    (summary,) = load_all(landing, warehouse, ["facebook_ads"])
    assert (summary.rows_read, summary.rows_loaded, summary.rows_rejected) == (6, 3, 3)
    assert query(
        warehouse, "select source_line, raw_text, reason from raw_facebook_ads._rejects order by 1"
    ) == [
        (3, lines[2], "field_data: the values of 'email' are not a list of text: 'x@y.z'"),
        (4, lines[3], "field_data: an entry has no name: {'values': ['x@y.z']}"),
        (5, lines[4], "field_data: not a list of {name, values} objects: 'email=x@y.z'"),
    ]
    assert query(
        warehouse, "select id, field_data__email from raw_facebook_ads.leads order by id"
    ) == [("1", "lead1@gmail.com"), ("2", None), ("6", "lead6@gmail.com")]


def test_answer_names_spelled_two_ways_load_as_one_column_the_first_entry_winning(
    landing, warehouse
):
    """`"Email"` and `"email"` are one question (docs/raw-tables.md "Lists"); a line answering
    it twice keeps its first entry's answer."""
    write(
        landing,
        "facebook_ads/leads_20261101.jsonl",
        lead("1", '[{"name": "Email", "values": ["a@x.y"]}]'),
        lead("2", '[{"name": "email", "values": ["b@x.y"]}, {"name": "Email", "values": ["c"]}]'),
        lead("3", '[{"name": "Phone Number", "values": ["0912"]}]'),
        lead("4", '[{"name": "phone_number", "values": ["0913"]}]'),
    )
    (summary,) = load_all(landing, warehouse, ["facebook_ads"])
    assert (summary.rows_read, summary.rows_loaded, summary.rows_rejected) == (4, 4, 0)
    assert query(
        warehouse,
        "select id, field_data__email, field_data__phone_number"
        " from raw_facebook_ads.leads order by id",
    ) == [("1", "a@x.y", None), ("2", "b@x.y", None), ("3", None, "0912"), ("4", None, "0913")]


def test_keys_of_an_answer_entry_besides_name_and_values_reject_no_line(landing, warehouse):
    write(
        landing,
        "facebook_ads/leads_20261101.jsonl",
        lead("1", '[{"name": "email", "values": ["a@x.y"], "id": 7}]'),
        lead("2", '[{"name": "email", "values": ["b@x.y"], "id": "x"}]'),
        lead("3"),
    )
    (summary,) = load_all(landing, warehouse, ["facebook_ads"])
    assert (summary.rows_read, summary.rows_loaded, summary.rows_rejected) == (3, 3, 0)
    assert query(
        warehouse, "select id, field_data__email from raw_facebook_ads.leads order by id"
    ) == [("1", "a@x.y"), ("2", "b@x.y"), ("3", "lead3@gmail.com")]


def test_action_types_spelled_two_ways_load_as_one_column_the_first_entry_winning(
    landing, warehouse
):
    """Two spellings of one action type once made two columns of one name, and dlt's extract
    failed the run (docs/raw-tables.md "Lists")."""
    purchase = "offsite_conversion.fb_pixel_purchase"
    write(
        landing,
        "facebook_ads/insights_20261101.csv",
        INSIGHTS_HEADER,
        insight("1", actions=actions((purchase, "3"))),
        insight("2", actions=actions(("offsite_conversion_fb_pixel_purchase", "4"))),
        insight("3", actions=actions(("Lead", "1"), ("link_click", "9"), ("lead", "2"))),
    )
    (summary,) = load_all(landing, warehouse, ["facebook_ads"])
    assert (summary.rows_read, summary.rows_loaded, summary.rows_rejected) == (3, 3, 0)
    assert query(
        warehouse,
        "select ad_id, actions__offsite_conversion_fb_pixel_purchase, actions__lead"
        " from raw_facebook_ads.insights order by ad_id",
    ) == [("1", 3.0, None), ("2", 4.0, None), ("3", None, 1.0)]


def test_a_malformed_actions_entry_rejects_its_line_alone_and_the_rest_loads(landing, warehouse):
    """A value that is no number failed the whole run; an entry without an action_type was
    dropped, or made an `actions__none` column beside a line of no JSON; a row rejected for its
    date added its action types as columns (docs/raw-tables.md "Lists")."""
    bad_date = insight("5", actions=actions(("video_view", "2"))).replace(
        '"2026-03-04","2026-03-04"', '"2026-13-01","2026-03-04"'
    )
    insights = [
        INSIGHTS_HEADER,
        insight("1", actions=actions(("lead", "3"), ("link_click", "3.5"))),
        insight("2", actions=actions(("lead", "x"))),
        insight("3", actions='"[{""value"":""4""}]"'),
        insight("4", actions='"[{""action_type"":null,""value"":""4""}]"'),
        bad_date,
        insight("6", actions='"[{""action_type"":""lead""}]"'),
        insight("7", actions='"not json"'),
    ]
    write(landing, "facebook_ads/insights_20261101.csv", *insights)
    (summary,) = load_all(landing, warehouse, ["facebook_ads"])
    assert (summary.rows_read, summary.rows_loaded, summary.rows_rejected) == (7, 2, 5)
    assert query(
        warehouse,
        "select source_line, raw_text, reason from raw_facebook_ads._rejects order by 1",
    ) == [
        (3, insights[2], "actions: the value of 'lead' is not a number: 'x'"),
        (4, insights[3], "actions: an entry has no action_type: {'value': '4'}"),
        (
            5,
            insights[4],
            "actions: an entry has no action_type: {'action_type': None, 'value': '4'}",
        ),
        (6, insights[5], "date_start: not a valid date (%Y-%m-%d): '2026-13-01'"),
        (8, insights[7], "actions: not a JSON list: 'not json'"),
    ]
    assert query(
        warehouse,
        "select ad_id, actions__lead, actions__link_click from raw_facebook_ads.insights"
        " order by ad_id",
    ) == [("1", 3.0, 3.5), ("6", None, None)]
    assert query(
        warehouse,
        "select column_name from information_schema.columns where table_name = 'insights'"
        " and column_name like 'actions__%' order by 1",
    ) == [("actions__lead",), ("actions__link_click",)]


def test_a_file_whose_entries_all_lack_an_action_type_or_a_value_loads(landing, warehouse):
    """Such a file failed the whole run with a KeyError (`'action_type'`, `'value'`)."""
    no_type = insight("1", actions='"[{""value"":""4""}]"')
    write(landing, "facebook_ads/insights_20261101.csv", INSIGHTS_HEADER, no_type)
    write(
        landing,
        "facebook_ads/insights_20261102.csv",
        INSIGHTS_HEADER,
        insight("2", actions='"[{""action_type"":""lead""}]"'),
    )
    (summary,) = load_all(landing, warehouse, ["facebook_ads"])
    assert (summary.rows_read, summary.rows_loaded, summary.rows_rejected) == (2, 1, 1)
    assert query(
        warehouse, "select source_line, raw_text, reason from raw_facebook_ads._rejects"
    ) == [(2, no_type, "actions: an entry has no action_type: {'value': '4'}")]
    assert query(warehouse, "select ad_id, actions__lead from raw_facebook_ads.insights") == [
        ("2", None)
    ]


def test_a_name_without_a_z_or_0_9_rejects_its_line_naming_the_list_and_the_name(
    landing, warehouse
):
    """An action type or a Lead Ads answer name such as `!!` could name no column but
    `actions__` or `field_data__`: dlt read the first as `actions` and failed the run, and
    stored the second's answer as a `field_data` column."""
    insights = [
        INSIGHTS_HEADER,
        insight("1", actions=actions(("lead", "1"))),
        insight("2", actions=actions(("lead", "2"), ("!!", "3"))),
        insight("3", actions=actions(("", "4"))),
    ]
    leads = [lead("1"), lead("2", '[{"name": "!!", "values": ["x"]}]')]
    write(landing, "facebook_ads/insights_20261101.csv", *insights)
    write(landing, "facebook_ads/leads_20261101.jsonl", *leads)
    load_all(landing, warehouse, ["facebook_ads"])
    assert query(
        warehouse,
        "select source_file, source_line, raw_text, reason from raw_facebook_ads._rejects"
        " order by source_file, source_line",
    ) == [
        (
            "facebook_ads/insights_20261101.csv",
            3,
            insights[2],
            "actions: an entry's action_type has no a-z or 0-9 to name a column: '!!'",
        ),
        (
            "facebook_ads/insights_20261101.csv",
            4,
            insights[3],
            "actions: an entry has no action_type: {'action_type': '', 'value': '4'}",
        ),
        (
            "facebook_ads/leads_20261101.jsonl",
            2,
            leads[1],
            "field_data: an entry's name has no a-z or 0-9 to name a column: '!!'",
        ),
    ]
    assert query(warehouse, "select ad_id, actions__lead from raw_facebook_ads.insights") == [
        ("1", 1.0)
    ]
    assert query(
        warehouse,
        "select column_name from information_schema.columns where table_name = 'leads'"
        " and column_name like 'field_data%' order by 1",
    ) == [("field_data__email",), ("field_data__full_name",)]


def test_a_number_sent_as_a_json_string_is_rejected_however_its_key_is_spelled(landing, warehouse):
    """JSON values keep their JSON type (docs/raw-tables.md): `"9"` is no integer, whether the
    parser's check finds it by its key or the key is spelled with an escape, which hides it from
    that check until the typing."""
    write(landing, "stripe/charges_20261101.jsonl", charge("ch_1", amount='"9"'))
    escaped = charge("ch_2").replace('"amount": 12950', '"amoun\\u0074": "9"')
    write(landing, "stripe/charges_20261102.jsonl", escaped)
    write(landing, "stripe/charges_20261103.jsonl", charge("ch_3", amount="9"))
    load_all(landing, warehouse, ["stripe"])
    assert query(warehouse, "select id, amount from raw_stripe.charges") == [("ch_3", 9)]
    assert query(
        warehouse, "select source_file, reason from raw_stripe._rejects order by source_file"
    ) == [
        ("stripe/charges_20261101.jsonl", "amount: not a valid integer: '9'"),
        ("stripe/charges_20261102.jsonl", "amount: not a valid integer: '9'"),
    ]


def _refunded_columns(warehouse: Path) -> list[tuple[str, str]]:
    return query(
        warehouse,
        "select column_name, data_type from information_schema.columns where table_schema ="
        " 'raw_stripe' and table_name = 'charges' and starts_with(column_name, 'refunded')",
    )


def test_a_later_charge_whose_refunded_is_no_boolean_is_rejected_with_its_reason(
    landing, warehouse
):
    """Staging reads `refunded` (`is_refunded`), so it is declared: a later file's value that no
    boolean reads is a rejected line with its reason, not a `refunded__v_text` variant that
    would leave `is_refunded` null unnoticed. JSON booleans load as before, and the column
    keeps the boolean type Arrow gave it."""
    write(landing, "stripe/charges_20261101.jsonl", charge("ch_1", refunded="true"))
    load_all(landing, warehouse, ["stripe"])
    assert query(warehouse, "select id, refunded from raw_stripe.charges") == [("ch_1", True)]
    assert _refunded_columns(warehouse) == [("refunded", "BOOLEAN")]
    write(
        landing,
        "stripe/charges_20261102.jsonl",
        charge("ch_2", refunded='"maybe"'),
        charge("ch_3", refunded='{"at": 1}'),
        charge("ch_4", refunded="2"),
        charge("ch_5", refunded="false"),
    )
    (summary,) = load_all(landing, warehouse, ["stripe"])
    assert (summary.rows_read, summary.rows_loaded, summary.rows_rejected) == (4, 1, 3)
    assert query(warehouse, "select id, refunded from raw_stripe.charges order by id") == [
        ("ch_1", True),
        ("ch_5", False),
    ]
    assert query(warehouse, "select source_line, reason from raw_stripe._rejects order by 1") == [
        (1, "refunded: not a valid boolean: 'maybe'"),
        (2, "refunded: not a valid boolean: {'at': 1}"),
        (3, "refunded: not a valid boolean: '2'"),
    ]
    assert _refunded_columns(warehouse) == [("refunded", "BOOLEAN")]


def test_a_later_charge_whose_refunded_is_boolean_text_loads_as_that_boolean(landing, warehouse):
    """The declared column reads text as the coercion reads every boolean (HubSpot's too):
    `true`, `1`, `yes` and their opposites, in any case."""
    write(landing, "stripe/charges_20261101.jsonl", charge("ch_1", refunded="true"))
    load_all(landing, warehouse, ["stripe"])
    write(
        landing,
        "stripe/charges_20261102.jsonl",
        charge("ch_2", refunded='"yes"'),
        charge("ch_3", refunded='"true"'),
        charge("ch_4", refunded='"False"'),
    )
    (summary,) = load_all(landing, warehouse, ["stripe"])
    assert (summary.rows_loaded, summary.rows_rejected) == (3, 0)
    assert query(warehouse, "select id, refunded from raw_stripe.charges order by id") == [
        ("ch_1", True),
        ("ch_2", True),
        ("ch_3", True),
        ("ch_4", False),
    ]
    assert _refunded_columns(warehouse) == [("refunded", "BOOLEAN")]


def test_an_undeclared_key_of_two_json_types_in_one_file_loads_every_line_as_text(
    landing, warehouse
):
    """Valid lines are never rejected for what other lines hold (docs/raw-tables.md): the key
    is a number on two lines and text on one, so its column is text; the ledger reconciles."""
    notes = ["5", '"five"', "6", "null"]
    lines = [
        charge(f"ch_{i}").replace('"paid": true', f'"paid": true, "note": {note}')
        for i, note in enumerate(notes)
    ]
    write(landing, "stripe/charges_20261101.jsonl", *lines, charge("ch_x", amount='"N/A"'))
    (summary,) = load_all(landing, warehouse, ["stripe"])
    assert (summary.rows_read, summary.rows_loaded, summary.rows_rejected) == (5, 4, 1)
    assert query(warehouse, "select id, note, amount from raw_stripe.charges order by id") == [
        ("ch_0", "5", 12950),
        ("ch_1", "five", 12950),
        ("ch_2", "6", 12950),
        ("ch_3", None, 12950),
    ]
    assert query(warehouse, "select source_line, reason from raw_stripe._rejects") == [
        (5, "amount: not a valid integer: 'N/A'")
    ]
    assert query(
        warehouse, "select rows_read, rows_loaded, rows_rejected from raw_stripe._files"
    ) == [(5, 4, 1)]


def _charge_with_note(charge_id: str, note: str) -> str:
    return charge(charge_id).replace('"paid": true', f'"paid": true, "note": {note}')


def test_an_undeclared_key_of_another_json_type_in_a_later_file_of_the_run_loads_as_variant(
    landing, warehouse
):
    """The first file makes `note` a number column; the second file's text does not fit it and
    goes to `note__v_text`, as dlt puts a value that does not fit its column; nothing is lost."""
    write(landing, "stripe/charges_20261101.jsonl", _charge_with_note("ch_1", "5"))
    write(
        landing,
        "stripe/charges_20261102.jsonl",
        _charge_with_note("ch_2", '"five"'),
        _charge_with_note("ch_3", "null"),
    )
    (summary,) = load_all(landing, warehouse, ["stripe"])
    assert (summary.rows_read, summary.rows_loaded, summary.rows_rejected) == (3, 3, 0)
    assert query(
        warehouse, "select id, note, note__v_text from raw_stripe.charges order by id"
    ) == [("ch_1", 5, None), ("ch_2", None, "five"), ("ch_3", None, None)]
    assert query(
        warehouse,
        "select source_file, rows_read, rows_loaded, rows_rejected from raw_stripe._files"
        " order by 1",
    ) == [("stripe/charges_20261101.jsonl", 1, 1, 0), ("stripe/charges_20261102.jsonl", 2, 2, 0)]


def test_an_undeclared_key_of_another_json_type_in_a_later_chunk_of_one_file_loads_as_variant(
    landing, warehouse, monkeypatch
):
    """Chunks of one file are typed apart (a chunk is up to 64 MB; here one line each)."""
    monkeypatch.setattr(
        "ingestion.sources.ExportReader", functools.partial(ExportReader, chunk_bytes=64)
    )
    write(
        landing,
        "stripe/charges_20261101.jsonl",
        _charge_with_note("ch_1", "true"),
        _charge_with_note("ch_2", "[7]"),
        _charge_with_note("ch_3", "false"),
    )
    (summary,) = load_all(landing, warehouse, ["stripe"])
    assert (summary.rows_read, summary.rows_loaded, summary.rows_rejected) == (3, 3, 0)
    assert query(
        warehouse, "select id, note, note__v_text from raw_stripe.charges order by id"
    ) == [("ch_1", True, None), ("ch_2", None, "[7]"), ("ch_3", False, None)]


def test_an_undeclared_key_of_another_json_type_in_a_later_run_loads_and_poisons_no_run(
    landing, warehouse
):
    """The raw column is already a number; a later run's text goes to `note__v_text`, so does
    a fractional number that the whole-number column cannot hold (as its JSON text), while a
    whole one of the same file stays in `note`. The runs after that load normally: no failed
    package is left behind to be retried."""
    write(landing, "stripe/charges_20261101.jsonl", _charge_with_note("ch_1", "5"))
    load_all(landing, warehouse, ["stripe"])
    write(landing, "stripe/charges_20261102.jsonl", _charge_with_note("ch_2", '"five"'))
    (summary,) = load_all(landing, warehouse, ["stripe"])
    assert (summary.rows_read, summary.rows_loaded, summary.rows_rejected) == (1, 1, 0)
    write(
        landing,
        "stripe/charges_20261103.jsonl",
        _charge_with_note("ch_3", "7.5"),
        _charge_with_note("ch_4", "8.0"),
    )
    load_all(landing, warehouse, ["stripe"])
    write(landing, "stripe/charges_20261104.jsonl", _charge_with_note("ch_5", "6"))
    (summary,) = load_all(landing, warehouse, ["stripe"])
    assert (summary.files, summary.rows_loaded) == (1, 1)
    assert not pipelines.pipeline_for("stripe", warehouse).has_pending_data
    assert query(
        warehouse, "select id, note, note__v_text from raw_stripe.charges order by id"
    ) == [
        ("ch_1", 5, None),
        ("ch_2", None, "five"),
        ("ch_3", None, "7.5"),
        ("ch_4", 8, None),
        ("ch_5", 6, None),
    ]
    assert query(
        warehouse,
        "select data_type from information_schema.columns"
        " where table_schema = 'raw_stripe' and table_name = 'charges' and column_name = 'note'",
    ) == [("BIGINT",)]


def test_a_later_runs_text_in_a_number_column_loads_as_variant_after_the_working_folder_is_lost(
    landing, warehouse
):
    """The column types come from the warehouse itself: with dlt's working folder gone (a fresh
    `.dlt`, a restored warehouse) the raw column is still a number and the text still fits
    nowhere else than `note__v_text`."""
    write(landing, "stripe/charges_20261101.jsonl", _charge_with_note("ch_1", "5"))
    load_all(landing, warehouse, ["stripe"])
    shutil.rmtree(warehouse.parent / ".dlt")
    write(landing, "stripe/charges_20261102.jsonl", _charge_with_note("ch_2", '"five"'))
    (summary,) = load_all(landing, warehouse, ["stripe"])
    assert (summary.files, summary.rows_loaded, summary.rows_rejected) == (1, 1, 0)
    assert not pipelines.pipeline_for("stripe", warehouse).has_pending_data
    assert query(
        warehouse, "select id, note, note__v_text from raw_stripe.charges order by id"
    ) == [("ch_1", 5, None), ("ch_2", None, "five")]


@pytest.mark.parametrize(
    ("later_notes", "loaded"),
    [
        pytest.param(("6", "true"), ("6", "true"), id="numbers as their json text"),
        pytest.param(
            ('"2026-11-01T10:00:00+07:00"', '"2026-11-02T08:30:00Z"'),
            ("2026-11-01T10:00:00+07:00", "2026-11-02T08:30:00Z"),
            id="time strings as sent",
        ),
    ],
)
def test_an_undeclared_text_key_takes_a_later_runs_values_as_their_text(
    landing, warehouse, later_notes, loaded
):
    """A text column holds any JSON value as its text, with no variant (docs/raw-tables.md); a
    later file holding only times under the key loads each as the text its line sent, offset
    and all, not as the instant Arrow would read from it."""
    write(landing, "stripe/charges_20261101.jsonl", _charge_with_note("ch_1", '"five"'))
    load_all(landing, warehouse, ["stripe"])
    write(
        landing,
        "stripe/charges_20261102.jsonl",
        _charge_with_note("ch_2", later_notes[0]),
        _charge_with_note("ch_3", later_notes[1]),
    )
    load_all(landing, warehouse, ["stripe"])
    assert query(warehouse, "select id, note from raw_stripe.charges order by id") == [
        ("ch_1", "five"),
        ("ch_2", loaded[0]),
        ("ch_3", loaded[1]),
    ]
    columns = query(
        warehouse,
        "select column_name from information_schema.columns"
        " where table_schema = 'raw_stripe' and table_name = 'charges'",
    )
    assert ("note__v_text",) not in columns


def _charge_with(charge_id: str, key: str, value: str) -> str:
    return charge(charge_id).replace('"paid": true', f'"paid": true, "{key}": {value}')


def _column_types(warehouse: Path, prefix: str) -> list[tuple[str, str]]:
    return query(
        warehouse,
        "select column_name, data_type from information_schema.columns where table_schema ="
        f" 'raw_stripe' and table_name = 'charges' and column_name like '{prefix}%' order by 1",
    )


def test_an_undeclared_list_key_empty_in_the_first_chunk_takes_later_lists_in_its_json_column(
    landing, warehouse, monkeypatch
):
    """A chunk of `[]` only is `list<null>` to Arrow; that fixes no item type: lists with items
    in later chunks land in the same `JSON` column, not in `tags__v_text`."""
    monkeypatch.setattr(
        "ingestion.sources.ExportReader", functools.partial(ExportReader, chunk_bytes=64)
    )
    tags = ["[]", '["vip"]', '[{"k": 1}]', "[]"]
    lines = [_charge_with(f"ch_{i}", "tags", value) for i, value in enumerate(tags)]
    write(landing, "stripe/charges_20261101.jsonl", *lines)
    (summary,) = load_all(landing, warehouse, ["stripe"])
    assert (summary.rows_loaded, summary.rows_rejected) == (4, 0)
    assert _column_types(warehouse, "tags") == [("tags", "JSON")]
    assert query(warehouse, "select id, tags from raw_stripe.charges order by id") == [
        ("ch_0", "[]"),
        ("ch_1", '["vip"]'),
        ("ch_2", '[{"k":1}]'),
        ("ch_3", "[]"),
    ]


def test_an_undeclared_list_key_takes_later_runs_lists_and_sends_text_to_its_variant(
    landing, warehouse
):
    """The first run's `[]` made `tags` a `JSON` column. A later run's lists of any items load
    there, in a merge load as in the first; text goes to `tags__v_text` rather than fail the
    load (DuckDB cannot read `x` as JSON) and every run after it."""
    write(landing, "stripe/charges_20261101.jsonl", _charge_with("ch_1", "tags", "[]"))
    load_all(landing, warehouse, ["stripe"])
    write(landing, "stripe/charges_20261102.jsonl", _charge_with("ch_2", "tags", '["vip"]'))
    write(landing, "stripe/charges_20261103.jsonl", _charge_with("ch_3", "tags", '[{"k": 1}]'))
    write(landing, "stripe/charges_20261104.jsonl", _charge_with("ch_4", "tags", '"x"'))
    (summary,) = load_all(landing, warehouse, ["stripe"])
    assert (summary.files, summary.rows_loaded) == (3, 3)
    write(landing, "stripe/charges_20261105.jsonl", _charge_with("ch_5", "tags", "[7]"))
    (summary,) = load_all(landing, warehouse, ["stripe"])
    assert (summary.files, summary.rows_loaded) == (1, 1)
    assert not pipelines.pipeline_for("stripe", warehouse).has_pending_data
    assert _column_types(warehouse, "tags") == [("tags", "JSON"), ("tags__v_text", "VARCHAR")]
    assert query(
        warehouse, "select id, tags, tags__v_text from raw_stripe.charges order by id"
    ) == [
        ("ch_1", "[]", None),
        ("ch_2", '["vip"]', None),
        ("ch_3", '[{"k":1}]', None),
        ("ch_4", None, "x"),
        ("ch_5", "[7]", None),
    ]


def test_a_key_null_in_the_first_chunk_takes_later_values_as_json_text_in_its_text_column(
    landing, warehouse, monkeypatch
):
    """Null on every line of its first chunk, `score` is `varchar` (so the column exists) and
    the run's later numbers and lists load there as their JSON text, without a variant."""
    monkeypatch.setattr(
        "ingestion.sources.ExportReader", functools.partial(ExportReader, chunk_bytes=64)
    )
    scores = ["null", "7", "[]", '["vip"]']
    lines = [_charge_with(f"ch_{i}", "score", value) for i, value in enumerate(scores)]
    write(landing, "stripe/charges_20261101.jsonl", *lines)
    load_all(landing, warehouse, ["stripe"])
    assert _column_types(warehouse, "score") == [("score", "VARCHAR")]
    assert query(warehouse, "select id, score from raw_stripe.charges order by id") == [
        ("ch_0", None),
        ("ch_1", "7"),
        ("ch_2", "[]"),
        ("ch_3", '["vip"]'),
    ]


def test_a_key_null_on_every_line_of_its_first_run_takes_a_later_runs_numbers_as_text(
    landing, warehouse
):
    """The raw column is `varchar` from the first run on; nothing is lost, `7` reads `7`."""
    write(landing, "stripe/charges_20261101.jsonl", _charge_with("ch_1", "score", "null"))
    load_all(landing, warehouse, ["stripe"])
    write(landing, "stripe/charges_20261102.jsonl", _charge_with("ch_2", "score", "7"))
    load_all(landing, warehouse, ["stripe"])
    assert _column_types(warehouse, "score") == [("score", "VARCHAR")]
    assert query(warehouse, "select id, score from raw_stripe.charges order by id") == [
        ("ch_1", None),
        ("ch_2", "7"),
    ]


def test_a_key_of_empty_objects_adds_no_column_and_a_list_of_them_loads_as_its_json_text(
    landing, warehouse
):
    """Parquet cannot write an object without keys: `[{}]` failed the whole extract. `{}`
    itself adds no column, like a missing key; a later object's keys add theirs."""
    write(
        landing,
        "stripe/charges_20261101.jsonl",
        _charge_with("ch_1", "extra", '{}, "slots": [{}, {}]'),
    )
    load_all(landing, warehouse, ["stripe"])
    write(
        landing,
        "stripe/charges_20261102.jsonl",
        _charge_with("ch_2", "extra", '{"k": 1}, "slots": [{"a": 1}]'),
    )
    load_all(landing, warehouse, ["stripe"])
    assert _column_types(warehouse, "extra") == [("extra__k", "BIGINT")]
    assert _column_types(warehouse, "slots") == [("slots", "VARCHAR")]
    assert query(warehouse, "select id, slots, extra__k from raw_stripe.charges order by id") == [
        ("ch_1", "[{},{}]", None),
        ("ch_2", '[{"a":1}]', 1),
    ]


@pytest.mark.parametrize(
    ("relative", "lines", "missing"),
    [
        (
            "hubspot/contacts_20261103.csv",
            [CONTACTS_HEADER.replace("Record ID,", "")],
            ["record_id"],
        ),
        (
            "mailchimp/subscribed_20261103.csv",
            [SUBSCRIBED_HEADER.replace("LEID,", "").replace("LAST_CHANGED,", "")],
            ["leid", "last_changed"],
        ),
        (
            "stripe/charges_20261103.jsonl",
            ['{"id": "ch_9", "object": "charge"}'],
            ["amount", "currency", "created"],
        ),
        (
            "vnpay/transactions_20261103.csv",
            [TRANSACTIONS_HEADER.replace("vnp_Amount", "Amount")],
            ["vnp_amount"],
        ),
        (
            "facebook_ads/insights_20261103.csv",
            [INSIGHTS_HEADER.replace("spend", "cost")],
            ["spend"],
        ),
        (
            "google_ads/clicks_20261103.csv",
            [CLICKS_HEADER.replace("click_view.gclid", "gclid")],
            ["click_view_gclid"],
        ),
    ],
    ids=lambda value: value if isinstance(value, str) and "/" in value else None,
)
def test_wrong_header_fails_naming_file_and_columns_and_leaves_warehouse_unchanged(
    landing, warehouse, relative, lines, missing
):
    write(landing, "hubspot/contacts_20261101.csv", CONTACTS_HEADER, contact("1"))
    write(landing, "vnpay/transactions_20261101.csv", TRANSACTIONS_HEADER, transaction("DH1"))
    load_all(landing, warehouse)
    write(landing, "hubspot/contacts_20261102.csv", CONTACTS_HEADER, contact("2"))
    write(landing, relative, *lines)
    before = snapshot(warehouse)
    with pytest.raises(MissingColumnsError) as raised:
        load_all(landing, warehouse)
    assert relative in str(raised.value)
    assert raised.value.missing == missing
    assert all(name in str(raised.value) for name in missing)
    assert snapshot(warehouse) == before


def test_unknown_export_type_fails_naming_the_file_and_loads_nothing(landing, warehouse):
    write(landing, "hubspot/contacts_20261101.csv", CONTACTS_HEADER, contact("1"))
    write(landing, "hubspot/companies_20261101.csv", "Record ID,Name", '"1","Acme"')
    with pytest.raises(UnknownExportError, match=r"hubspot/companies_20261101\.csv"):
        load_all(landing, warehouse)
    assert not warehouse.exists()


def test_every_header_of_every_system_is_checked_before_any_file_is_hashed(
    landing, warehouse, monkeypatch
):
    write(landing, "hubspot/contacts_20261101.csv", CONTACTS_HEADER, contact("1"))
    write(
        landing,
        "google_ads/clicks_20261101.csv",
        CLICKS_HEADER.replace("click_view.gclid", "gclid"),
        click("g1"),
    )
    hashed = _count_hashed(monkeypatch)
    with pytest.raises(MissingColumnsError, match=r"google_ads/clicks_20261101\.csv"):
        load_all(landing, warehouse)
    assert hashed == []
    assert not warehouse.exists()


def test_empty_and_header_only_files_load_as_zero_rows(landing, warehouse):
    write(landing, "google_ads/clicks_20261101.csv", CLICKS_HEADER)
    write(landing, "google_ads/campaign_performance_20261101.csv")
    write(landing, "stripe/refunds_20261101.jsonl")
    summaries = load_all(landing, warehouse, ["google_ads", "stripe"])
    assert [(s.files, s.rows_read, s.rows_loaded, s.rows_rejected) for s in summaries] == [
        (2, 0, 0, 0),
        (1, 0, 0, 0),
    ]
    assert load_all(landing, warehouse, ["google_ads", "stripe"])[0].files == 0


def test_new_columns_are_kept(landing, warehouse):
    write(
        landing,
        "hubspot/contacts_20261101.csv",
        CONTACTS_HEADER + ",Favourite Colour",
        contact("1") + ',"teal"',
    )
    write(
        landing,
        "stripe/charges_20261101.jsonl",
        charge("ch_1")[:-1] + ', "shipping": {"city": "Hue"}}',
    )
    load_all(landing, warehouse, ["hubspot", "stripe"])
    assert query(warehouse, "select favourite_colour from raw_hubspot.contacts") == [("teal",)]
    assert query(warehouse, "select shipping__city from raw_stripe.charges") == [("Hue",)]


def test_json_keys_that_snake_case_alike_fill_one_column_across_deliveries_and_reruns(
    landing, warehouse
):
    """`Tag` and `tag` in one line, then `tag` alone in a later file, all load into `tag`;
    loading again adds nothing."""
    write(
        landing,
        "stripe/charges_20261101.jsonl",
        charge("ch_1")[:-1] + ', "Tag": "a", "tag": "b"}',
        charge("ch_2")[:-1] + ', "tag": "c"}',
    )
    load_all(landing, warehouse, ["stripe"])
    write(landing, "stripe/charges_20261102.jsonl", charge("ch_3")[:-1] + ', "TAG": "d"}')
    load_all(landing, warehouse, ["stripe"])
    load_all(landing, warehouse, ["stripe"])
    assert query(warehouse, "select id, tag from raw_stripe.charges order by id") == [
        ("ch_1", "a"),
        ("ch_2", "c"),
        ("ch_3", "d"),
    ]


def test_vietnamese_headers_and_answer_names_keep_their_letters_without_accents(landing, warehouse):
    """A header or Lead Ads question written in Vietnamese names its column by its letters
    without the accents (`đ` is `d`), not by the ASCII letters alone (`s_i_n_tho_i`)."""
    write(
        landing,
        "hubspot/contacts_20261101.csv",
        CONTACTS_HEADER + ",Tỉnh/Thành phố",
        contact("1") + ',"Đà Nẵng"',
    )
    write(
        landing,
        "facebook_ads/leads_20261101.jsonl",
        lead("1", '[{"name": "Số điện thoại", "values": ["0912"]}]'),
        lead("2", '[{"name": "so_dien_thoai", "values": ["0913"]}]'),
    )
    load_all(landing, warehouse, ["hubspot", "facebook_ads"])
    assert query(warehouse, "select tinh_thanh_pho from raw_hubspot.contacts") == [("Đà Nẵng",)]
    assert query(
        warehouse, "select id, field_data__so_dien_thoai from raw_facebook_ads.leads order by id"
    ) == [("1", "0912"), ("2", "0913")]


def test_headers_that_snake_case_alike_keep_a_column_each_numbered_past_any_header(
    landing, warehouse
):
    write(
        landing,
        "hubspot/contacts_20261101.csv",
        CONTACTS_HEADER + ",Tag,tag,Tag 2",
        contact("1") + ',"a","b","c"',
    )
    load_all(landing, warehouse, ["hubspot"])
    assert query(warehouse, "select tag, tag_2, tag_3 from raw_hubspot.contacts") == [
        ("a", "c", "b")
    ]


def test_columns_are_typed_and_lists_pivoted(landing, warehouse):
    write(landing, "vnpay/transactions_20261101.csv", TRANSACTIONS_HEADER, transaction("DH1"))
    write(
        landing,
        "facebook_ads/insights_20261101.csv",
        INSIGHTS_HEADER,
        insight("1", actions='"[{""action_type"":""lead"",""value"":""3""}]"'),
        insight("2"),
    )
    write(landing, "facebook_ads/leads_20261101.jsonl", lead("1"))
    load_all(landing, warehouse, ["vnpay", "facebook_ads"])
    assert query(
        warehouse,
        "select vnp_amount, cast(vnp_paydate at time zone 'UTC' as varchar)"
        " from raw_vnpay.transactions",
    ) == [(45000000, "2026-03-04 09:12:33")]
    assert query(
        warehouse, "select ad_id, actions__lead, spend from raw_facebook_ads.insights order by 1"
    ) == [("1", 3.0, 12.34), ("2", None, 12.34)]
    assert query(
        warehouse, "select field_data__email, field_data__full_name from raw_facebook_ads.leads"
    ) == [("lead1@gmail.com", "An Nguyen")]


def test_same_bytes_under_another_name_load_once(landing, warehouse):
    path = write(landing, "mailchimp/campaign_activity_20261101.jsonl", activity("a@x.com"))
    load_all(landing, warehouse, ["mailchimp"])
    shutil.copy(path, landing / "mailchimp" / "campaign_activity_20261101_again.jsonl")
    (summary,) = load_all(landing, warehouse, ["mailchimp"])
    assert summary.files == 0
    assert query(warehouse, "select count(*) from raw_mailchimp.campaign_activity") == [(1,)]


def test_a_load_with_rejects_and_a_merge_logs_no_dlt_warning(landing, warehouse):
    """The ledger and rejects tables declare exactly their own columns, and the appended first
    delivery drops the merge-only `dedup_sort` hint: dlt has nothing to warn about."""
    warnings: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno >= logging.WARNING:
                warnings.append(record.getMessage())

    handler = Collect()
    logging.getLogger("dlt").addHandler(handler)
    try:
        write(
            landing,
            "hubspot/contacts_20261101.csv",
            CONTACTS_HEADER,
            contact("1"),
            contact("2", modified="bad"),
        )
        load_all(landing, warehouse, ["hubspot"])
        write(landing, "hubspot/contacts_20261102.csv", CONTACTS_HEADER, contact("3"))
        load_all(landing, warehouse, ["hubspot"])
    finally:
        logging.getLogger("dlt").removeHandler(handler)
    assert warnings == []


def test_loads_committed_before_a_failed_extract_are_reported_before_the_failure(
    landing, warehouse, monkeypatch
):
    write(landing, "hubspot/contacts_20261101.csv", CONTACTS_HEADER, contact("1"))
    write(landing, "mailchimp/campaign_activity_20261101.jsonl", activity("a@x.com"))

    def broken_source(*_: object) -> None:
        raise OSError("the export share went away")

    monkeypatch.setitem(pipelines.SOURCES, "mailchimp", broken_source)
    reported = []
    with pytest.raises(OSError, match="export share"):
        reported.extend(pipelines.loads(landing, warehouse, ["hubspot", "mailchimp"]))

    assert [(summary.system, summary.rows_loaded) for summary in reported] == [("hubspot", 1)]
    assert query(warehouse, "select count(*) from raw_hubspot.contacts") == [(1,)]


def test_a_failed_load_hides_no_later_load_and_the_next_run_loads_its_files_once(
    landing, warehouse, monkeypatch
):
    write(landing, "hubspot/contacts_20261101.csv", CONTACTS_HEADER, contact("1"))
    write(landing, "stripe/charges_20261101.jsonl", charge("ch_1"))
    load = dlt.Pipeline.load

    def hubspot_fails(self: dlt.Pipeline, *args: object, **kwargs: object) -> object:
        if self.pipeline_name.endswith("_hubspot"):
            raise OSError("disk full")
        return load(self, *args, **kwargs)

    monkeypatch.setattr(dlt.Pipeline, "load", hubspot_fails)
    reported = []
    with pytest.raises(OSError, match="disk full"):
        reported.extend(pipelines.loads(landing, warehouse, ["hubspot", "stripe"]))
    assert [(summary.system, summary.rows_loaded) for summary in reported] == [("stripe", 1)]

    monkeypatch.setattr(dlt.Pipeline, "load", load)
    again = load_all(landing, warehouse, ["hubspot", "stripe"])
    assert [(summary.system, summary.files) for summary in again] == [("hubspot", 0), ("stripe", 0)]
    assert query(warehouse, "select count(*) from raw_hubspot.contacts") == [(1,)]
    assert query(warehouse, "select count(*) from raw_hubspot._files") == [(1,)]
    assert query(warehouse, "select count(*) from raw_stripe.charges") == [(1,)]


def test_an_impossible_day_of_a_date_or_time_is_rejected_not_rolled_into_the_next_month(
    landing, warehouse
):
    """Arrow's strptime reads `2026-02-30` as 2026-03-02; the line is rejected instead."""
    write(
        landing,
        "hubspot/contacts_20261101.csv",
        CONTACTS_HEADER,
        contact("1", modified="2026-02-30 10:00"),
        contact("2", modified="2024-02-29 10:00"),
    )
    write(
        landing,
        "vnpay/transactions_20261101.csv",
        TRANSACTIONS_HEADER,
        transaction("DH1", paid="20250229120000"),
        transaction("DH2", paid="20260331120000"),
    )
    write(
        landing,
        "google_ads/clicks_20261101.csv",
        CLICKS_HEADER,
        click("Cj0a", day="2026-04-31"),
        click("Cj0b", day="2026-04-30"),
    )
    load_all(landing, warehouse, ["hubspot", "vnpay", "google_ads"])
    assert query(warehouse, "select record_id from raw_hubspot.contacts") == [("2",)]
    assert query(warehouse, "select vnp_txnref from raw_vnpay.transactions") == [("DH2",)]
    assert query(warehouse, "select click_view_gclid from raw_google_ads.clicks") == [("Cj0b",)]
    reasons = [
        query(warehouse, f"select source_line, reason from raw_{system}._rejects")
        for system in ("hubspot", "vnpay", "google_ads")
    ]
    assert reasons == [
        [(2, "last_modified_date: not a valid timestamp (%Y-%m-%d %H:%M): '2026-02-30 10:00'")],
        [(2, "vnp_paydate: not a valid timestamp (%Y%m%d%H%M%S): '20250229120000'")],
        [(2, "segments_date: not a valid date (%Y-%m-%d): '2026-04-31'")],
    ]


def test_a_number_beyond_its_column_type_rejects_its_line_and_the_rest_loads(landing, warehouse):
    """A 21-digit count failed the cast of the whole column, so the whole load; 400 digits of a
    decimal read as infinity."""
    write(
        landing,
        "facebook_ads/insights_20261101.csv",
        INSIGHTS_HEADER,
        insight("1").replace('"1000"', '"123456789012345678901"'),
        insight("2").replace('"1000"', '"9223372036854775807"'),
    )
    write(landing, "hubspot/deals_20261101.csv", DEALS_HEADER, deal("1", "9" * 400), deal("2"))
    write(
        landing,
        "stripe/charges_20261101.jsonl",
        charge("ch_1", amount="123456789012345678901"),
        charge("ch_2"),
    )
    load_all(landing, warehouse, ["facebook_ads", "hubspot", "stripe"])
    assert query(warehouse, "select ad_id, impressions from raw_facebook_ads.insights") == [
        ("2", 9223372036854775807)
    ]
    assert query(warehouse, "select record_id from raw_hubspot.deals") == [("2",)]
    assert query(warehouse, "select id, amount from raw_stripe.charges") == [("ch_2", 12950)]
    reasons = [
        query(warehouse, f"select source_line, reason from raw_{system}._rejects")
        for system in ("facebook_ads", "stripe")
    ]
    assert reasons == [
        [(2, "impressions: not a valid integer: '123456789012345678901'")],
        [(1, "amount: not a valid integer: 1.2345678901234568e+20")],
    ]
    (deal_reason,) = query(warehouse, "select reason from raw_hubspot._rejects")
    assert deal_reason[0].startswith("amount: not a valid decimal: '999")


def test_a_json_integer_a_double_cannot_hold_exactly_is_rejected_not_rounded(landing, warehouse):
    """One integer beyond int64 makes Arrow read the file's column as double, where
    9007199254740993 would load as ...992: from 2**53 on, a double holds no integer for sure."""
    write(
        landing,
        "stripe/charges_20261101.jsonl",
        charge("ch_1", amount="123456789012345678901"),
        charge("ch_2", amount="9007199254740993"),
        charge("ch_3", amount="9007199254740991"),
    )
    load_all(landing, warehouse, ["stripe"])
    assert query(warehouse, "select id, amount from raw_stripe.charges") == [
        ("ch_3", 9007199254740991)
    ]
    assert [
        line
        for (line,) in query(warehouse, "select source_line from raw_stripe._rejects order by 1")
    ] == [1, 2]
