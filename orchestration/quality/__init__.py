"""Measurements of warehouse quality against what we know to be true."""
