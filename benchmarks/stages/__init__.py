"""Benchmark stages; importing this package registers every stage module listed here."""

from benchmarks.stages import (
    activation,
    identity,
    ingestion,
    orchestration,
    predictive,
    segments,
    spark,
)

__all__ = [
    "activation",
    "identity",
    "ingestion",
    "orchestration",
    "predictive",
    "segments",
    "spark",
]
