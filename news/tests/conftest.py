"""Fixtures for tests that talk HTTP: loopback servers, listeners, fetchers.

Only loopback traffic is allowed. ``connect_attempts`` is autouse: every TCP
connection the safe fetcher opens is recorded, and one to any address off
loopback fails the test before a packet leaves the machine.
"""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpcore
import pytest
import redis
from django.conf import settings

from news.fetching import SafeFetcher, fetcher_from_settings
from news.host_limits import LocalHostLimiter, RedisHostLimiter
from news.tests.http_servers import (
    LocalHTTPServer,
    TCPListener,
    TLSCertificate,
    make_self_signed_certificate,
)


class OffLoopbackConnectionError(AssertionError):
    pass


@pytest.fixture(autouse=True)
def connect_attempts(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """(address, port) of every connection the fetcher tried to open in this test."""
    attempts: list[tuple[str, int]] = []
    connect = httpcore.SyncBackend.connect_tcp

    def guarded(self: httpcore.SyncBackend, host: str, port: int, *args: Any, **kwargs: Any):
        attempts.append((host, port))
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False  # the fetcher connects to addresses it checked, never to names
        if not loopback:
            raise OffLoopbackConnectionError(f"a test tried to connect to {host}:{port}")
        return connect(self, host, port, *args, **kwargs)

    monkeypatch.setattr(httpcore.SyncBackend, "connect_tcp", guarded)
    return attempts


@pytest.fixture
def http_server() -> Iterator[LocalHTTPServer]:
    """A started HTTP server on 127.0.0.1 with no routes yet."""
    with LocalHTTPServer() as server:
        yield server


@pytest.fixture
def http_server_factory() -> Iterator[Callable[..., LocalHTTPServer]]:
    """Starts LocalHTTPServer(**kwargs) on demand (other hosts, TLS); stops them all after."""
    servers: list[LocalHTTPServer] = []

    def start(**kwargs: Any) -> LocalHTTPServer:
        server = LocalHTTPServer(**kwargs).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def tcp_listener_factory() -> Iterator[Callable[..., TCPListener]]:
    """Opens TCPListener(host, port) on demand; closes them all after."""
    listeners: list[TCPListener] = []

    def open_listener(host: str = "127.0.0.1", port: int = 0) -> TCPListener:
        listener = TCPListener(host, port)
        listeners.append(listener)
        return listener

    yield open_listener
    for listener in listeners:
        listener.close()


@pytest.fixture(scope="session")
def tls_certificate(tmp_path_factory: pytest.TempPathFactory) -> TLSCertificate:
    """A self-signed certificate for the name feeds.test."""
    return make_self_signed_certificate(tmp_path_factory.mktemp("tls"), "feeds.test")


@pytest.fixture
def fetcher_factory() -> Iterator[Callable[..., SafeFetcher]]:
    """Builds SafeFetchers with short test timeouts; any argument can be overridden.

    Reach a local server with ``fetcher_factory(allow_private_hosts=[server.allow_entry])``.
    """
    fetchers: list[SafeFetcher] = []

    def build(**overrides: Any) -> SafeFetcher:
        options: dict[str, Any] = {
            "user_agent": "AICompetitorInsightHub-tests/1.0",
            "allow_private_hosts": [],
            "max_bytes": 1024 * 1024,
            "connect_timeout": 2.0,
            "read_timeout": 2.0,
            "total_timeout": 5.0,
            "max_redirects": 5,
            "host_limiter": LocalHostLimiter(limit=8),
        }
        fetcher = SafeFetcher(**(options | overrides))
        fetchers.append(fetcher)
        return fetcher

    yield build
    for fetcher in fetchers:
        fetcher.close()


@pytest.fixture
def redis_limiter_factory() -> Iterator[Callable[..., RedisHostLimiter]]:
    """RedisHostLimiters sharing a key prefix unique to this test (parallel workers
    share one Redis), each with its own client, as separate worker processes have."""
    prefix = f"test-fetch-slots-{uuid.uuid4().hex}"
    clients: list[redis.Redis] = []

    def build(*, limit: int = 2, lease_seconds: float = 30.0) -> RedisHostLimiter:
        client = redis.Redis.from_url(settings.TEST_REDIS_URL)
        clients.append(client)
        return RedisHostLimiter(client, limit=limit, lease_seconds=lease_seconds, key_prefix=prefix)

    yield build
    for client in clients:
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)
        client.close()


@pytest.fixture
def allow_fetching_from(settings: Any) -> Iterator[Callable[..., None]]:
    """Lets fetcher_from_settings() reach the given local servers, for code under
    test that builds its own fetcher from settings."""

    def allow(*servers: LocalHTTPServer) -> None:
        settings.FETCH_ALLOW_PRIVATE_HOSTS = [server.allow_entry for server in servers]
        _forget_shared_fetcher()

    yield allow
    _forget_shared_fetcher()


def _forget_shared_fetcher() -> None:
    if fetcher_from_settings.cache_info().currsize:
        fetcher_from_settings().close()
    fetcher_from_settings.cache_clear()
