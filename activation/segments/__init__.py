"""Marketer-defined segments: YAML specs checked against the marts' contracts and compiled to dbt.

Activation reads segment membership only from `marts.segment_memberships`; this package owns how
those memberships are defined.
"""

from activation.segments.catalog import FieldCatalog, load_catalog
from activation.segments.errors import SegmentSpecError, SpecProblem
from activation.segments.project import (
    CompileResult,
    ModelSegment,
    SegmentProject,
    compile_project,
    generated_files,
    load_project,
)
from activation.segments.spec import SegmentSpec, parse_spec

__all__ = [
    "CompileResult",
    "FieldCatalog",
    "ModelSegment",
    "SegmentProject",
    "SegmentSpec",
    "SegmentSpecError",
    "SpecProblem",
    "compile_project",
    "generated_files",
    "load_catalog",
    "load_project",
    "parse_spec",
]
