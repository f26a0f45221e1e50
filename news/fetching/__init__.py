"""The safe fetcher: the only way the project reaches the network.

fetcher.py holds SafeFetcher; transport.py the pinned connection layer;
decoding.py the bounded decompressors; errors.py and responses.py what callers see.
"""

from news.fetching.errors import (
    BlockedURLError,
    DNSLookupError,
    FetchError,
    FetchTimeoutError,
    HostBusyError,
    PermanentFetchError,
    ResponseTooLargeError,
    TLSError,
    TooManyRedirectsError,
    TransientFetchError,
)
from news.fetching.fetcher import SafeFetcher, fetcher_from_settings
from news.fetching.responses import FetchResult, freshness_seconds, retry_after_seconds

__all__ = [
    "BlockedURLError",
    "DNSLookupError",
    "FetchError",
    "FetchResult",
    "FetchTimeoutError",
    "HostBusyError",
    "PermanentFetchError",
    "ResponseTooLargeError",
    "SafeFetcher",
    "TLSError",
    "TooManyRedirectsError",
    "TransientFetchError",
    "fetcher_from_settings",
    "freshness_seconds",
    "retry_after_seconds",
]
