"""Every kind of invalid spec fails at compile time with the file, the segment and the field
named, and before any generated file is written."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from segment_sandbox import marts_properties

from activation.segments import SegmentSpecError, compile_project, load_project
from activation.segments.project import GENERATED_DIR


def _project(root: Path, specs: dict[str, object], models: dict[str, str] | None = None) -> Path:
    marts = root / "models" / "marts"
    marts.mkdir(parents=True)
    (marts / "_marts__models.yml").write_text(yaml.safe_dump(marts_properties()))
    for name in ("customers", "customer_traits", "customer_events"):
        (marts / f"{name}.sql").write_text("select 1 as customer_id\n")
    for relative, text in (models or {}).items():
        path = root / "models" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (root / "segments").mkdir()
    for name, spec in specs.items():
        text = spec if isinstance(spec, str) else yaml.safe_dump(spec, sort_keys=False)
        (root / "segments" / f"{name}.yml").write_text(text)
    return root


def _spec(name: str, rules: object, **overrides: object) -> dict[str, object]:
    spec = {"name": name, "description": "d", "owner": "o", "rules": rules}
    spec.update(overrides)
    return {key: value for key, value in spec.items() if value is not None}


def _errors(tmp_path: Path, specs: dict[str, object], models: dict[str, str] | None = None):
    root = _project(tmp_path, specs, models)
    with pytest.raises(SegmentSpecError) as caught:
        compile_project(root)
    assert not (root / GENERATED_DIR).exists(), "nothing may be written for an invalid spec"
    return caught.value


def _single(tmp_path: Path, rules: object) -> str:
    error = _errors(tmp_path, {"bad": _spec("bad", rules)})
    assert len(error.problems) == 1, str(error)
    problem = error.problems[0]
    assert problem.file.name == "bad.yml" and problem.segment == "bad"
    return str(problem)


FIELD_ERRORS = {
    "unknown_field": (
        {"field": "revenue", "op": ">", "value": 1},
        "field 'revenue'",
        "unknown field",
    ),
    "unknown_operator": (
        {"field": "orders_count", "op": "=>", "value": 1},
        "field 'orders_count'",
        "unknown operator '=>'",
    ),
    "operator_for_other_type": (
        {"field": "orders_count", "op": "contains", "value": "1"},
        "field 'orders_count'",
        "operator 'contains' does not apply to number field",
    ),
    "number_field_given_text": (
        {"field": "orders_count", "op": ">", "value": "two"},
        "field 'orders_count'",
        "value 'two' does not match the field's type integer",
    ),
    "text_field_given_number": (
        {"field": "country", "op": "=", "value": 84},
        "field 'country'",
        "quote it",
    ),
    "boolean_field_given_text": (
        {"field": "is_unsubscribed", "op": "=", "value": "yes"},
        "field 'is_unsubscribed'",
        "use true or false",
    ),
    "bad_date": (
        {"field": "signup_date", "op": ">", "value": "last tuesday"},
        "field 'signup_date'",
        "ISO date",
    ),
    "reversed_between": (
        {"field": "orders_count", "op": "between", "value": [5, 1]},
        "field 'orders_count'",
        "bounds are reversed",
    ),
    "between_needs_two": (
        {"field": "orders_count", "op": "between", "value": [1]},
        "field 'orders_count'",
        "[low, high]",
    ),
    "empty_in_list": (
        {"field": "country", "op": "in", "value": []},
        "field 'country'",
        "non-empty list",
    ),
    "null_test_with_value": (
        {"field": "country", "op": "is null", "value": "VN"},
        "field 'country'",
        "takes no value",
    ),
    "missing_value": ({"field": "country", "op": "="}, "field 'country'", "needs a value"),
    "percent_out_of_range": (
        {"field": "lifetime_revenue_usd", "op": "top percent", "value": 150},
        "field 'lifetime_revenue_usd'",
        "percentage in (0, 100]",
    ),
    "negative_days_ago": (
        {"field": "first_seen_at", "op": ">", "value": {"days_ago": -3}},
        "field 'first_seen_at'",
        "days_ago must be 0 or more",
    ),
    "misspelled_key": (
        {"field": "country", "op": "=", "value": "VN", "negate": True},
        "field 'country'",
        "unknown keys ['negate']",
    ),
    "unknown_event": ({"did": "purchase"}, "field 'did: purchase'", "unknown event type"),
    "zero_times": (
        {"did": "order", "at_least": 0},
        "field 'did: order'",
        "'at_least' must be a whole number of 1 or more",
    ),
    "unknown_rule": ({"every": []}, "at rules", "expected exactly one of all / any / not"),
    "empty_group": ({"all": []}, "at rules.all", "non-empty list"),
}


@pytest.mark.parametrize("case", sorted(FIELD_ERRORS))
def test_invalid_condition_names_file_segment_and_field(tmp_path: Path, case: str) -> None:
    rules, where, reason = FIELD_ERRORS[case]
    message = _single(tmp_path, {"all": [{"field": "country", "op": "=", "value": "VN"}, rules]})
    assert message.startswith(f"{tmp_path / 'segments' / 'bad.yml'}: segment 'bad'")
    assert where in message and reason in message, message


def test_problem_points_at_the_rule_path(tmp_path: Path) -> None:
    message = _single(
        tmp_path, {"any": [{"did": "order"}, {"not": {"field": "nope", "op": "=", "value": 1}}]}
    )
    assert "at rules.any[1].not" in message


@pytest.mark.parametrize("missing", ["name", "owner", "description", "rules"])
def test_missing_required_key_is_reported(tmp_path: Path, missing: str) -> None:
    spec = _spec("bad", {"did": "order"})
    del spec[missing]
    error = _errors(tmp_path, {"bad": spec})
    assert any(f"missing '{missing}'" in str(problem) for problem in error.problems), str(error)
    assert all("bad.yml" in str(problem) for problem in error.problems)


def test_invalid_name_is_reported(tmp_path: Path) -> None:
    error = _errors(tmp_path, {"bad": _spec("VIP Customers", {"did": "order"})})
    assert "must be lowercase letters" in str(error)


def test_yaml_syntax_error_names_the_file(tmp_path: Path) -> None:
    error = _errors(tmp_path, {"broken": "name: broken\nrules: {all: [\n"})
    assert "broken.yml: segment 'broken': not valid YAML" in str(error)


def test_unknown_segment_reference_is_reported(tmp_path: Path) -> None:
    message = _single(tmp_path, {"in_segment": "ghosts"})
    assert "field 'in_segment: ghosts'" in message and "unknown segment" in message


def test_self_reference_is_a_cycle(tmp_path: Path) -> None:
    message = _single(tmp_path, {"in_segment": "bad"})
    assert "cycle" in message


def test_cycle_between_segments_names_the_chain(tmp_path: Path) -> None:
    specs = {
        "a_seg": _spec("a_seg", {"in_segment": "b_seg"}),
        "b_seg": _spec("b_seg", {"all": [{"did": "order"}, {"in_segment": "c_seg"}]}),
        "c_seg": _spec("c_seg", {"not": {"in_segment": "a_seg"}}),
    }
    error = _errors(tmp_path, specs)
    assert len(error.problems) == 1
    assert "cycle between segments:" in str(error)
    assert all(name in str(error) for name in ("a_seg", "b_seg", "c_seg"))


def test_duplicate_segment_names_are_reported(tmp_path: Path) -> None:
    specs = {"one": _spec("twin", {"did": "order"}), "two": _spec("twin", {"did": "lead"})}
    assert "segment name already used" in str(_errors(tmp_path, specs))


def test_segment_named_like_an_existing_model_is_reported(tmp_path: Path) -> None:
    specs = {"customers": _spec("customers", {"did": "order"})}
    assert "clashes with an existing dbt model" in str(_errors(tmp_path, specs))


def test_analyst_segment_model_without_owner_is_reported(tmp_path: Path) -> None:
    models = {"segments/custom/loyal.sql": "{{ config(tags=['segment']) }}\nselect 1\n"}
    error = _errors(tmp_path, {}, models)
    assert "loyal.sql: segment 'loyal': missing owner" in str(error)


def test_all_problems_of_all_specs_are_reported_together(tmp_path: Path) -> None:
    specs = {
        "one": _spec("one", {"field": "nope", "op": "=", "value": 1}),
        "two": _spec("two", {"did": "order"}, owner=None),
    }
    error = _errors(tmp_path, specs)
    assert len(error.problems) == 2
    assert "2 problems" in str(error)


def test_valid_project_loads_specs_and_analyst_models(tmp_path: Path) -> None:
    models = {
        "segments/custom/loyal.sql": "{{ config(tags=['segment']) }}\nselect 1 as customer_id\n",
        "segments/custom/_custom.yml": (
            "version: 2\nmodels:\n  - name: loyal\n    description: x\n    meta: {owner: me}\n"
        ),
    }
    specs = {"loyal_vn": _spec("loyal_vn", {"all": [{"in_segment": "loyal"}, {"did": "order"}]})}
    project = load_project(_project(tmp_path, specs, models))
    assert project.names == ["loyal", "loyal_vn"]
    assert project.models[0].owner == "me"
