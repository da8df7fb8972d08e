"""Benchmark stages; importing this package registers every stage module listed here."""

from benchmarks.stages import ingestion

__all__ = ["ingestion"]
