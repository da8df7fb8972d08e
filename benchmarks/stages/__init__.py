"""Benchmark stages; importing this package registers every stage module listed here."""

from benchmarks.stages import (
    activation,
    chain,
    identity,
    ingestion,
    peers,
    predictive,
    segments,
    spark,
)

__all__ = [
    "activation",
    "chain",
    "identity",
    "ingestion",
    "peers",
    "predictive",
    "segments",
    "spark",
]
