"""Vectorized readers of export files: text in, Arrow tables plus quarantined lines out."""
