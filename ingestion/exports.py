"""What each export type looks like: the one table the loaders, the docs and the tests share.

An export type is named by the start of its file name (`contacts_20261101.csv`). Its spec says
which raw table it lands in, how rows are keyed and versioned, which header columns must be there,
and which columns get a type at ingestion so that a bad value is a rejected row, not text in raw.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from enum import Enum


class Kind(Enum):
    """The type a column is given at ingestion. Everything not listed stays text."""

    TIMESTAMP = "timestamp"
    DATE = "date"
    INTEGER = "integer"
    DECIMAL = "decimal"
    BOOLEAN = "boolean"


NUMBER_KINDS = (Kind.INTEGER, Kind.DECIMAL)
"""The kinds a JSON value must be a JSON number for (docs/raw-tables.md)."""

EXACT_DOUBLE = 2**53
"""Below this a double holds every whole number exactly; JSON numbers are read as doubles."""


@dataclass(frozen=True)
class Typed:
    """A typed column: `fmt` is a strptime format for text times, `utc_offset_hours` the fixed
    zone of wall-clock times that carry no offset (VNPay reports GMT+7)."""

    kind: Kind
    fmt: str = ""
    utc_offset_hours: int = 0


def timestamp(fmt: str, utc_offset_hours: int = 0) -> Typed:
    return Typed(Kind.TIMESTAMP, fmt, utc_offset_hours)


DATE = Typed(Kind.DATE, "%Y-%m-%d")
INTEGER = Typed(Kind.INTEGER)
DECIMAL = Typed(Kind.DECIMAL)
BOOLEAN = Typed(Kind.BOOLEAN)


class FileFormat(Enum):
    CSV = "csv"
    JSONL = "jsonl"


@dataclass(frozen=True)
class ExportSpec:
    """One export type of one system.

    `key` empty means an event table (append, each file once); otherwise the table is merged on
    `key`. Among versions of one key the greatest `version` column wins, then the later file,
    then the later line (see docs/raw-tables.md). `required` names the raw (snake_case) columns a
    file must have; a header without them fails the whole load. `emails`, `phones` and
    `references` say which columns identify a person, so that an erased person's rows are
    dropped (`ingestion.suppressed_rows`): a reference maps a column to the `system:table` whose
    key it holds (a deal's contact). A single-column key identifies its own record. `types`
    holds every column staging reads that is not text: an undeclared JSON key keeps the type
    Arrow gave it and a later misfit goes to a variant staging never reads (docs/raw-tables.md).
    """

    system: str
    export_type: str
    table: str
    file_format: FileFormat
    required: tuple[str, ...]
    key: tuple[str, ...] = ()
    version: str | None = None
    types: dict[str, Typed] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    references: dict[str, str] = field(default_factory=dict)
    pivot_lists: tuple[str, ...] = ()

    @property
    def is_events(self) -> bool:
        return not self.key

    @property
    def record_prefixes(self) -> dict[str, str]:
        """Column -> `system:table` of the records it names: the own key, then references."""
        own = {self.key[0]: f"{self.system}:{self.table}"} if len(self.key) == 1 else {}
        return {**own, **self.references}


_NON_ALNUM = re.compile(r"[^a-z0-9]+")

_UNDECOMPOSED_LETTERS = str.maketrans(
    {"đ": "d", "ð": "d", "ø": "o", "ł": "l", "ß": "ss", "æ": "ae", "œ": "oe"}
)
"""Latin letters that Unicode does not write as a base letter plus marks, so NFKD leaves them."""


def snake_case(header: str) -> str:
    """Raw column name of an export header: lower case, accents dropped, each run of other
    characters one `_`. Without the accents a Vietnamese header keeps its letters: a Lead Ads
    question "Số điện thoại" names `so_dien_thoai`, where dropping every non-ASCII letter left
    `s_i_n_tho_i`, which no analyst could read or guess."""
    folded = header.strip()
    if not folded.isascii():
        decomposed = unicodedata.normalize("NFKD", folded).lower().translate(_UNDECOMPOSED_LETTERS)
        folded = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _NON_ALNUM.sub("_", folded.lower()).strip("_")


HUBSPOT_TIME = timestamp("%Y-%m-%d %H:%M")
MAILCHIMP_TIME = timestamp("%Y-%m-%d %H:%M:%S")

_MAILCHIMP_MEMBER_TYPES = {
    "member_rating": INTEGER,
    "optin_time": MAILCHIMP_TIME,
    "confirm_time": MAILCHIMP_TIME,
    "last_changed": MAILCHIMP_TIME,
    "unsub_time": MAILCHIMP_TIME,
    "clean_time": MAILCHIMP_TIME,
}
_MAILCHIMP_MEMBER_REQUIRED = ("email_address", "leid", "last_changed")


def _mailchimp_members(export_type: str) -> ExportSpec:
    return ExportSpec(
        system="mailchimp",
        export_type=export_type,
        table="members",
        file_format=FileFormat.CSV,
        required=_MAILCHIMP_MEMBER_REQUIRED,
        key=("leid",),
        version="last_changed",
        types=_MAILCHIMP_MEMBER_TYPES,
        constants={"status": export_type},
        emails=("email_address",),
        phones=("phone_number",),
    )


EXPORTS: tuple[ExportSpec, ...] = (
    ExportSpec(
        system="hubspot",
        export_type="contacts",
        table="contacts",
        file_format=FileFormat.CSV,
        required=("record_id", "email", "phone_number", "last_modified_date"),
        key=("record_id",),
        version="last_modified_date",
        types={
            "create_date": HUBSPOT_TIME,
            "last_modified_date": HUBSPOT_TIME,
            "last_activity_date": HUBSPOT_TIME,
            "unsubscribed_from_all_email": BOOLEAN,
        },
        emails=("email",),
        phones=("phone_number",),
    ),
    ExportSpec(
        system="hubspot",
        export_type="deals",
        table="deals",
        file_format=FileFormat.CSV,
        required=("record_id", "amount", "associated_contact", "last_modified_date"),
        key=("record_id",),
        version="last_modified_date",
        types={
            "amount": DECIMAL,
            "close_date": DATE,
            "create_date": HUBSPOT_TIME,
            "last_modified_date": HUBSPOT_TIME,
        },
        references={"associated_contact": "hubspot:contacts"},
    ),
    _mailchimp_members("subscribed"),
    _mailchimp_members("unsubscribed"),
    _mailchimp_members("cleaned"),
    ExportSpec(
        system="mailchimp",
        export_type="campaign_activity",
        table="campaign_activity",
        file_format=FileFormat.JSONL,
        required=("campaign_id", "email_address", "action", "timestamp"),
        types={"timestamp": timestamp("%Y-%m-%dT%H:%M:%S%z")},
        emails=("email_address",),
    ),
    ExportSpec(
        system="stripe",
        export_type="customers",
        table="customers",
        file_format=FileFormat.JSONL,
        required=("id", "created"),
        key=("id",),
        types={"created": INTEGER},
        emails=("email",),
        phones=("phone",),
    ),
    ExportSpec(
        system="stripe",
        export_type="charges",
        table="charges",
        file_format=FileFormat.JSONL,
        required=("id", "amount", "currency", "created"),
        key=("id",),
        types={
            "amount": INTEGER,
            "amount_captured": INTEGER,
            "amount_refunded": INTEGER,
            "created": INTEGER,
            "refunded": BOOLEAN,
        },
        emails=("billing_details__email", "receipt_email"),
        phones=("billing_details__phone",),
        references={"customer": "stripe:customers"},
    ),
    ExportSpec(
        system="stripe",
        export_type="refunds",
        table="refunds",
        file_format=FileFormat.JSONL,
        required=("id", "amount", "charge", "created"),
        key=("id",),
        types={"amount": INTEGER, "created": INTEGER},
        references={"charge": "stripe:charges"},
    ),
    ExportSpec(
        system="vnpay",
        export_type="transactions",
        table="transactions",
        file_format=FileFormat.CSV,
        required=("vnp_txnref", "vnp_amount", "vnp_paydate", "vnp_transactionstatus"),
        key=("vnp_txnref",),
        types={
            "vnp_amount": INTEGER,
            "vnp_paydate": timestamp("%Y%m%d%H%M%S", utc_offset_hours=7),
        },
        emails=("vnp_bill_email",),
        phones=("vnp_bill_mobile",),
    ),
    ExportSpec(
        system="facebook_ads",
        export_type="insights",
        table="insights",
        file_format=FileFormat.CSV,
        required=("campaign_id", "adset_id", "ad_id", "date_start", "spend"),
        key=("campaign_id", "adset_id", "ad_id", "date_start"),
        types={
            "date_start": DATE,
            "date_stop": DATE,
            "impressions": INTEGER,
            "reach": INTEGER,
            "clicks": INTEGER,
            "spend": DECIMAL,
        },
        pivot_lists=("actions",),
    ),
    ExportSpec(
        system="facebook_ads",
        export_type="leads",
        table="leads",
        file_format=FileFormat.JSONL,
        required=("id", "created_time", "field_data"),
        key=("id",),
        types={"created_time": timestamp("%Y-%m-%dT%H:%M:%S%z")},
        emails=("field_data__email",),
        phones=("field_data__phone_number",),
        pivot_lists=("field_data",),
    ),
    ExportSpec(
        system="google_ads",
        export_type="campaign_performance",
        table="campaign_performance",
        file_format=FileFormat.CSV,
        required=("segments_date", "campaign_id", "metrics_cost_micros"),
        key=("campaign_id", "segments_date"),
        types={
            "segments_date": DATE,
            "metrics_impressions": INTEGER,
            "metrics_clicks": INTEGER,
            "metrics_cost_micros": INTEGER,
            "metrics_conversions": DECIMAL,
            "metrics_conversions_value": DECIMAL,
        },
    ),
    ExportSpec(
        system="google_ads",
        export_type="clicks",
        table="clicks",
        file_format=FileFormat.CSV,
        required=("click_view_gclid", "segments_date", "campaign_id"),
        key=("click_view_gclid",),
        types={"segments_date": DATE},
    ),
)


def exports_of(system: str) -> tuple[ExportSpec, ...]:
    return tuple(spec for spec in EXPORTS if spec.system == system)


def spec_for(system: str, export_type: str) -> ExportSpec:
    for spec in exports_of(system):
        if spec.export_type == export_type:
            return spec
    raise KeyError(f"{system} has no export type {export_type!r}")
