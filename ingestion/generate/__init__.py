"""Deterministic, realistic sample exports of every source system, with ground truth.

`generate(out_dir, people, seed, end_date)` is the entry point; docs/landing-files.md describes
every file it writes.
"""

from ingestion.generate.core import GenerateSummary, generate

__all__ = ["GenerateSummary", "generate"]
