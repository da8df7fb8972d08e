"""The change set of the incremental benchmark, derived from a generated delivery.

What lands the day after the full refresh, as new export files beside the old ones:
- 1% of keyed records re-delivered with a new modification time (HubSpot contacts and deals,
  Mailchimp members, VNPay transactions; every 100th row, so the choice is deterministic);
- one new day of events: the last day of email activity and ad reports repeated as the next day;
- one late HubSpot contact carrying the email of one existing customer and the phone of another,
  so identity must merge two customers. The truth of the increment says so: the second person's
  records become the first person's, and the late contact is theirs too.

It lives here, not in `ingestion/generate`: the generator draws a population and writes each
system's first export from it, while this reads those files back and edits them, a scenario of
the benchmark rather than a property of the sample data.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb

INCREMENT_STAMP = "20261103"
CHANGED_AT = "2026-11-03 09:00"
CHANGED_SHARE = 0.01
CHANGED_RECORDS = {
    # export file prefix -> the column holding the modification time (None: the export has none)
    "hubspot/contacts_": "Last Modified Date",
    "hubspot/deals_": "Last Modified Date",
    "mailchimp/subscribed_": "LAST_CHANGED",
    "vnpay/transactions_": None,
}
DAILY_EVENTS = {
    # export file prefix -> the date field of each event or row
    "mailchimp/campaign_activity_": "timestamp",
    "facebook_ads/insights_": "date_start",
    "google_ads/campaign_performance_": "segments.date",
}
MERGE_RECORD_ID = "15999999999"
"""HubSpot Record ID of the late contact; generated ids count up from 15000000001."""
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_COMPLETE = ".complete"


@dataclass(frozen=True)
class Increment:
    """Where the change set is: landing files to add, and the truth after they are loaded."""

    folder: Path

    @property
    def landing(self) -> Path:
        return self.folder / "landing"

    @property
    def truth(self) -> Path:
        return self.folder / "truth" / "records.csv"

    @property
    def summary(self) -> dict[str, Any]:
        return json.loads((self.folder / _COMPLETE).read_text())


def ensure_increment(data_dir: Path) -> Increment:
    """The change set of the dataset in `data_dir`, written once under `data_dir/increment`."""
    increment = Increment(data_dir / "increment")
    if (increment.folder / _COMPLETE).exists():
        return increment
    shutil.rmtree(increment.folder, ignore_errors=True)
    source = data_dir / "landing"
    written = _changed_records(source, increment.landing)
    written |= _next_day_events(source, increment.landing)
    merge = _late_merging_contact(source, data_dir / "truth" / "records.csv", increment)
    written[merge.pop("file")] = 1
    summary = {"files": written, "records": sum(written.values()), "merge": merge}
    (increment.folder / _COMPLETE).write_text(json.dumps(summary, indent=2))
    return increment


def _changed_records(source: Path, landing: Path) -> dict[str, int]:
    written: dict[str, int] = {}
    nth = round(1 / CHANGED_SHARE)
    for prefix, column in CHANGED_RECORDS.items():
        for path in sorted(source.glob(f"{prefix}*.csv")):
            out = landing / f"{prefix}{INCREMENT_STAMP}_bench_changes_{path.stem}.csv"
            written[str(out.relative_to(landing))] = _every_nth_row(path, out, nth, column)
    return written


def _every_nth_row(path: Path, out: Path, nth: int, column: str | None) -> int:
    count = 0
    out.parent.mkdir(parents=True, exist_ok=True)
    with path.open(newline="", encoding="utf-8") as src, out.open("w", newline="") as dst:
        reader = csv.DictReader(src)
        writer = csv.DictWriter(dst, fieldnames=reader.fieldnames or [])
        writer.writeheader()
        for index, row in enumerate(reader):
            if index % nth == 0:
                if column is not None and column in row:
                    row[column] = CHANGED_AT + (":00" if len(row[column] or "") > 16 else "")
                writer.writerow(row)
                count += 1
    return count


def _next_day_events(source: Path, landing: Path) -> dict[str, int]:
    written: dict[str, int] = {}
    for prefix, field in DAILY_EVENTS.items():
        for path in sorted(source.glob(f"{prefix}*")):
            out = landing / f"{prefix}{INCREMENT_STAMP}_bench_next_day{path.suffix}"
            written[str(out.relative_to(landing))] = _next_day(path, out, field)
    return written


def _next_day(path: Path, out: Path, field: str) -> int:
    last = _last_day(path, field)
    following = (date.fromisoformat(last) + timedelta(days=1)).isoformat()
    count = 0
    out.parent.mkdir(parents=True, exist_ok=True)
    with path.open(encoding="utf-8", newline="") as src, out.open("w", newline="") as dst:
        if path.suffix == ".jsonl":
            for line in src:
                event = _json_or_none(line) if last in line else None
                if event and str(event.get(field, "")).startswith(last):
                    event[field] = event[field].replace(last, following, 1)
                    dst.write(json.dumps(event, ensure_ascii=False) + "\n")
                    count += 1
        else:
            reader = csv.DictReader(src)
            writer = csv.DictWriter(dst, fieldnames=reader.fieldnames or [])
            writer.writeheader()
            for row in reader:
                if row.get(field, "").startswith(last):
                    writer.writerow({k: (v or "").replace(last, following) for k, v in row.items()})
                    count += 1
    return count


def _json_or_none(line: str) -> dict[str, Any] | None:
    """The exports carry deliberately malformed lines; the increment repeats only sound ones."""
    try:
        event = json.loads(line)
    except json.JSONDecodeError:
        return None
    return event if isinstance(event, dict) else None


def _last_day(path: Path, field: str) -> str:
    last = ""
    with path.open(encoding="utf-8", newline="") as src:
        if path.suffix == ".jsonl":
            pattern = re.compile(rf'"{re.escape(field)}"\s*:\s*"(\d{{4}}-\d{{2}}-\d{{2}})')
            for line in src:
                match = pattern.search(line)
                if match and match.group(1) > last:
                    last = match.group(1)
        else:
            for row in csv.DictReader(src):
                match = _ISO_DAY.match(row.get(field, ""))
                if match and match.group(0) > last:
                    last = match.group(0)
    if not last:
        raise ValueError(f"{path}: no {field} dates found")
    return last


_MERGE_PAIR_SQL = """
with truth as (
    select * from read_csv(?, header = true, all_varchar = true, quote = '"', escape = '"')
),
records as (
    select person_id, count(*) as records,
           count(*) filter (where source = 'hubspot' and source_table = 'contacts') as contacts,
           count(*) filter (where source = 'stripe' and source_table = 'customers') as customers
    from truth group by person_id
),
contacts as (
    select "Record ID" as id, lower(trim("Email")) as email
    from read_csv(?, header = true, auto_detect = false, delim = ',', quote = '"', escape = '"',
                  ignore_errors = true, columns = {contact_columns})
),
customers as (
    select id, phone from read_json(?, format = 'newline_delimited', ignore_errors = true,
                                    columns = {id: 'VARCHAR', phone: 'VARCHAR'})
),
email_uses as (select email, count(*) as uses from contacts group by email),
phone_uses as (select phone, count(*) as uses from customers group by phone),
first_person as (
    select t.person_id, c.email from contacts as c
    join truth as t on t.source = 'hubspot' and t.source_table = 'contacts'
        and t.source_record_id = c.id
    join records as r using (person_id)
    join email_uses as u using (email)
    where r.contacts = 1 and u.uses = 1 and c.email like '%@%'
    order by c.id limit 1
),
second_person as (
    select t.person_id, c.phone from customers as c
    join truth as t on t.source = 'stripe' and t.source_table = 'customers'
        and t.source_record_id = c.id
    join records as r using (person_id)
    join phone_uses as u using (phone)
    where r.contacts = 0 and r.customers = 1 and u.uses = 1 and c.phone like '+%'
        and t.person_id not in (select person_id from first_person)
    order by c.id limit 1
)
select f.person_id, f.email, s.person_id, s.phone from first_person as f, second_person as s
"""


def _late_merging_contact(source: Path, truth: Path, increment: Increment) -> dict[str, Any]:
    """A new HubSpot contact with person A's email (A has one contact, its email unique) and
    person B's phone (B has no contact and one Stripe customer, its phone unique): the only
    link between A and B, so a correct build merges their customers; the new truth agrees."""
    contacts = sorted(source.glob("hubspot/contacts_*.csv"))[0]
    customers = sorted(source.glob("stripe/customers_*.jsonl"))[0]
    with contacts.open(newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    columns = "{" + ", ".join(f"'{name}': 'VARCHAR'" for name in header) + "}"
    with duckdb.connect() as con:
        pair = con.execute(
            _MERGE_PAIR_SQL.replace("{contact_columns}", columns),
            [str(truth), str(contacts), str(customers)],
        ).fetchone()
        if pair is None:
            raise ValueError(f"{source}: no two people fit the merging record")
        kept, email, merged, phone = pair
        out = increment.landing / f"hubspot/contacts_{INCREMENT_STAMP}_bench_late_merge.csv"
        row = dict.fromkeys(header, "")
        row |= {
            "Record ID": MERGE_RECORD_ID,
            "First Name": "Late",
            "Last Name": "Record",
            "Email": email,
            "Phone Number": phone,
            "Lifecycle Stage": "Lead",
            "Create Date": CHANGED_AT,
            "Last Modified Date": CHANGED_AT,
            "Unsubscribed from all email": "false",
        }
        with out.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=header, quoting=csv.QUOTE_NONNUMERIC)
            writer.writeheader()
            writer.writerow(row)
        increment.truth.parent.mkdir(parents=True, exist_ok=True)
        con.execute(
            f"""copy (
                select source, source_table, source_record_id,
                       case when person_id = $merged then $kept else person_id end as person_id
                from read_csv($truth, header = true, all_varchar = true, quote = '"', escape = '"')
                union all
                select 'hubspot', 'contacts', $record, $kept
            ) to '{increment.truth}' (header, force_quote *)""",
            {"merged": merged, "kept": kept, "truth": str(truth), "record": MERGE_RECORD_ID},
        )
    return {
        "file": str(out.relative_to(increment.landing)),
        "kept_person": kept,
        "merged_person": merged,
    }
