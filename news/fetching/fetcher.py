"""The safe fetcher: the only way the project reaches the network.

SafeFetcher.fetch() GETs one http(s) URL under the rules of
news/address_policy.py and returns a FetchResult, or raises a FetchError whose
str() is written for operators. The connection layer resolves each host once,
checks every address and connects to the checked address itself, so a DNS
answer that changes between check and use (rebinding) reaches nothing; TLS
still verifies the certificate for, and sends SNI with, the URL's host name.

httpx supplies URLs, headers and responses, but no httpx.Client is used: a
client keeps one cookie jar for unrelated sites and reads proxies and .netrc
from the environment. Redirects are followed here, each hop checked again.
"""

from __future__ import annotations

import functools
import ssl
import time
import zlib
from collections.abc import Iterable
from http import HTTPStatus
from types import MappingProxyType, TracebackType
from typing import Self

import brotli  # type: ignore[import-untyped]
import certifi
import httpx
from django.conf import settings

from news.address_policy import AddressPolicy, ResolutionError, Resolver, TargetRefusedError
from news.fetching.decoding import decoded_stream
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
from news.fetching.responses import FetchResult, retry_after_seconds
from news.fetching.transport import DEADLINE, PinnedTransport
from news.host_limits import HostLimiter, SlotUnavailableError, host_limiter_from_settings

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_ACCEPT_ENCODING = "gzip, deflate, br"
_BROTLI_ERROR: type[Exception] = brotli.error

# ------------------------------------------------------------------ the fetcher


class SafeFetcher:
    """GETs public http(s) URLs under the network policy. Thread-safe: share one
    instance across a thread pool; close() it when done."""

    def __init__(
        self,
        *,
        user_agent: str,
        allow_private_hosts: Iterable[str],
        max_bytes: int,
        connect_timeout: float,
        read_timeout: float,
        total_timeout: float,
        max_redirects: int,
        host_limiter: HostLimiter,
        resolver: Resolver | None = None,
        ca_bundle: str | None = None,
    ) -> None:
        """``ca_bundle``: a PEM file of the only CAs to trust instead of certifi's
        (tests use it); there is deliberately no way to turn verification off."""
        self._policy = AddressPolicy(allow_private_hosts=allow_private_hosts, resolver=resolver)
        tls = ssl.create_default_context(cafile=ca_bundle or certifi.where())
        tls.minimum_version = ssl.TLSVersion.TLSv1_2
        self._transport = PinnedTransport(self._policy, tls)
        self._user_agent = user_agent
        self._max_bytes = max_bytes
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._total_timeout = total_timeout
        self._max_redirects = max_redirects
        self._host_limiter = host_limiter

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, _: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._transport.close()

    def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str | None = None,
    ) -> FetchResult:
        """GET the URL; FetchResult for 2xx and 304, FetchError for everything else.

        ``etag`` and ``last_modified`` are the validators of the copy the caller
        holds; a 304 result echoes them back when the server omits its own.
        """
        started = time.monotonic()
        deadline = started + self._total_timeout
        headers = {
            "User-Agent": self._user_agent,
            "Accept": accept or "*/*",
            "Accept-Encoding": _ACCEPT_ENCODING,
        }
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        target = self._checked(url, origin=url)
        visited = {str(target)}
        while not isinstance(outcome := self._exchange(target, headers, deadline, url), tuple):
            target = self._checked(outcome, origin=url)
            if str(target) in visited:
                message = f"Redirect loop: {target} was already visited"
                raise TooManyRedirectsError(message, url=url)
            if len(visited) > self._max_redirects:
                message = f"Too many redirects (more than {self._max_redirects})"
                raise TooManyRedirectsError(message, url=url)
            visited.add(str(target))
        response, content = outcome
        content_type, charset = _media_type(response.headers.get("content-type", ""))
        # A 304 confirms the caller's copy; keep its validators if the server omits them.
        kept = response.status_code == 304
        return FetchResult(
            url=str(target),
            status=response.status_code,
            content=content,
            headers=MappingProxyType({k.lower(): v for k, v in response.headers.items()}),
            content_type=content_type,
            encoding=charset,
            etag=response.headers.get("etag") or (etag if kept else None),
            last_modified=response.headers.get("last-modified")
            or (last_modified if kept else None),
            elapsed=time.monotonic() - started,
        )

    def _checked(self, raw: str | httpx.URL, *, origin: str) -> httpx.URL:
        try:
            url = httpx.URL(raw)
        except httpx.InvalidURL as error:
            raise BlockedURLError(f"Invalid URL {raw} ({error})", url=origin) from error
        if url.userinfo:
            raise BlockedURLError("Refused: URLs with credentials are not fetched", url=origin)
        port = url.port or (443 if url.scheme == "https" else 80)
        try:
            self._policy.check_target(url.scheme, _ascii_host(url), port)
        except TargetRefusedError as error:
            raise BlockedURLError(_with_hop(str(error), url, origin), url=origin) from error
        return url.copy_with(fragment=None)

    def _exchange(
        self, target: httpx.URL, headers: dict[str, str], deadline: float, origin: str
    ) -> tuple[httpx.Response, bytes] | httpx.URL:
        """One request under a host slot: the response and its body, or the next hop."""
        host = _ascii_host(target)
        try:
            # Waiting for a slot spends the same deadline as the request itself.
            with self._host_limiter.slot(host, timeout=max(0.0, deadline - time.monotonic())):
                token = DEADLINE.set(deadline)
                try:
                    return self._send(target, headers, origin=origin)
                finally:
                    DEADLINE.reset(token)
        except SlotUnavailableError as error:
            raise HostBusyError(str(error), url=origin) from error
        except TargetRefusedError as error:
            raise BlockedURLError(_with_hop(str(error), target, origin), url=origin) from error
        except ResolutionError as error:
            raise DNSLookupError(str(error), url=origin) from error
        except httpx.TimeoutException as error:
            raise self._timeout_error(error, host, deadline=deadline, origin=origin) from error
        except httpx.TransportError as error:
            raise _transport_error(error, host, origin=origin) from error

    def _send(
        self, target: httpx.URL, headers: dict[str, str], *, origin: str
    ) -> tuple[httpx.Response, bytes] | httpx.URL:
        timeouts = {
            "connect": self._connect_timeout,
            "read": self._read_timeout,
            "write": self._read_timeout,
            "pool": self._total_timeout,
        }
        request = httpx.Request("GET", target, headers=headers, extensions={"timeout": timeouts})
        response = self._transport.handle_request(request)
        try:
            status = response.status_code
            location = response.headers.get("location")
            if status in _REDIRECT_STATUSES and location:
                try:
                    return target.join(location)
                except httpx.InvalidURL as error:
                    message = f"Invalid redirect location {location!r} ({error})"
                    raise BlockedURLError(message, url=origin) from error
            if 200 <= status < 300:
                return response, self._read_body(response, origin=origin)
            if status == 304:
                return response, b""
            raise _status_error(response, origin=origin)
        finally:
            response.close()

    def _read_body(self, response: httpx.Response, *, origin: str) -> bytes:
        too_large = f"Response larger than {_size(self._max_bytes)}"
        encoding = response.headers.get("content-encoding", "")
        declared = response.headers.get("content-length", "")
        if not encoding and declared.isdigit() and int(declared) > self._max_bytes:
            raise ResponseTooLargeError(too_large, url=origin)
        body = bytearray()
        try:
            for piece in decoded_stream(response.iter_raw(), encoding):
                body += piece
                if len(body) > self._max_bytes:
                    raise ResponseTooLargeError(too_large, url=origin)
        except (zlib.error, _BROTLI_ERROR) as error:
            message = f"Could not decode the {encoding} response body ({error})"
            raise PermanentFetchError(message, url=origin) from error
        return bytes(body)

    def _timeout_error(
        self, error: httpx.TimeoutException, host: str, *, deadline: float, origin: str
    ) -> FetchTimeoutError:
        if time.monotonic() >= deadline:
            message = f"Timed out after {self._total_timeout:g} s"
        elif isinstance(error, httpx.ConnectTimeout):
            message = f"Timed out connecting to {host} after {self._connect_timeout:g} s"
        else:
            message = f"Timed out after {self._read_timeout:g} s waiting for {host}"
        return FetchTimeoutError(message, url=origin)


def _transport_error(error: httpx.TransportError, host: str, *, origin: str) -> FetchError:
    if isinstance(error, httpx.ConnectError):
        # The handshake runs inside connect; its ssl error is further down the chain.
        cause: BaseException | None = error
        while cause is not None and not isinstance(cause, ssl.SSLError):
            cause = cause.__cause__ or cause.__context__
        if isinstance(cause, ssl.SSLCertVerificationError):
            message = (
                f"TLS certificate verification failed for host {host} ({cause.verify_message})"
            )
            return TLSError(message, url=origin)
        if isinstance(cause, ssl.SSLError):
            return TLSError(f"TLS handshake failed for host {host} ({cause.reason})", url=origin)
        return TransientFetchError(f"Could not connect to {host} ({error})", url=origin)
    if isinstance(error, httpx.LocalProtocolError | httpx.UnsupportedProtocol):
        # Our request itself is malformed (say a stored ETag with a newline): retrying repeats it.
        return PermanentFetchError(f"Invalid request to {host} ({error})", url=origin)
    return TransientFetchError(f"Connection to {host} failed ({error})", url=origin)


def _status_error(response: httpx.Response, *, origin: str) -> FetchError:
    status = response.status_code
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = response.reason_phrase
    message = f"HTTP {status} {phrase}".rstrip()
    retry_after = None
    if status in (429, 503):
        retry_after = retry_after_seconds(response.headers.get("retry-after"))
        if retry_after is not None:
            message += f" (retry after {retry_after:.0f} s)"
    if status in (408, 429) or 500 <= status < 600:
        return TransientFetchError(message, url=origin, status=status, retry_after=retry_after)
    if 300 <= status < 400:
        message += " without a usable Location header"
    return PermanentFetchError(message, url=origin, status=status)


def _ascii_host(url: httpx.URL) -> str:
    # The IDNA-encoded form is what the connection layer resolves, so the policy,
    # the allow-list and the host limiter all see that same spelling.
    return url.raw_host.decode("ascii")


def _media_type(content_type: str) -> tuple[str, str | None]:
    media_type, *parameters = content_type.split(";")
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            return media_type.strip().lower(), value.strip().strip('"').lower()
    return media_type.strip().lower(), None


def _with_hop(message: str, hop: httpx.URL, origin: str) -> str:
    return message if str(hop) == origin else f"{message} (redirected to {hop})"


def _size(count: int) -> str:
    for unit, scale in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if count >= scale and count % scale == 0:
            return f"{count // scale} {unit}"
    return f"{count} bytes"


@functools.cache
def fetcher_from_settings() -> SafeFetcher:
    """The process's shared fetcher, built from django.conf.settings on first use.

    Tests that change FETCH_* settings call ``fetcher_from_settings.cache_clear()``.
    """
    return SafeFetcher(
        user_agent=settings.FETCH_USER_AGENT,
        allow_private_hosts=list(settings.FETCH_ALLOW_PRIVATE_HOSTS),
        max_bytes=int(settings.FETCH_MAX_BYTES),
        connect_timeout=float(settings.FETCH_CONNECT_TIMEOUT),
        read_timeout=float(settings.FETCH_READ_TIMEOUT),
        total_timeout=float(settings.FETCH_TOTAL_TIMEOUT),
        max_redirects=int(settings.FETCH_MAX_REDIRECTS),
        host_limiter=host_limiter_from_settings(),
    )
