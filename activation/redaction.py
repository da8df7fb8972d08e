"""Identifier-derived text kept out of log lines and stored error texts.

Some APIs put a person in the URL: Mailchimp's member paths carry the subscriber hash, md5 of
the lowercased email, which anyone can recompute from the address. Log lines and error texts
(stored in `activation.sync_log`) outlive a GDPR erasure, so they get the path with such
segments replaced: hex digests (32 characters or more: md5, SHA-1, SHA-256) and email addresses.
API replies quoted in error texts get the same, as they may echo an address or a hash.
"""

from __future__ import annotations

import logging
import re

MASK = "<redacted>"
_DIGEST = re.compile(r"\b[0-9a-fA-F]{32,}\b")
_EMAIL = re.compile(r"[^\s/?#&=\"'<>]+(?:@|%40)[^\s/?#&=\"'<>]+")


def redact_identifiers(text: str) -> str:
    return _EMAIL.sub(MASK, _DIGEST.sub(MASK, text))


class RedactIdentifiers(logging.Filter):
    """For a library's logger that writes request URLs (httpx logs every request at INFO)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact_identifiers(record.getMessage())
        record.args = None
        return True


def redact_library_logs() -> None:
    """Idempotent: the filter goes on httpx's logger once."""
    logger = logging.getLogger("httpx")
    if not any(isinstance(f, RedactIdentifiers) for f in logger.filters):
        logger.addFilter(RedactIdentifiers())
