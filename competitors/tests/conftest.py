"""HTTP fixtures shared with news/tests: loopback servers, fetchers, and the autouse
guard that fails a test whose fetcher tries to connect anywhere off loopback."""

from news.tests.conftest import (
    allow_fetching_from,
    connect_attempts,
    fetcher_factory,
    http_server,
    http_server_factory,
    tcp_listener_factory,
)

__all__ = [
    "allow_fetching_from",
    "connect_attempts",
    "fetcher_factory",
    "http_server",
    "http_server_factory",
    "tcp_listener_factory",
]
