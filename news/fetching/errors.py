"""Fetch errors. Their str() is written for operators: it ends up in Source.last_error."""

from __future__ import annotations

# ------------------------------------------------------------------ errors


class FetchError(Exception):
    """A fetch that produced no usable response. str() is shown to operators.

    ``status`` is the HTTP status when the server answered with an error.
    """

    def __init__(self, message: str, *, url: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.url = url
        self.status = status

    def __str__(self) -> str:
        return self.message


class PermanentFetchError(FetchError):
    """Retrying will not help until the URL, the server or the settings change."""


class TransientFetchError(FetchError):
    """Worth retrying later; ``retry_after`` is the server's wish in seconds, if it said."""

    def __init__(
        self,
        message: str,
        *,
        url: str = "",
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, url=url, status=status)
        self.retry_after = retry_after


class BlockedURLError(PermanentFetchError):
    """The URL, its port or an address it resolves to is outside the network policy."""


class ResponseTooLargeError(PermanentFetchError):
    """The decoded body passed the size cap."""


class TLSError(PermanentFetchError):
    """The TLS handshake or certificate check failed; there is no insecure retry."""


class TooManyRedirectsError(PermanentFetchError):
    """More redirects than allowed, or a redirect back to a URL already visited."""


class FetchTimeoutError(TransientFetchError):
    """A connect, read or total deadline passed."""


class DNSLookupError(TransientFetchError):
    """The host name did not resolve."""


class HostBusyError(TransientFetchError):
    """Every request slot for the host stayed taken until the deadline."""
