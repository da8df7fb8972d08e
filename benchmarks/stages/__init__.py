"""Benchmark stages; importing this package registers every stage module listed here."""

from benchmarks.stages import ingestion, orchestration, predictive

__all__ = ["ingestion", "orchestration", "predictive"]
