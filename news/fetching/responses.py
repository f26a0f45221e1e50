"""The result of a fetch, and the cache and retry hints read from its headers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

# ------------------------------------------------------------------ result


@dataclass(frozen=True)
class FetchResult:
    url: str  # after redirects
    status: int  # 2xx, or 304 when a conditional GET found nothing new
    content: bytes  # decoded; empty on 304
    headers: Mapping[str, str]  # lower-cased names, repeated headers joined by ", "
    content_type: str  # lower-cased media type without parameters; "" when absent
    encoding: str | None  # the charset parameter, lower-cased
    etag: str | None
    last_modified: str | None
    elapsed: float  # seconds, all hops included

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def freshness(self) -> int | None:
        return freshness_seconds(self.headers)


def freshness_seconds(headers: Mapping[str, str], *, now: datetime | None = None) -> int | None:
    """How long the response stays fresh by Cache-Control / Expires, or None if unsaid.

    Follows RFC 9111 for a private cache: no-store and no-cache mean 0, max-age
    wins over Expires, Age is subtracted, and an unparseable Expires means stale.
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    directives: dict[str, str] = {}
    for part in lowered.get("cache-control", "").split(","):
        name, _, value = part.partition("=")
        directives[name.strip().lower()] = value.strip().strip('"')
    if "no-store" in directives or "no-cache" in directives:
        return 0
    age = int(lowered["age"]) if lowered.get("age", "").isdigit() else 0
    if directives.get("max-age", "").isdigit():
        return max(0, int(directives["max-age"]) - age)
    if "expires" not in lowered:
        return None
    expires = _http_date(lowered["expires"])
    if expires is None:
        return 0
    # The server's own Date is the reference, so our clock's skew does not matter.
    reference = _http_date(lowered.get("date", "")) or now or datetime.now(UTC)
    return max(0, int((expires - reference).total_seconds()) - age)


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delay-seconds or HTTP-date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    when = _http_date(value)
    if when is None:
        return None
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _http_date(value: str) -> datetime | None:
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
