"""VNPay merchant transaction report: one row per payment attempt, amounts x100, GMT+7 times."""

from __future__ import annotations

import numpy as np

from ingestion.generate import formats
from ingestion.generate.context import Run
from ingestion.generate.identity import SoftRecords
from ingestion.generate.landing import BAD_AMOUNTS, BAD_COMPACT_DATES, Corruption
from ingestion.generate.orders import Orders
from ingestion.generate.people import People

COLUMNS = [
    "vnp_TmnCode", "vnp_TxnRef", "vnp_OrderInfo", "vnp_Amount", "vnp_BankCode", "vnp_BankTranNo",
    "vnp_CardType", "vnp_PayDate", "vnp_TransactionNo", "vnp_ResponseCode",
    "vnp_TransactionStatus", "vnp_Bill_Mobile", "vnp_Bill_Email", "vnp_Bill_FirstName",
    "vnp_Bill_LastName", "vnp_Bill_City", "vnp_Bill_Country",
]  # fmt: skip
TMN_CODE = "CDPSHOP1"
BANKS = ("NCB", "VCB", "TCB", "VIB", "ACB", "MBBANK", "BIDV", "VNPAYQR", "INTCARD")
FAILURE_CODES = (("24", 0.5), ("51", 0.3), ("11", 0.2))
FRAUD_SUSPECT_SHARE = 0.005
PENDING_SHARE = 0.01


def write(run: Run, chunk: int, people: People, orders: Orders, soft: SoftRecords) -> None:
    """`orders` are the VNPay attempts; `soft` has one identity per attempt, in the same order."""
    rng = run.rng(chunk, 40)
    n = len(orders)
    seq = run.take_ids("vnpay_txn", n)
    local_day = formats.strftime(orders.ts, "%Y%m%d", formats.VN_OFFSET_SECONDS).to_pylist()
    txn_ref = np.array([f"DH{d}{s:07d}" for d, s in zip(local_day, seq, strict=True)], object)
    bank = formats.choice(rng, BANKS, n)
    card = np.where(bank == "VNPAYQR", "QRCODE", np.where(bank == "INTCARD", "CREDIT", "ATM"))
    codes = np.array([c for c, _ in FAILURE_CODES], object)
    weights = np.array([w for _, w in FAILURE_CODES])
    failure = codes[rng.choice(len(codes), size=n, p=weights)]
    fraud = ~orders.failed & (rng.random(n) < FRAUD_SUSPECT_SHARE)
    pending = ~orders.failed & ~fraud & (rng.random(n) < PENDING_SHARE)
    response = np.where(orders.failed, failure, np.where(fraud, "07", "00"))
    status = np.where(orders.failed, "02", np.where(pending, "01", "00"))
    settled = ~orders.failed & ~pending
    transaction_no = np.where(settled, formats.int_text(14_000_000 + seq), None)
    bank_tran = np.where(
        settled, np.char.add("VNP", (10_000_000 + seq).astype(str)).astype(object), None
    )
    columns = {
        "vnp_TmnCode": np.full(n, TMN_CODE, object),
        "vnp_TxnRef": txn_ref,
        "vnp_OrderInfo": np.char.add("Thanh toan don hang ", txn_ref.astype(str)).astype(object),
        "vnp_Amount": formats.int_text(orders.amount * 100),
        "vnp_BankCode": bank,
        "vnp_BankTranNo": bank_tran,
        "vnp_CardType": card,
        "vnp_PayDate": formats.strftime(orders.ts, "%Y%m%d%H%M%S", formats.VN_OFFSET_SECONDS),
        "vnp_TransactionNo": transaction_no,
        "vnp_ResponseCode": response,
        "vnp_TransactionStatus": status,
        "vnp_Bill_Mobile": soft.phone,
        "vnp_Bill_Email": soft.email,
        "vnp_Bill_FirstName": soft.first_name,
        "vnp_Bill_LastName": soft.last_name,
        "vnp_Bill_City": people.city[orders.person],
        "vnp_Bill_Country": np.full(n, "VN", object),
    }
    table = formats.table(columns, COLUMNS)
    run.landing.write_csv(
        run.landing.name("vnpay", "transactions", "csv"),
        table,
        key="vnp_TxnRef",
        fresh_keys=lambda k: np.array(
            [f"DH{local_day[0]}{s:07d}" for s in run.take_ids("vnpay_txn", k)], object
        ),
        corruptions=(
            Corruption("non_numeric_amount", "vnp_Amount", BAD_AMOUNTS),
            Corruption("bad_date", "vnp_PayDate", BAD_COMPACT_DATES),
            Corruption("broken_quoting", "vnp_OrderInfo"),
        ),
        duplicates=True,
    )
    run.truth.add("vnpay", "transactions", txn_ref, people.person_id[orders.person])

    rows = np.flatnonzero(pending)
    fixed = table.take(rows).to_pydict()
    fixed["vnp_TransactionStatus"] = ["00"] * len(rows)
    fixed["vnp_TransactionNo"] = list(formats.int_text(14_000_000 + seq[rows]))
    fixed["vnp_BankTranNo"] = [f"VNP{10_000_000 + s}" for s in seq[rows]]
    run.landing.write_csv(
        run.landing.name("vnpay", "transactions", "csv", corrections=True),
        formats.table(fixed, COLUMNS),
    )
