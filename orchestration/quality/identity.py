"""How well identity resolution matches the generator's ground truth.

Pairwise precision and recall over person records: a pair of records is *predicted* when both
belong to the same customer and *true* when both belong to the same person. Pair counts come from
group sizes (n*(n-1)/2 per group) instead of enumerating pairs, so M-sized samples cost one
GROUP BY. Truth records missing from the warehouse count as customers of their own.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb

PRECISION_TARGET = 0.995
RECALL_TARGET = 0.98


@dataclass(frozen=True)
class IdentityReport:
    truth_records: int
    matched_records: int
    persons: int
    customers: int
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int
    largest_customer_records: int
    refused_links: int
    component_passes: int | None
    problems: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.correct_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0

    @property
    def meets_targets(self) -> bool:
        return self.precision >= PRECISION_TARGET and self.recall >= RECALL_TARGET

    def as_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "meets_targets": self.meets_targets,
        }


_PAIRS_SQL = """
with truth as (
    select source, source_table, source_record_id, person_id
    from read_csv(?, header = true, all_varchar = true)
),
joined as (
    select
        truth.person_id,
        coalesce(
            records.customer_id,
            'missing:' || truth.source || ':' || truth.source_table || ':' || truth.source_record_id
        ) as customer_id,
        records.customer_id is not null as matched
    from truth
    left join marts.customer_source_records as records
        on records.source = truth.source
        and records.source_table = truth.source_table
        and records.source_record_id = truth.source_record_id
),
by_person as (select count(*) as n from joined group by person_id),
by_customer as (select count(*) as n from joined group by customer_id),
by_both as (select count(*) as n from joined group by person_id, customer_id)
select
    (select count(*) from joined),
    (select count(*) from joined where matched),
    (select count(*) from by_person),
    (select count(*) from by_customer),
    (select coalesce(sum(n * (n - 1) / 2), 0) from by_person),
    (select coalesce(sum(n * (n - 1) / 2), 0) from by_customer),
    (select coalesce(sum(n * (n - 1) / 2), 0) from by_both)
"""

_MERGED_PERSONS_SQL = """
with truth as (
    select source, source_table, source_record_id, person_id
    from read_csv(?, header = true, all_varchar = true)
)
select records.customer_id, count(distinct truth.person_id) as persons, count(*) as records
from truth
join marts.customer_source_records as records using (source, source_table, source_record_id)
group by records.customer_id
having count(distinct truth.person_id) > 1
order by persons desc, records desc
limit 5
"""

_SPLIT_PERSONS_SQL = """
with truth as (
    select source, source_table, source_record_id, person_id
    from read_csv(?, header = true, all_varchar = true)
)
select count(*) from (
    select truth.person_id
    from truth
    left join marts.customer_source_records as records
        using (source, source_table, source_record_id)
    group by truth.person_id
    having count(distinct coalesce(records.customer_id, truth.source_record_id)) > 1
)
"""


def _scalar(connection: duckdb.DuckDBPyConnection, sql: str, default: Any = None) -> Any:
    try:
        row = connection.execute(sql).fetchone()
    except duckdb.CatalogException:
        return default
    return row[0] if row and row[0] is not None else default


def measure_identity(warehouse: Path, truth_csv: Path) -> IdentityReport:
    """Compare `marts.customer_source_records` in `warehouse` with `truth_csv`."""
    if not truth_csv.exists():
        raise FileNotFoundError(f"truth file {truth_csv} does not exist")
    if not warehouse.exists():
        raise FileNotFoundError(f"warehouse {warehouse} does not exist")
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        counts = connection.execute(_PAIRS_SQL, [str(truth_csv)]).fetchone()
        assert counts is not None
        truth_records, matched, persons, customers, true_pairs, predicted, correct = (
            int(value) for value in counts
        )
        largest = _scalar(connection, "select max(source_record_count) from marts.customers", 0)
        refused = _scalar(connection, "select count(*) from marts.identity_refused_links", 0)
        passes = _scalar(
            connection,
            "select iterations from intermediate.int_identity__links__runs "
            "order by finished_at desc limit 1",
        )
        merged = connection.execute(_MERGED_PERSONS_SQL, [str(truth_csv)]).fetchall()
        split = int(connection.execute(_SPLIT_PERSONS_SQL, [str(truth_csv)]).fetchone()[0])

    report = IdentityReport(
        truth_records=truth_records,
        matched_records=matched,
        persons=persons,
        customers=customers,
        true_pairs=true_pairs,
        predicted_pairs=predicted,
        correct_pairs=correct,
        largest_customer_records=int(largest),
        refused_links=int(refused),
        component_passes=None if passes is None else int(passes),
    )
    report.problems.extend(_explain(report, merged, split))
    return report


def _explain(report: IdentityReport, merged: list[tuple[Any, ...]], split: int) -> list[str]:
    """Why a target is missed, in terms an operator can act on."""
    problems: list[str] = []
    if report.matched_records < report.truth_records:
        problems.append(
            f"{report.truth_records - report.matched_records} truth records are not in "
            "marts.customer_source_records (not loaded, or quarantined by the loader)"
        )
    if report.precision < PRECISION_TARGET:
        worst = ", ".join(f"{cid} ({n} people, {rows} records)" for cid, n, rows in merged)
        problems.append(
            f"precision {report.precision:.4f} < {PRECISION_TARGET}: customers joining several "
            f"people, largest first: {worst}. A value shared by fewer people than the frequency "
            "cap can join them; see marts.customer_identifiers for the joining values."
        )
    if report.recall < RECALL_TARGET:
        problems.append(
            f"recall {report.recall:.4f} < {RECALL_TARGET}: {split} people are split over "
            "several customers: their records share no linkable value (own values flagged as "
            "shared, or links refused by a per-customer limit; see marts.identity_refused_links)."
        )
    return problems


def format_report(report: IdentityReport) -> str:
    lines = [
        "Identity resolution vs ground truth (pairwise, over person records)",
        f"  records      {report.matched_records:>10,} of {report.truth_records:,} in the truth",
        f"  people       {report.persons:>10,}   customers {report.customers:,}",
        f"  pairs        true {report.true_pairs:,}  predicted {report.predicted_pairs:,}"
        f"  correct {report.correct_pairs:,}",
        f"  precision    {report.precision:>10.4f}   (target >= {PRECISION_TARGET})",
        f"  recall       {report.recall:>10.4f}   (target >= {RECALL_TARGET})",
        f"  F1           {report.f1:>10.4f}",
        f"  largest customer       {report.largest_customer_records:,} source records",
        f"  links refused by rules {report.refused_links:,}",
    ]
    if report.component_passes is not None:
        lines.append(f"  connected components   {report.component_passes} passes")
    lines.append("  targets met" if report.meets_targets else "  TARGETS NOT MET")
    lines.extend(f"  - {problem}" for problem in report.problems)
    return "\n".join(lines)
