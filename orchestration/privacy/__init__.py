"""The right to erasure: forget a person everywhere the platform holds them, and prove it.

`erasure.forget` runs the steps in order, each recorded in the ledger (`ledger`), so a request can
be resumed after a crash and repeated without doing anything twice: resolve the person through
the identity graph (`resolve`), delete them from the warehouse (`warehouse`), suppress them at
ingestion and activation, remove them from destinations, and write a receipt from a scan of every
table (`receipt`). docs/privacy.md describes the whole.
"""
