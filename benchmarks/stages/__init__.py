"""Benchmark stages; importing this package registers every stage module listed here."""

from benchmarks.stages import ingestion, orchestration, predictive, segments

__all__ = ["ingestion", "orchestration", "predictive", "segments"]
