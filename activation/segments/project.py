"""All segments of a dbt project: YAML specs plus analyst models tagged `segment`.

Generated files are committed (like a lock file): `dbt build` works from a plain checkout on any
scheduler, and `cdp segments compile --check` (run by the test suite) fails when a spec and its
generated model disagree. `int_segment_members_unioned` also refuses to build when dbt sees a
tagged model the generator did not register, so a forgotten compile cannot silently drop a
segment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from activation.segments.catalog import PREDICTIONS_MODEL, FieldCatalog, load_catalog
from activation.segments.errors import SegmentSpecError, SpecProblem
from activation.segments.spec import (
    NAME_PATTERN,
    AllOf,
    AnyOf,
    Not,
    Rule,
    SegmentCondition,
    SegmentSpec,
    field_models,
    parse_spec,
)
from activation.segments.sql import PREDICTIONS_ENABLED, render_segment_model

SEGMENT_TAG = "segment"
SPECS_DIR = "segments"
GENERATED_DIR = Path("models") / "segments" / "generated"
UNION_MODEL = "int_segment_members_unioned"
DEFINITIONS_MODEL = "segment_definitions"
_SQL_TAGS = re.compile(r"tags\s*=\s*(\[[^\]]*\]|'[^']*'|\"[^\"]*\")")


@dataclass(frozen=True)
class ModelSegment:
    """An analyst's hand-written segment: a dbt model tagged `segment` with one `customer_id`."""

    name: str
    description: str
    owner: str
    file: Path


@dataclass(frozen=True)
class SegmentProject:
    root: Path
    specs: tuple[SegmentSpec, ...]
    models: tuple[ModelSegment, ...]
    catalog: FieldCatalog

    @property
    def names(self) -> list[str]:
        return sorted([spec.name for spec in self.specs] + [model.name for model in self.models])

    @property
    def needing_predictions(self) -> set[str]:
        """Specs using a `customer_predictions` field, or a segment that does: they exist only
        where the predictions models build (not on the Spark target)."""
        by_name = {spec.name: spec for spec in self.specs}
        needing = {s.name for s in self.specs if PREDICTIONS_MODEL in field_models(s.rule)}
        grew = True
        while grew:
            grew = False
            for spec in self.specs:
                refs = {ref.segment for ref in _references(spec.rule) if ref.segment in by_name}
                if spec.name not in needing and refs & needing:
                    needing.add(spec.name)
                    grew = True
        return needing

    def relative(self, path: Path) -> str:
        try:
            return str(path.resolve().relative_to(self.root.resolve().parent))
        except ValueError:
            return str(path)


def _has_segment_tag(tags: Any) -> bool:
    if isinstance(tags, str):
        return tags == SEGMENT_TAG
    return isinstance(tags, list) and SEGMENT_TAG in tags


def _sql_tagged(sql: str) -> bool:
    return any(re.search(rf"['\"]{SEGMENT_TAG}['\"]", match) for match in _SQL_TAGS.findall(sql))


def _model_properties(models_dir: Path, generated: Path) -> dict[str, tuple[Path, dict]]:
    properties: dict[str, tuple[Path, dict]] = {}
    for path in sorted(models_dir.rglob("*.yml")):
        if generated in path.parents:
            continue
        document = yaml.safe_load(path.read_text()) or {}
        for model in (document.get("models") or []) if isinstance(document, dict) else []:
            if isinstance(model, dict) and isinstance(model.get("name"), str):
                properties[model["name"]] = (path, model)
    return properties


def discover_model_segments(
    root: Path,
) -> tuple[list[ModelSegment], set[str], list[SpecProblem]]:
    """Analyst segment models, every other model name, and problems with the analyst models."""
    models_dir = root / "models"
    generated = root / GENERATED_DIR
    properties = _model_properties(models_dir, generated)
    segments: list[ModelSegment] = []
    other_models: set[str] = set()
    problems: list[SpecProblem] = []
    for sql_path in sorted(models_dir.rglob("*.sql")):
        if generated in sql_path.parents:
            continue
        name = sql_path.stem
        props_path, props = properties.get(name, (None, {}))
        config = props.get("config") or {}
        tagged = (
            _sql_tagged(sql_path.read_text())
            or _has_segment_tag(props.get("tags"))
            or _has_segment_tag(config.get("tags"))
        )
        if not tagged:
            other_models.add(name)
            continue
        meta = {**(props.get("meta") or {}), **(config.get("meta") or {})}
        owner, description = meta.get("owner"), props.get("description")
        where = props_path or sql_path
        if not NAME_PATTERN.match(name):
            problems.append(SpecProblem(where, name, "segment model names use a-z, 0-9 and _"))
        if not isinstance(owner, str) or not owner.strip():
            problems.append(SpecProblem(where, name, "missing owner: set meta.owner in its YAML"))
        if not isinstance(description, str) or not description.strip():
            problems.append(SpecProblem(where, name, "missing description in its YAML"))
        segments.append(
            ModelSegment(name, str(description or "").strip(), str(owner or ""), sql_path)
        )
    return segments, other_models, problems


def _references(rule: Rule) -> list[SegmentCondition]:
    if isinstance(rule, AllOf | AnyOf):
        return [ref for child in rule.children for ref in _references(child)]
    if isinstance(rule, Not):
        return _references(rule.child)
    return [rule] if isinstance(rule, SegmentCondition) else []


def _cycle_problems(specs: list[SegmentSpec]) -> list[SpecProblem]:
    by_name = {spec.name: spec for spec in specs}
    problems: list[SpecProblem] = []
    reported: set[frozenset[str]] = set()

    def visit(name: str, trail: list[str]) -> None:
        for ref in _references(by_name[name].rule):
            if ref.segment not in by_name:
                continue
            if ref.segment in trail:
                cycle = [*trail[trail.index(ref.segment) :], ref.segment]
                if frozenset(cycle) not in reported:
                    reported.add(frozenset(cycle))
                    problems.append(
                        SpecProblem(
                            by_name[name].file,
                            name,
                            f"cycle between segments: {' -> '.join(cycle)}",
                            ref.path,
                            f"in_segment: {ref.segment}",
                        )
                    )
                continue
            visit(ref.segment, [*trail, ref.segment])

    for spec in specs:
        visit(spec.name, [spec.name])
    return problems


def load_project(root: Path, catalog: FieldCatalog | None = None) -> SegmentProject:
    """Parse and check every segment of the dbt project at `root`; raise SegmentSpecError if any
    is invalid, naming file, segment and field for each problem."""
    models, other_models, problems = discover_model_segments(root)
    spec_files = sorted((root / SPECS_DIR).glob("*.y*ml"))
    if catalog is None:
        # Only specs need the marts' contracts: a project without specs compiles before they exist.
        catalog = load_catalog(root / "models") if spec_files else FieldCatalog({}, ())
    specs: list[SegmentSpec] = []
    failed: set[str] = set()
    for file in spec_files:
        spec, spec_problems = parse_spec(file, catalog)
        problems.extend(spec_problems)
        failed.update(problem.segment for problem in spec_problems)
        if spec is not None:
            specs.append(spec)
    seen: dict[str, Path] = {model.name: model.file for model in models}
    for spec in specs:
        if spec.name in seen:
            problems.append(
                SpecProblem(spec.file, spec.name, f"segment name already used by {seen[spec.name]}")
            )
        elif spec.name in other_models:
            problems.append(
                SpecProblem(spec.file, spec.name, "name clashes with an existing dbt model")
            )
        seen[spec.name] = spec.file
    known = set(seen) | failed
    for spec in specs:
        for ref in _references(spec.rule):
            if ref.segment not in known:
                problems.append(
                    SpecProblem(
                        spec.file,
                        spec.name,
                        f"unknown segment (segments: {', '.join(sorted(known))})",
                        ref.path,
                        f"in_segment: {ref.segment}",
                    )
                )
    problems.extend(_cycle_problems(specs))
    if problems:
        raise SegmentSpecError(problems)
    return SegmentProject(root, tuple(specs), tuple(models), catalog)


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _registered(project: SegmentProject) -> str:
    """Jinja expression: the segment names dbt must see, those needing predictions only where
    the predictions models build."""
    optional = project.needing_predictions
    always = ", ".join(_quote(name) for name in project.names if name not in optional)
    if not optional:
        return f"[{always}]"
    conditional = ", ".join(_quote(name) for name in project.names if name in optional)
    return f"([{always}] + ([{conditional}] if {PREDICTIONS_ENABLED} else []))"


def _when_predictions(project: SegmentProject, name: str, sql: str) -> str:
    """`sql` as is, or wrapped so it renders only where the predictions models build."""
    if name not in project.needing_predictions:
        return sql
    return f"{{% if {PREDICTIONS_ENABLED} %}}\n{sql}\n{{% endif %}}"


def _union_all(parts: list[tuple[str, str]], empty: str, project: SegmentProject) -> str:
    """`union all` of (segment, select) parts after an always-present first select; the parts
    of segments needing predictions are left out where those models are disabled."""
    always = [name for name, _ in parts if name not in project.needing_predictions]
    first = next((sql for name, sql in parts if always and name == always[0]), empty)
    rest = [(name, sql) for name, sql in parts if not always or name != always[0]]
    return first + "".join(
        "\n" + _when_predictions(project, name, f"union all\n{sql}") for name, sql in rest
    )


def _union_model(project: SegmentProject) -> str:
    names = project.names
    registered = _registered(project)
    check = (
        "{%- if execute -%}\n"
        f"  {{%- set registered = {registered} -%}}\n"
        "  {%- set tagged = [] -%}\n"
        "  {%- for node in graph.nodes.values() -%}\n"
        f"    {{%- if node.resource_type == 'model' and '{SEGMENT_TAG}' in node.tags -%}}"
        "{%- do tagged.append(node.name) -%}{%- endif -%}\n"
        "  {%- endfor -%}\n"
        "  {%- if tagged | sort != registered | sort -%}\n"
        "    {{ exceptions.raise_compiler_error('segment models tagged ' ~ (tagged | sort) ~ "
        "' differ from the registered ' ~ registered ~ '; run `cdp segments compile` "
        "(it finds the tag in a model\\'s own config() or properties YAML)') }}\n"
        "  {%- endif -%}\n"
        "{%- endif %}\n"
    )
    header = (
        "{{ config(materialized='table', schema='intermediate') }}\n"
        "-- Generated by `cdp segments compile`: every segment's current members, one row each.\n"
        + check
    )
    empty = (
        "select cast(null as {{ dbt.type_string() }}) as segment, "
        "cast(null as {{ dbt.type_string() }}) as customer_id\nwhere 1 = 0"
    )
    parts = [
        (name, f"select {_quote(name)} as segment, m.customer_id from {{{{ ref('{name}') }}}} as m")
        for name in names
    ]
    return header + _union_all(parts, empty, project) + "\n"


def _definitions_model(project: SegmentProject) -> str:
    rows: list[tuple[str, ...]] = [
        (spec.name, "spec", spec.owner, spec.description, project.relative(spec.file))
        for spec in project.specs
    ] + [
        (model.name, "model", model.owner, model.description, project.relative(model.file))
        for model in project.models
    ]
    rows.sort()
    header = (
        "{{ config(materialized='table', schema='marts') }}\n"
        "-- Generated by `cdp segments compile`: who owns each segment and where it is defined.\n"
    )
    columns = ("segment", "definition_kind", "owner", "description", "defined_in")
    parts = [
        (
            row[0],
            "select "
            + ", ".join(
                f"cast({_jinja_text(value)} as {{{{ dbt.type_string() }}}}) as {column}"
                for column, value in zip(columns, row, strict=True)
            ),
        )
        for row in rows
    ]
    empty = ", ".join(f"cast(null as {{{{ dbt.type_string() }}}}) as {c}" for c in columns)
    return header + _union_all(parts, f"select {empty}\nwhere 1 = 0", project) + "\n"


def _jinja_text(value: str) -> str:
    literal = _quote(" ".join(value.split()))
    if any(marker in literal for marker in ("{", "}", "#")):
        return "{% raw %}" + literal + "{% endraw %}"
    return literal


def _properties(project: SegmentProject) -> str:
    """The segments' members are tested once, in the union of every segment (a `union all`, so
    a repeated or missing customer id of any segment is one there, under the segment's name):
    a test per segment view ran the view's whole query again, 16 times per build."""
    models: list[dict[str, Any]] = []
    for spec in project.specs:
        id_type = project.catalog.fields["customer_id"].data_type
        models.append(
            {
                "name": spec.name,
                "description": spec.description,
                "config": {
                    "tags": [SEGMENT_TAG],
                    "meta": {"owner": spec.owner, "spec": project.relative(spec.file)},
                    "contract": {"enforced": True},
                },
                "columns": [{"name": "customer_id", "data_type": id_type}],
            }
        )
    text_columns = ("segment", "definition_kind", "owner", "description", "defined_in")
    models.append(
        {
            "name": DEFINITIONS_MODEL,
            "description": "One row per segment (YAML spec or tagged model): owner and origin.",
            "config": {"contract": {"enforced": True}},
            "columns": [
                {
                    "name": column,
                    "data_type": "varchar",
                    **({"data_tests": ["unique", "not_null"]} if column == "segment" else {}),
                }
                for column in text_columns
            ],
        }
    )
    models.append(
        {
            "name": UNION_MODEL,
            "description": "Current members of every segment, recomputed each run.",
            "data_tests": [
                {
                    "unique_combination_of_columns": {
                        "arguments": {"combination_of_columns": ["segment", "customer_id"]}
                    }
                }
            ],
            "columns": [
                {"name": "segment", "data_tests": ["not_null"]},
                {"name": "customer_id", "data_tests": ["not_null"]},
            ],
        }
    )
    header = (
        "# Generated by `cdp segments compile`. Do not edit: edit dbt_project/segments/*.yml.\n"
    )
    return header + yaml.safe_dump({"version": 2, "models": models}, sort_keys=False, width=100)


def generated_files(project: SegmentProject) -> dict[str, str]:
    """File name -> content of everything `cdp segments compile` writes into the generated dir."""
    needing = project.needing_predictions
    files = {
        f"{spec.name}.sql": render_segment_model(
            spec, project.relative(spec.file), spec.name in needing
        )
        for spec in project.specs
    }
    files[f"{UNION_MODEL}.sql"] = _union_model(project)
    files[f"{DEFINITIONS_MODEL}.sql"] = _definitions_model(project)
    files["_generated__models.yml"] = _properties(project)
    return files


@dataclass(frozen=True)
class CompileResult:
    written: list[str]
    removed: list[str]
    unchanged: list[str]

    @property
    def changed(self) -> bool:
        return bool(self.written or self.removed)


def compile_project(root: Path, *, check: bool = False) -> CompileResult:
    """Regenerate the segment models of the dbt project at `root` (or, with `check`, only report
    what would change). Raises SegmentSpecError before touching any file if a spec is invalid."""
    project = load_project(root)
    target = root / GENERATED_DIR
    wanted = generated_files(project)
    existing = (
        {path.name: path for path in target.glob("*") if path.is_file()} if target.exists() else {}
    )
    written = sorted(
        name
        for name, text in wanted.items()
        if name not in existing or existing[name].read_text() != text
    )
    removed = sorted(name for name in existing if name not in wanted)
    unchanged = sorted(name for name in wanted if name not in written)
    if not check:
        target.mkdir(parents=True, exist_ok=True)
        for name in written:
            (target / name).write_text(wanted[name])
        for name in removed:
            existing[name].unlink()
    return CompileResult(written, removed, unchanged)
