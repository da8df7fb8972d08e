"""Prediction fields (`marts.customer_predictions`) in segment rules: in the catalog, joined only
when used, null for customers without a prediction, and switched off with the predictions models
(the Spark target) without breaking the other segments."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
import yaml
from segment_sandbox import (
    dbt_build,
    members,
    query,
    table_sql,
    write_sandbox,
)

from activation.segments import compile_project, load_catalog, load_project
from activation.segments.catalog import FieldKind
from activation.segments.project import GENERATED_DIR

DBT_PROJECT = Path(__file__).resolve().parents[3] / "dbt_project"
AS_OF = "2026-11-01 00:00:00"
PREDICTION_COLUMNS = {
    "customer_id": "varchar",
    "p_alive": "double",
    "predicted_clv_12m_usd": "double",
    "churn_risk": "varchar",
}
AT_RISK = {
    "name": "valuable_at_risk",
    "description": "Predicted to be worth something but likely lost.",
    "owner": "retention",
    "rules": {
        "all": [
            {"field": "predicted_clv_12m_usd", "op": ">=", "value": 50},
            {"field": "churn_risk", "op": "=", "value": "high"},
        ]
    },
}
NOT_LOW = {
    "name": "not_low_risk",
    "description": "Everyone not predicted low risk, customers without a prediction included.",
    "owner": "retention",
    "rules": {"not": {"field": "churn_risk", "op": "=", "value": "low"}},
}
UNPREDICTED = {
    "name": "unpredicted",
    "description": "Customers without a prediction.",
    "owner": "retention",
    "rules": {"field": "churn_risk", "op": "is null"},
}
REUSES = {
    "name": "vn_at_risk",
    "description": "Valuable at-risk customers in Vietnam.",
    "owner": "retention",
    "rules": {
        "all": [{"field": "country", "op": "=", "value": "VN"}, {"in_segment": "valuable_at_risk"}]
    },
}
PLAIN = {
    "name": "vietnam",
    "description": "Customers in Vietnam.",
    "owner": "growth",
    "rules": {"field": "country", "op": "=", "value": "VN"},
}
CUSTOMERS = [
    {"customer_id": "c1", "country": "VN", "first_seen_at": datetime(2025, 1, 1)},
    {"customer_id": "c2", "country": "VN", "first_seen_at": datetime(2025, 1, 1)},
    {"customer_id": "c3", "country": "US", "first_seen_at": datetime(2025, 1, 1)},
    {"customer_id": "c4", "country": "VN", "first_seen_at": datetime(2026, 10, 1)},
]
TRAITS = [{"customer_id": c["customer_id"], "orders_count": 1} for c in CUSTOMERS]
PREDICTIONS = [
    {"customer_id": "c1", "p_alive": 0.1, "predicted_clv_12m_usd": 80.0, "churn_risk": "high"},
    {"customer_id": "c2", "p_alive": 0.9, "predicted_clv_12m_usd": 300.0, "churn_risk": "low"},
    {"customer_id": "c3", "p_alive": 0.2, "predicted_clv_12m_usd": 10.0, "churn_risk": "high"},
]  # c4 has no order yet, so no prediction row


def _predictions_models() -> dict[str, str]:
    properties = {
        "version": 2,
        "models": [
            {
                "name": "customer_predictions",
                "columns": [{"name": n, "data_type": t} for n, t in PREDICTION_COLUMNS.items()],
            }
        ],
    }
    return {
        "marts/predictions/_predictions.yml": yaml.safe_dump(properties),
        "marts/predictions/customer_predictions.sql": table_sql(PREDICTION_COLUMNS, PREDICTIONS),
    }


def _sandbox(root: Path, specs: list[dict]) -> Path:
    return write_sandbox(
        root, {s["name"]: s for s in specs}, CUSTOMERS, TRAITS, [], _predictions_models()
    )


def test_catalog_offers_the_prediction_fields_with_their_types() -> None:
    catalog = load_catalog(DBT_PROJECT / "models")
    for name in ("p_alive", "expected_purchases_90d", "predicted_clv_12m_usd"):
        assert catalog.fields[name].kind is FieldKind.NUMBER
        assert catalog.fields[name].model == "customer_predictions"
    assert catalog.fields["churn_risk"].kind is FieldKind.STRING
    assert catalog.fields["customer_id"].model == "customers"


def test_only_segments_using_predictions_join_them_and_are_switchable(tmp_path: Path) -> None:
    root = _sandbox(tmp_path, [AT_RISK, REUSES, PLAIN])
    generated = root / GENERATED_DIR
    at_risk = (generated / "valuable_at_risk.sql").read_text()
    assert "left join {{ ref('customer_predictions') }} as p" in at_risk
    assert "enabled=predictions_enabled()" in at_risk
    assert "enabled=predictions_enabled()" in (generated / "vn_at_risk.sql").read_text()
    plain = (generated / "vietnam.sql").read_text()
    assert "customer_predictions" not in plain and "enabled=" not in plain
    assert load_project(root).needing_predictions == {"valuable_at_risk", "vn_at_risk"}


def test_prediction_rules_treat_customers_without_a_prediction_as_null(tmp_path: Path) -> None:
    root = _sandbox(tmp_path, [AT_RISK, NOT_LOW, UNPREDICTED, REUSES, PLAIN])
    warehouse = tmp_path / "cdp.duckdb"
    dbt_build(root, AS_OF, warehouse)
    assert members(warehouse, "valuable_at_risk") == {"c1"}
    assert members(warehouse, "not_low_risk") == {"c1", "c3", "c4"}
    assert members(warehouse, "unpredicted") == {"c4"}
    assert members(warehouse, "vn_at_risk") == {"c1"}


def test_without_predictions_their_segments_are_disabled_and_the_rest_build(
    tmp_path: Path,
) -> None:
    """What the Spark target does: `predictions_enabled()` is false there (the models are dbt
    Python models), so the segments needing them are left out and nothing else breaks."""
    root = _sandbox(tmp_path, [AT_RISK, REUSES, PLAIN])
    (root / "macros" / "predictions_enabled.sql").write_text(
        "{% macro predictions_enabled() %}{{ return(false) }}{% endmacro %}\n"
    )
    (root / "models" / "marts" / "predictions" / "customer_predictions.sql").unlink()
    warehouse = tmp_path / "cdp.duckdb"
    dbt_build(root, AS_OF, warehouse)
    assert members(warehouse, "vietnam") == {"c1", "c2", "c4"}
    segments = {row[0] for row in query(warehouse, "select segment from marts.segment_sizes")}
    defined = {row[0] for row in query(warehouse, "select segment from marts.segment_definitions")}
    assert segments == defined == {"vietnam"}


def test_shipped_prediction_segment_uses_predicted_clv_and_churn_risk() -> None:
    project = load_project(DBT_PROJECT)
    assert "predicted_clv_at_risk" in project.needing_predictions
    sql = (DBT_PROJECT / GENERATED_DIR / "predicted_clv_at_risk.sql").read_text()
    assert "p.predicted_clv_12m_usd" in sql and "p.churn_risk = 'high'" in sql
    assert not compile_project(DBT_PROJECT, check=True).changed


@pytest.mark.slow
def test_shipped_prediction_segment_on_the_sample_is_exactly_its_rule(
    built_warehouse: Path,
) -> None:
    """On the S sample built by the real pipeline: non-empty, and the same customers as the
    question asked of `marts.customer_predictions` directly."""
    members_ = {
        row[0]
        for row in query(
            built_warehouse,
            "select customer_id from marts.segment_memberships where segment = ?",
            ["predicted_clv_at_risk"],
        )
    }
    expected = {
        row[0]
        for row in query(
            built_warehouse,
            "select customer_id from marts.customer_predictions"
            " where predicted_clv_12m_usd >= 25 and churn_risk = 'high'",
        )
    }
    assert members_ and members_ == expected
