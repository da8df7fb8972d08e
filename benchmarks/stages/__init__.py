"""Benchmark stages; importing this package registers every stage module listed here."""

from benchmarks.stages import identity, ingestion, orchestration, predictive, segments

__all__ = ["identity", "ingestion", "orchestration", "predictive", "segments"]
