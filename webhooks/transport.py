"""Sending one webhook request under the safe fetcher's network policy. No ORM here.

The request goes through news.fetching's PinnedTransport: the host is resolved
once, every address is checked by news.address_policy, and the checked address
is the one connected to, so a DNS answer that changes between check and use
(rebinding) reaches nothing. TLS still verifies the certificate for the URL's
host name. Redirects are never followed: a 3xx is an answer like any other
non-2xx, so a receiver cannot bounce a signed request to an internal address.

Error messages end up in the delivery log the owner reads: they name the host,
never the full URL (whose path or query may hold the receiver's own token).
"""

from __future__ import annotations

import functools
import ssl
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import certifi
import httpx
from django.conf import settings

from news.address_policy import AddressPolicy, ResolutionError, Resolver, TargetRefusedError
from news.fetching import retry_after_seconds
from news.fetching.transport import DEADLINE, PinnedTransport


class WebhookTargetRefusedError(Exception):
    """The URL is outside the policy (scheme, port, credentials, a private address).
    Permanent: sending again cannot help until the URL or the settings change."""


class WebhookSendError(Exception):
    """The request got no HTTP answer (DNS, connection, TLS, timeout). Worth retrying."""


@dataclass(frozen=True)
class WebhookResponse:
    status: int
    retry_after: float | None  # seconds, from Retry-After on a 429 or 503
    duration_ms: int

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


@functools.cache
def _tls_context(ca_bundle: str | None) -> ssl.SSLContext:
    # Building a context reads the whole CA bundle: once per process is enough.
    context = ssl.create_default_context(cafile=ca_bundle or certifi.where())
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def _host(url: httpx.URL) -> str:
    return url.raw_host.decode("ascii")


class WebhookSender:
    """POSTs to webhook URLs. One instance per batch of sends; close() it after."""

    def __init__(
        self,
        *,
        allow_private_hosts: Iterable[str],
        allow_http: bool,
        timeout: float,
        user_agent: str,
        resolver: Resolver | None = None,
        ca_bundle: str | None = None,
    ) -> None:
        """``ca_bundle``: a PEM file of the only CAs to trust (tests); there is no
        way to turn certificate checks off."""
        self._policy = AddressPolicy(allow_private_hosts=allow_private_hosts, resolver=resolver)
        self._allow_http = allow_http
        self._timeout = timeout
        self._user_agent = user_agent
        self._ca_bundle = ca_bundle
        self._transport: PinnedTransport | None = None

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    def checked_url(self, raw: str) -> httpx.URL:
        """The URL if the policy allows it, before any DNS lookup."""
        try:
            url = httpx.URL(raw)
        except httpx.InvalidURL as error:
            raise WebhookTargetRefusedError("Refused: not a valid URL") from error
        allowed = ("https", "http") if self._allow_http else ("https",)
        if url.scheme not in allowed:
            raise WebhookTargetRefusedError("Refused: only https URLs receive webhooks")
        if url.userinfo:
            raise WebhookTargetRefusedError("Refused: URLs with credentials are not allowed")
        port = url.port or (443 if url.scheme == "https" else 80)
        try:
            self._policy.check_target(url.scheme, _host(url), port)
        except TargetRefusedError as error:
            raise WebhookTargetRefusedError(str(error)) from error
        return url.copy_with(fragment=None)

    def check_registration(self, raw: str) -> None:
        """The checks of checked_url plus a DNS lookup whose every answer must pass.
        Sending checks again: the name may point elsewhere by then."""
        url = self.checked_url(raw)
        port = url.port or (443 if url.scheme == "https" else 80)
        try:
            self._policy.resolve(_host(url), port)
        except TargetRefusedError as error:
            raise WebhookTargetRefusedError(str(error)) from error
        except ResolutionError as error:
            raise WebhookTargetRefusedError(
                f"Refused: the host {_host(url)} does not resolve"
            ) from error

    def post(self, raw_url: str, *, body: bytes, headers: Mapping[str, str]) -> WebhookResponse:
        """POST ``body`` once. Any HTTP answer is returned, whatever its status;
        no answer raises WebhookSendError, a refused target WebhookTargetRefusedError."""
        url = self.checked_url(raw_url)
        host = _host(url)
        timeouts = dict.fromkeys(("connect", "read", "write", "pool"), self._timeout)
        request = httpx.Request(
            "POST",
            url,
            content=body,
            headers={
                **headers,
                "User-Agent": self._user_agent,
                "Content-Type": "application/json",
            },
            extensions={"timeout": timeouts},
        )
        if self._transport is None:
            self._transport = PinnedTransport(self._policy, _tls_context(self._ca_bundle))
        started = time.monotonic()
        token = DEADLINE.set(started + self._timeout)
        try:
            response = self._transport.handle_request(request)
            response.close()  # the answer's body is not needed, only its status
        except TargetRefusedError as error:
            raise WebhookTargetRefusedError(str(error)) from error
        except ResolutionError as error:
            raise WebhookSendError(f"DNS lookup failed for {host}") from error
        except httpx.TimeoutException as error:
            raise WebhookSendError(f"No answer from {host} within {self._timeout:g} s") from error
        except httpx.TransportError as error:
            raise WebhookSendError(_transport_message(error, host)) from error
        finally:
            DEADLINE.reset(token)
        retry_after = None
        if response.status_code in (429, 503):
            retry_after = retry_after_seconds(response.headers.get("retry-after"))
        return WebhookResponse(
            status=response.status_code,
            retry_after=retry_after,
            duration_ms=int((time.monotonic() - started) * 1000),
        )


def _transport_message(error: httpx.TransportError, host: str) -> str:
    cause: BaseException | None = error
    while cause is not None and not isinstance(cause, ssl.SSLError):
        cause = cause.__cause__ or cause.__context__
    if isinstance(cause, ssl.SSLCertVerificationError):
        return f"TLS certificate verification failed for {host} ({cause.verify_message})"
    if isinstance(cause, ssl.SSLError):
        return f"TLS handshake failed with {host} ({cause.reason})"
    if isinstance(error, httpx.ConnectError):
        return f"Could not connect to {host}"
    return f"Connection to {host} failed ({type(error).__name__})"


def sender_from_settings() -> WebhookSender:
    """A sender built from django.conf.settings (read each time, so tests can override)."""
    return WebhookSender(
        allow_private_hosts=list(settings.FETCH_ALLOW_PRIVATE_HOSTS),
        allow_http=bool(settings.WEBHOOK_ALLOW_HTTP),
        timeout=float(settings.WEBHOOK_TIMEOUT),
        user_agent=f"AICompetitorInsightHub-Webhooks/1.0 (+{settings.SITE_URL})",
    )
