"""`make bench`: wall time, rows/s and peak memory of each stage of the chain on S, M or L data.

Stages register themselves in `benchmarks.registry`; each measurement runs in its own child
process so its peak memory (including processes it starts) is its own.
"""
