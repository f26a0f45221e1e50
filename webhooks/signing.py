"""Webhook signatures: HMAC-SHA256 of "<timestamp>.<body>" under the endpoint's secret.

    X-Webhook-Timestamp: 1767225600
    X-Webhook-Signature: v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd

Binding the timestamp into the MAC lets a receiver refuse a replayed request
once it is older than its tolerance. The "v1=" prefix names the scheme, so a
later one can be sent beside it; a header may carry several comma-separated
signatures (during a secret rotation, say) and one match is enough. Pure
functions, no Django: docs/api.md shows the same check for receivers.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SCHEME = "v1"
DEFAULT_TOLERANCE = 300  # seconds


def signature(*, secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of f"{timestamp}.{body}"."""
    message = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def sign(*, secret: str, body: bytes, timestamp: int | None = None) -> tuple[int, str]:
    """(timestamp, header value) for a request carrying ``body``."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    return timestamp, f"{SCHEME}={signature(secret=secret, timestamp=timestamp, body=body)}"


def verify(
    *,
    secret: str,
    body: bytes,
    timestamp: str,
    signature_header: str,
    tolerance: int = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> bool:
    """What a receiver does: True when one "v1=" signature in the header matches
    and the timestamp is within ``tolerance`` seconds of ``now`` either way."""
    try:
        sent_at = int(timestamp)
    except ValueError:
        return False
    current = time.time() if now is None else now
    if abs(current - sent_at) > tolerance:
        return False
    expected = signature(secret=secret, timestamp=sent_at, body=body)
    for part in signature_header.split(","):
        scheme, _, value = part.strip().partition("=")
        # compare_digest: the time taken says nothing about how much matched.
        if scheme == SCHEME and hmac.compare_digest(value.encode(), expected.encode()):
            return True
    return False
