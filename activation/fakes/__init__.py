"""Local HTTP fakes of each destination API, for tests, benchmarks and demos.

Each fake is a real HTTP server on 127.0.0.1 that enforces its API's contract (authentication,
batch caps, hash formats, partial-failure and throttle shapes) and keeps the members it received,
so a test can assert exactly what arrived.
"""
