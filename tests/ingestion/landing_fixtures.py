"""Small hand-written landing files, one builder per export type, for the ingestion tests."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb

CONTACTS_HEADER = (
    "Record ID,First Name,Last Name,Email,Phone Number,Contact owner,Lifecycle Stage,Lead Status,"
    "Create Date,Last Modified Date,Last Activity Date,Associated Company,Job Title,City,"
    "Country/Region,Original Source,UTM Source,UTM Medium,UTM Campaign,Google ad click id,"
    "Unsubscribed from all email"
)
DEALS_HEADER = (
    "Record ID,Deal Name,Deal Stage,Amount,Currency,Close Date,Deal owner,Pipeline,Create Date,"
    "Last Modified Date,Associated Contact"
)
SUBSCRIBED_HEADER = (
    "Email Address,First Name,Last Name,Phone Number,MEMBER_RATING,OPTIN_TIME,OPTIN_IP,"
    "CONFIRM_TIME,CONFIRM_IP,LATITUDE,LONGITUDE,GMTOFF,DSTOFF,TIMEZONE,CC,REGION,LAST_CHANGED,"
    "LEID,EUID,NOTES,TAGS"
)
UNSUBSCRIBED_HEADER = (
    SUBSCRIBED_HEADER
    + ",UNSUB_TIME,UNSUB_CAMPAIGN_TITLE,UNSUB_CAMPAIGN_ID,UNSUB_REASON,UNSUB_REASON_OTHER"
)
TRANSACTIONS_HEADER = (
    "vnp_TmnCode,vnp_TxnRef,vnp_OrderInfo,vnp_Amount,vnp_BankCode,vnp_BankTranNo,vnp_CardType,"
    "vnp_PayDate,vnp_TransactionNo,vnp_ResponseCode,vnp_TransactionStatus,vnp_Bill_Mobile,"
    "vnp_Bill_Email,vnp_Bill_FirstName,vnp_Bill_LastName,vnp_Bill_City,vnp_Bill_Country"
)
INSIGHTS_HEADER = (
    "campaign_id,campaign_name,adset_id,adset_name,ad_id,ad_name,date_start,date_stop,"
    "impressions,reach,clicks,spend,account_currency,actions"
)
CAMPAIGN_PERFORMANCE_HEADER = (
    "segments.date,customer.id,customer.currency_code,campaign.id,campaign.name,"
    "campaign.advertising_channel_type,metrics.impressions,metrics.clicks,metrics.cost_micros,"
    "metrics.conversions,metrics.conversions_value"
)
CLICKS_HEADER = (
    "click_view.gclid,segments.date,customer.id,campaign.id,campaign.name,ad_group.id,"
    "ad_group.name,click_view.keyword_info.text,click_view.keyword_info.match_type,"
    "segments.device,segments.click_type"
)


def contact(record_id: str, last_name: str = "Nguyen", modified: str = "2026-11-01 08:00") -> str:
    return (
        f'"{record_id}","An","{last_name}","an{record_id}@gmail.com","0912 345 678",,"Lead",,'
        f'"2026-03-04 09:12","{modified}",,,,"Hà Nội","Vietnam","Organic Search",,,,,"false"'
    )


def deal(record_id: str, amount: str = "1250000") -> str:
    return (
        f'"{record_id}","Deal {record_id}","Closed Won","{amount}","VND","2026-03-04",,'
        f'"Sales Pipeline","2026-03-01 10:00","2026-03-04 10:00","1"'
    )


def member(leid: str, changed: str = "2026-11-01 09:00:00", extra: str = "") -> str:
    return (
        f'"m{leid}@gmail.com","Mai","Tran",,"3","2026-01-01 10:00:00",,"2026-01-01 10:05:00",,'
        f',,"7","7","Asia/Ho_Chi_Minh","VN",,"{changed}","{leid}","abcdef0123",,{extra}'
    )


def transaction(ref: str, amount: str = "45000000", status: str = "00", paid: str = "") -> str:
    return (
        f'"CDPSHOP1","{ref}","Thanh toan don hang {ref}","{amount}","NCB","VNP1","ATM",'
        f'"{paid or "20260304161233"}","14000001","00","{status}","0912345678",'
        f'"buyer{ref}@gmail.com","An","Nguyễn","Hà Nội","VN"'
    )


def insight(ad_id: str, spend: str = "12.34", actions: str = "") -> str:
    return (
        f'"120210000000000101","Tet","120210000000000201","VN 25-34","{ad_id}","Video",'
        f'"2026-03-04","2026-03-04","1000","900","41","{spend}","USD",{actions}'
    )


def actions(*entries: tuple[str, str]) -> str:
    """An insights `actions` field: Meta's JSON list of `{action_type, value}`, CSV-quoted."""
    listed = ",".join(
        f'{{""action_type"":""{kind}"",""value"":""{value}""}}' for kind, value in entries
    )
    return f'"[{listed}]"'


def campaign_day(campaign_id: str, cost: str = "12340000") -> str:
    return (
        f'"2026-03-04","1234567890","USD","{campaign_id}","Search VN","SEARCH","1000","12",'
        f'"{cost}","3.0","129.5"'
    )


def click(gclid: str, day: str = "2026-03-04") -> str:
    return (
        f'"{gclid}","{day}","1234567890","111","Search VN","222","Brand","giay the thao",'
        f'"BROAD","MOBILE","URL_CLICKS"'
    )


def charge(charge_id: str, amount: str = "12950", refunded: str = "false") -> str:
    return (
        f'{{"id": "{charge_id}", "object": "charge", "amount": {amount}, "amount_captured": 12950,'
        f' "amount_refunded": 0, "billing_details": {{"address": {{"city": "Austin",'
        f' "country": "US"}}, "email": "a@b.com", "name": "A B", "phone": null}},'
        f' "created": 1772615553, "currency": "usd", "customer": "cus_1", "metadata":'
        f' {{"order_id": "o-{charge_id}"}}, "paid": true, "refunded": {refunded},'
        f' "status": "succeeded"}}'
    )


def activity(email: str, action: str = "sent") -> str:
    return (
        f'{{"campaign_id": "a1b2c3d4e5", "list_id": "9f8e7d6c5b", "email_address": "{email}",'
        f' "action": "{action}", "timestamp": "2026-03-04T09:12:33+00:00", "url": null,'
        f' "ip": null}}'
    )


def lead(lead_id: str, field_data: str | None = None) -> str:
    answers = field_data or (
        f'[{{"name": "full_name", "values": ["An Nguyen"]}},'
        f' {{"name": "email", "values": ["lead{lead_id}@gmail.com"]}}]'
    )
    return (
        f'{{"id": "{lead_id}", "created_time": "2026-03-04T09:12:33+0000", "ad_id": "3",'
        f' "ad_name": "a", "adset_id": "2", "adset_name": "s", "campaign_id": "1",'
        f' "campaign_name": "c", "form_id": "9", "platform": "fb", "field_data": {answers}}}'
    )


def write(landing: Path, relative: str, *lines: str) -> Path:
    """A landing file `<system>/<name>` holding the lines, each ending with a newline."""
    path = landing / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


def query(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def snapshot(warehouse: Path) -> tuple[str, dict[str, int]]:
    """The warehouse file's bytes digest and the row count of every table in it."""
    digest = hashlib.sha256(warehouse.read_bytes()).hexdigest()
    rows = query(
        warehouse,
        "select schema_name || '.' || table_name, estimated_size from duckdb_tables()",
    )
    counts = {name: query(warehouse, f"select count(*) from {name}")[0][0] for name, _ in rows}
    return digest, counts
