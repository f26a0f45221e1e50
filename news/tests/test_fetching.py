import pickle
import socket
import threading
import time
import tracemalloc
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import brotli  # type: ignore[import-untyped]
import pytest

from news import address_policy
from news.fetching import (
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
    fetcher_from_settings,
    freshness_seconds,
    retry_after_seconds,
)
from news.host_limits import LocalHostLimiter
from news.tests.http_servers import LocalHTTPServer, Reply, TCPListener

# ------------------------------------------------------------------ helpers


class FakeResolver:
    """Answers from a table, one answer list per call in turn (the last repeats)."""

    def __init__(self, table: dict[str, list[list[str]]]) -> None:
        self._table = table
        self.calls: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        answers = self._table.get(host)
        if answers is None:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return answers[min(len(self.calls_for(host)), len(answers)) - 1]

    def calls_for(self, host: str) -> list[str]:
        return [call for call in self.calls if call == host]


def resolving(table: dict[str, str]) -> FakeResolver:
    """A FakeResolver that always answers each host with its one address."""
    return FakeResolver({host: [[address]] for host, address in table.items()})


@pytest.fixture
def fetcher_for(fetcher_factory):
    """A fetcher allowed to reach the given servers, other options as for fetcher_factory."""

    def build(*servers: LocalHTTPServer, **overrides):
        return fetcher_factory(allow_private_hosts=[s.allow_entry for s in servers], **overrides)

    return build


@dataclass
class Trap:
    port: int
    listeners: list[TCPListener]

    def connections(self) -> int:
        return sum(listener.connections_received() for listener in self.listeners)


@pytest.fixture
def trap(tcp_listener_factory, monkeypatch) -> Trap:
    """Listeners on 127.0.0.1 and ::1 on a port the policy is told is standard, so
    the address rules are all that stands between a refused URL and them."""
    for _ in range(20):
        v4 = tcp_listener_factory("127.0.0.1")
        try:
            v6 = tcp_listener_factory("::1", v4.port)
        except OSError:
            continue
        break
    monkeypatch.setattr(address_policy, "STANDARD_PORTS", frozenset({80, 443, v4.port}))
    return Trap(port=v4.port, listeners=[v4, v6])


# ------------------------------------------------------------------ address policy


SSRF_HOSTS = [
    "127.0.0.1",
    "localhost",
    "[::1]",
    "2130706433",
    "0x7f000001",
    "0177.0.0.1",
    "127.1",
    "169.254.169.254",
    "10.0.0.1",
    "10.255.255.254",
    "172.16.0.1",
    "172.31.0.1",
    "192.168.0.1",
    "100.64.0.1",
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
    "[64:ff9b::7f00:1]",
    "[64:ff9b:1::7f00:1]",
    "[2002:7f00:1::1]",
    "[fc00::1]",
    "[fe80::1]",
    "224.0.0.1",
    "[ff02::1]",
    "0.0.0.0",  # noqa: S104
    "[::]",
]


@pytest.mark.parametrize("host", SSRF_HOSTS)
def test_non_public_hosts_are_refused_without_connecting(
    host, trap, fetcher_factory, connect_attempts
):
    # The real resolver: localhost comes from /etc/hosts, the rest are literals.
    fetcher = fetcher_factory()
    with pytest.raises(BlockedURLError) as caught:
        fetcher.fetch(f"http://{host}:{trap.port}/latest/meta-data/")
    assert isinstance(caught.value, PermanentFetchError)
    assert str(caught.value).startswith(("Refused: ", "Invalid URL"))
    assert connect_attempts == []
    assert trap.connections() == 0


def test_refusals_say_what_the_address_is(trap, fetcher_factory):
    fetcher = fetcher_factory()
    with pytest.raises(BlockedURLError) as caught:
        fetcher.fetch(f"http://2130706433:{trap.port}/")
    assert str(caught.value) == "Refused: 2130706433 is a loopback address (127.0.0.1)"
    assert caught.value.url == f"http://2130706433:{trap.port}/"


def test_a_name_resolving_to_a_private_address_is_refused(trap, fetcher_factory, connect_attempts):
    resolver = resolving({"example.internal": "127.0.0.1"})
    fetcher = fetcher_factory(resolver=resolver)
    with pytest.raises(BlockedURLError) as caught:
        fetcher.fetch(f"http://example.internal:{trap.port}/")
    assert str(caught.value) == (
        "Refused: example.internal resolves to a loopback address (127.0.0.1)"
    )
    assert resolver.calls == ["example.internal"]
    assert connect_attempts == []
    assert trap.connections() == 0


def test_a_public_and_a_private_answer_together_are_refused(fetcher_factory, connect_attempts):
    # Never connected to: the private answer refuses the host before any socket opens.
    resolver = FakeResolver({"mixed.example": [["93.184.216.34", "10.0.0.5"]]})
    fetcher = fetcher_factory(resolver=resolver)
    with pytest.raises(BlockedURLError, match=r"mixed\.example resolves to a private address"):
        fetcher.fetch("https://mixed.example/feed.xml")
    assert connect_attempts == []


def test_a_redirect_to_a_private_address_is_refused(
    http_server, trap, fetcher_for, connect_attempts
):
    http_server.redirect("/go", f"http://internal.test:{trap.port}/admin")
    http_server.redirect("/metadata", "http://169.254.169.254/latest/meta-data/")
    fetcher = fetcher_for(http_server, resolver=resolving({"internal.test": "127.0.0.1"}))
    with pytest.raises(BlockedURLError) as caught:
        fetcher.fetch(http_server.url("/go"))
    assert str(caught.value) == (
        "Refused: internal.test resolves to a loopback address (127.0.0.1)"
        f" (redirected to http://internal.test:{trap.port}/admin)"
    )
    with pytest.raises(BlockedURLError, match="link-local"):
        fetcher.fetch(http_server.url("/metadata"))
    assert trap.connections() == 0
    assert {port for _, port in connect_attempts} == {http_server.port}
    assert len(http_server.requests) == 2


def test_dns_rebinding_finds_nothing_to_rebind(
    http_server_factory, fetcher_factory, connect_attempts
):
    # The name resolves to A, then to B: a fetcher that checked one answer and let
    # the HTTP library look the name up again would talk to B.
    for _ in range(20):
        first = http_server_factory(host="127.0.0.1")
        try:
            second = http_server_factory(host="127.0.0.2", port=first.port)
        except OSError:
            continue
        break
    first.add("/", Reply(body=b"from A"))
    second.add("/", Reply(body=b"from B"))
    resolver = FakeResolver({"rebind.test": [["127.0.0.1"], ["127.0.0.2"]]})
    fetcher = fetcher_factory(allow_private_hosts=[f"rebind.test:{first.port}"], resolver=resolver)
    result = fetcher.fetch(f"http://rebind.test:{first.port}/")
    assert result.content == b"from A"
    assert resolver.calls == ["rebind.test"]
    assert connect_attempts == [("127.0.0.1", first.port)]
    assert first.requests[0].headers["host"] == f"rebind.test:{first.port}"
    assert second.connections == 0


def test_ports_other_than_80_and_443_are_refused(http_server, fetcher_factory, connect_attempts):
    resolver = resolving({"example.com": "93.184.216.34"})
    with pytest.raises(BlockedURLError, match=r"port 8080 is not allowed for example\.com"):
        fetcher_factory(resolver=resolver).fetch("http://example.com:8080/")
    # A bare host entry lets the host be private, not use other ports.
    with pytest.raises(BlockedURLError, match=f"port {http_server.port} is not allowed"):
        fetcher_factory(allow_private_hosts=["127.0.0.1"]).fetch(http_server.url())
    assert resolver.calls == []
    assert connect_attempts == []


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.com/feed.xml",
        "gopher://example.com:70/_GET",
        "data:text/plain,hello",
        "javascript:alert(1)",
    ],
)
def test_only_http_and_https_urls_are_fetched(url, fetcher_factory, connect_attempts):
    with pytest.raises(BlockedURLError, match="only http and https URLs are fetched"):
        fetcher_factory().fetch(url)
    assert connect_attempts == []


def test_urls_with_credentials_are_refused(fetcher_factory):
    with pytest.raises(BlockedURLError, match="credentials"):
        fetcher_factory().fetch("http://user:secret@example.com/")


def test_proxy_environment_variables_are_ignored(http_server, trap, fetcher_for, monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{trap.port}")
    http_server.add("/", Reply(body=b"direct"))
    assert fetcher_for(http_server).fetch(http_server.url()).content == b"direct"
    assert trap.connections() == 0


def test_international_names_are_checked_as_resolved(trap, fetcher_factory, connect_attempts):
    resolver = resolving({"xn--bcher-kva.test": "127.0.0.1"})
    fetcher = fetcher_factory(resolver=resolver)
    with pytest.raises(BlockedURLError, match=r"xn--bcher-kva\.test resolves to a loopback"):
        fetcher.fetch(f"http://bücher.test:{trap.port}/")
    assert resolver.calls == ["xn--bcher-kva.test"]
    assert connect_attempts == []


def test_dns_failures_are_transient(fetcher_factory):
    with pytest.raises(DNSLookupError, match=r"DNS lookup failed for host nowhere\.test") as caught:
        fetcher_factory(resolver=FakeResolver({})).fetch("https://nowhere.test/")
    assert isinstance(caught.value, TransientFetchError)


# ------------------------------------------------------------------ responses


def test_a_response_and_its_metadata(http_server, fetcher_for):
    http_server.add(
        "/feed.xml",
        Reply(
            body=b"<rss/>",
            headers={
                "Content-Type": 'Application/RSS+XML; Charset="UTF-8"',
                "ETag": '"v1"',
                "Last-Modified": "Wed, 21 Oct 2026 07:28:00 GMT",
                "Cache-Control": "public, max-age=600",
            },
        ),
    )
    result = fetcher_for(http_server, user_agent="HubBot/2.0 (+https://hub.example)").fetch(
        http_server.url("/feed.xml#latest"), accept="application/rss+xml"
    )
    assert result.url == http_server.url("/feed.xml")
    assert result.status == 200
    assert not result.not_modified
    assert result.content == b"<rss/>"
    assert result.content_type == "application/rss+xml"
    assert result.encoding == "utf-8"
    assert result.etag == '"v1"'
    assert result.last_modified == "Wed, 21 Oct 2026 07:28:00 GMT"
    assert result.headers["cache-control"] == "public, max-age=600"
    assert result.freshness == 600
    assert 0 < result.elapsed < 2
    sent = http_server.requests_for("/feed.xml")[0].headers
    assert sent["user-agent"] == "HubBot/2.0 (+https://hub.example)"
    assert sent["accept"] == "application/rss+xml"
    assert sent["accept-encoding"] == "gzip, deflate, br"
    assert "if-none-match" not in sent
    assert "cookie" not in sent


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
def test_compressed_bodies_are_decoded(encoding, http_server, fetcher_for):
    body = b"<rss>" + b"news " * 5000 + b"</rss>"
    http_server.add("/", Reply(body=body, content_encoding=encoding))
    assert fetcher_for(http_server).fetch(http_server.url()).content == body


def test_raw_deflate_labelled_deflate_is_decoded(http_server, fetcher_for):
    squeezer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    raw = squeezer.compress(b"hello " * 100) + squeezer.flush()
    http_server.add("/", Reply(body=raw, headers={"Content-Encoding": "deflate"}))
    assert fetcher_for(http_server).fetch(http_server.url()).content == b"hello " * 100


def test_a_corrupt_compressed_body_is_a_permanent_error(http_server, fetcher_for):
    http_server.add("/", Reply(body=b"not gzip at all", headers={"Content-Encoding": "gzip"}))
    with pytest.raises(PermanentFetchError, match="Could not decode the gzip response body"):
        fetcher_for(http_server).fetch(http_server.url())


def test_conditional_get_sends_validators_and_returns_304(http_server, fetcher_for):
    def answer(request):
        if request.headers.get("if-none-match") == '"v7"':
            return Reply(status=304, headers={"ETag": '"v7"'})
        return Reply(body=b"fresh", headers={"ETag": '"v7"'})

    http_server.add("/feed", answer)
    http_server.add("/bare-304", Reply(status=304))
    fetcher = fetcher_for(http_server)
    since = "Wed, 21 Oct 2026 07:28:00 GMT"
    result = fetcher.fetch(http_server.url("/feed"), etag='"v7"', last_modified=since)
    assert result.not_modified
    assert result.status == 304
    assert result.content == b""
    assert result.etag == '"v7"'
    sent = http_server.requests_for("/feed")[0].headers
    assert sent["if-none-match"] == '"v7"'
    assert sent["if-modified-since"] == since
    # Validators the server leaves out of a 304 are the caller's own, kept.
    bare = fetcher.fetch(http_server.url("/bare-304"), etag='"v1"', last_modified=since)
    assert (bare.etag, bare.last_modified) == ('"v1"', since)


@pytest.mark.parametrize(
    ("status", "kind", "message"),
    [
        (404, PermanentFetchError, "HTTP 404 Not Found"),
        (410, PermanentFetchError, "HTTP 410 Gone"),
        (403, PermanentFetchError, "HTTP 403 Forbidden"),
        (408, TransientFetchError, "HTTP 408 Request Timeout"),
        (500, TransientFetchError, "HTTP 500 Internal Server Error"),
        (502, TransientFetchError, "HTTP 502 Bad Gateway"),
        (503, TransientFetchError, "HTTP 503 Service Unavailable"),
        (300, PermanentFetchError, "HTTP 300 Multiple Choices without a usable Location header"),
    ],
)
def test_error_statuses(status, kind, message, http_server, fetcher_for):
    http_server.add("/", Reply(status=status, body=b"nope"))
    with pytest.raises(kind) as caught:
        fetcher_for(http_server).fetch(http_server.url())
    assert str(caught.value) == message
    assert caught.value.status == status
    assert caught.value.url == http_server.url()


def test_retry_after_in_seconds_and_as_a_date(http_server, fetcher_for):
    later = datetime.now(UTC) + timedelta(seconds=90)
    http_server.add("/429", Reply(status=429, headers={"Retry-After": "120"}))
    http_server.add(
        "/503", Reply(status=503, headers={"Retry-After": format_datetime(later, True)})
    )
    fetcher = fetcher_for(http_server)
    with pytest.raises(TransientFetchError) as too_many:
        fetcher.fetch(http_server.url("/429"))
    assert too_many.value.retry_after == 120
    assert str(too_many.value) == "HTTP 429 Too Many Requests (retry after 120 s)"
    with pytest.raises(TransientFetchError) as unavailable:
        fetcher.fetch(http_server.url("/503"))
    assert 80 <= unavailable.value.retry_after <= 90


def test_retry_after_parsing():
    now = datetime(2026, 10, 21, 7, 0, tzinfo=UTC)
    assert retry_after_seconds("30") == 30
    assert retry_after_seconds("Wed, 21 Oct 2026 07:02:00 GMT", now=now) == 120
    assert retry_after_seconds("Wed, 21 Oct 2026 06:00:00 GMT", now=now) == 0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None


def test_freshness_from_cache_headers():
    date = "Wed, 21 Oct 2026 07:00:00 GMT"
    assert freshness_seconds({"Cache-Control": "max-age=300"}) == 300
    assert freshness_seconds({"cache-control": "max-age=300", "age": "100"}) == 200
    assert freshness_seconds({"Cache-Control": "no-cache, max-age=300"}) == 0
    assert freshness_seconds({"Cache-Control": "no-store"}) == 0
    expires = "Wed, 21 Oct 2026 08:00:00 GMT"
    assert freshness_seconds({"Expires": expires, "Date": date}) == 3600
    assert freshness_seconds({"Expires": expires, "Cache-Control": "max-age=60"}) == 60
    assert freshness_seconds({"Expires": "0"}) == 0
    now = datetime(2026, 10, 21, 7, 30, tzinfo=UTC)
    assert freshness_seconds({"Expires": expires}, now=now) == 1800
    assert freshness_seconds({"Content-Type": "text/xml"}) is None


# ------------------------------------------------------------------ limits


def test_the_body_cap(http_server, fetcher_for):
    http_server.add("/exact", Reply(body=b"x" * 1024))
    http_server.add("/over", Reply(body=b"x" * 1025))
    http_server.add("/over-inflated", Reply(body=b"x" * 5000, content_encoding="gzip"))
    fetcher = fetcher_for(http_server, max_bytes=1024)
    assert len(fetcher.fetch(http_server.url("/exact")).content) == 1024
    for path in ("/over", "/over-inflated"):
        with pytest.raises(ResponseTooLargeError) as caught:
            fetcher.fetch(http_server.url(path))
        assert str(caught.value) == "Response larger than 1 KiB"
        assert isinstance(caught.value, PermanentFetchError)


@pytest.fixture(scope="module")
def bombs() -> dict[str, bytes]:
    """100 MiB of zeros, compressed to a few hundred KiB (gzip) or bytes (brotli)."""
    squeezer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(1 << 20)
    gzipped = b"".join(squeezer.compress(zeros) for _ in range(100)) + squeezer.flush()
    return {"gzip": gzipped, "br": brotli.compress(bytes(100 << 20), quality=5)}


@pytest.mark.parametrize("encoding", ["gzip", "br"])
def test_a_compression_bomb_is_cut_off_at_the_cap(encoding, bombs, http_server, fetcher_for):
    http_server.add("/", Reply(body=bombs[encoding], headers={"Content-Encoding": encoding}))
    fetcher = fetcher_for(http_server, max_bytes=1 << 20)
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(ResponseTooLargeError, match="Response larger than 1 MiB"):
            fetcher.fetch(http_server.url())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.monotonic() - started < 2
    # The cap plus a few decoder pieces, not the 100 MiB the body inflates to.
    assert peak < 8 << 20


def test_a_slow_drip_is_cut_off_by_the_total_deadline(http_server, fetcher_for):
    http_server.add("/", Reply(body=b"x" * 100, drip_interval=0.5))
    fetcher = fetcher_for(http_server, read_timeout=5, total_timeout=1)
    started = time.monotonic()
    with pytest.raises(FetchTimeoutError) as caught:
        fetcher.fetch(http_server.url())
    assert str(caught.value) == "Timed out after 1 s"
    assert isinstance(caught.value, TransientFetchError)
    assert 0.9 <= time.monotonic() - started < 1.5


def test_a_silent_server_hits_the_read_timeout(http_server, fetcher_for):
    http_server.add("/", Reply(body=b"late", delay=1))
    with pytest.raises(FetchTimeoutError, match=r"Timed out after 0\.2 s waiting for 127\.0\.0\.1"):
        fetcher_for(http_server, read_timeout=0.2).fetch(http_server.url())


def test_a_refused_connection_is_transient(fetcher_factory, closed_port):
    fetcher = fetcher_factory(allow_private_hosts=[f"127.0.0.1:{closed_port}"])
    with pytest.raises(TransientFetchError, match=r"Could not connect to 127\.0\.0\.1"):
        fetcher.fetch(f"http://127.0.0.1:{closed_port}/")


# ------------------------------------------------------------------ redirects


def test_redirects_are_followed_up_to_the_limit(http_server, fetcher_for):
    for hop in range(6):
        http_server.redirect(f"/r{hop}", f"/r{hop + 1}")
    http_server.add("/r6", Reply(body=b"arrived"))
    fetcher = fetcher_for(http_server, max_redirects=5)
    result = fetcher.fetch(http_server.url("/r1"))
    assert (result.content, result.url) == (b"arrived", http_server.url("/r6"))
    with pytest.raises(TooManyRedirectsError) as caught:
        fetcher.fetch(http_server.url("/r0"))
    assert str(caught.value) == "Too many redirects (more than 5)"
    assert isinstance(caught.value, PermanentFetchError)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_relative_and_absolute_locations(status, http_server, fetcher_for):
    http_server.redirect("/old/feed", "../new/feed#ignored", status=status)
    http_server.redirect("/new/feed", http_server.url("/final?page=1"), status=status)
    http_server.add("/final", Reply(body=b"here"))
    result = fetcher_for(http_server).fetch(http_server.url("/old/feed"))
    assert result.url == http_server.url("/final?page=1")
    assert http_server.requests_for("/final")[0].query == "page=1"


def test_redirect_loops_are_reported(http_server, fetcher_for):
    http_server.redirect("/a", "/b")
    http_server.redirect("/b", "/a")
    http_server.redirect("/self", "/self")
    fetcher = fetcher_for(http_server)
    for path in ("/a", "/self"):
        with pytest.raises(TooManyRedirectsError, match="Redirect loop"):
            fetcher.fetch(http_server.url(path))
    assert len(http_server.requests) == 3


# ------------------------------------------------------------------ TLS


@pytest.fixture
def tls_server(http_server_factory, tls_certificate):
    server = http_server_factory(tls=tls_certificate)
    server.add("/", Reply(body=b"secret news"))
    return server


def tls_fetcher(fetcher_factory, server, name, **overrides):
    return fetcher_factory(
        allow_private_hosts=[f"{name}:{server.port}"],
        resolver=FakeResolver({name: [["127.0.0.1"]]}),
        **overrides,
    )


def test_an_untrusted_certificate_fails_once_with_no_insecure_retry(tls_server, fetcher_factory):
    fetcher = tls_fetcher(fetcher_factory, tls_server, "feeds.test")
    with pytest.raises(TLSError) as caught:
        fetcher.fetch(f"https://feeds.test:{tls_server.port}/")
    assert str(caught.value).startswith("TLS certificate verification failed for host feeds.test")
    assert isinstance(caught.value, PermanentFetchError)
    time.sleep(0.1)  # a retry, if there were one, would be accepted by now
    assert tls_server.connections == 1
    assert tls_server.tls_handshakes == 1
    assert tls_server.requests == []


def test_tls_verifies_the_url_host_name_and_sends_it_as_sni(
    tls_server, fetcher_factory, tls_certificate, connect_attempts
):
    trusted = {"ca_bundle": str(tls_certificate.cert_path)}
    fetcher = tls_fetcher(fetcher_factory, tls_server, "feeds.test", **trusted)
    assert fetcher.fetch(f"https://feeds.test:{tls_server.port}/").content == b"secret news"
    assert tls_server.server_names == ["feeds.test"]
    assert connect_attempts == [("127.0.0.1", tls_server.port)]
    other = tls_fetcher(fetcher_factory, tls_server, "other.test", **trusted)
    with pytest.raises(TLSError, match="Hostname mismatch"):
        other.fetch(f"https://other.test:{tls_server.port}/")


# ------------------------------------------------------------------ per-host concurrency


def fetch_concurrently(fetchers, url, *, threads=6):
    with ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(lambda i: fetchers[i % len(fetchers)].fetch(url), range(threads)))
    assert all(result.content == b"ok" for result in results)


def test_at_most_n_requests_per_host_across_workers(
    http_server, fetcher_for, redis_limiter_factory
):
    http_server.add("/slow", Reply(body=b"ok", delay=0.15))
    # Two fetchers with their own Redis limiters stand for two worker processes.
    fetchers = [fetcher_for(http_server, host_limiter=redis_limiter_factory(limit=2)) for _ in "ab"]
    fetch_concurrently(fetchers, http_server.url("/slow"))
    assert http_server.max_in_flight == 2
    assert len(http_server.requests) == 6


def test_without_the_limit_the_same_load_overlaps_more(http_server, fetcher_for):
    http_server.add("/slow", Reply(body=b"ok", delay=0.15))
    fetcher = fetcher_for(http_server, host_limiter=LocalHostLimiter(limit=6))
    fetch_concurrently([fetcher], http_server.url("/slow"))
    assert http_server.max_in_flight > 2


def test_a_host_that_stays_busy_is_a_transient_error(http_server, fetcher_for):
    limiter = LocalHostLimiter(limit=1)
    fetcher = fetcher_for(http_server, host_limiter=limiter, total_timeout=0.2)
    with limiter.slot("127.0.0.1", timeout=0), pytest.raises(HostBusyError) as caught:
        fetcher.fetch(http_server.url())
    assert isinstance(caught.value, TransientFetchError)
    assert http_server.requests == []


# ------------------------------------------------------------------ wiring


def test_fetcher_from_settings(http_server, settings, allow_fetching_from):
    settings.FETCH_USER_AGENT = "SettingsBot/1.0"
    allow_fetching_from(http_server)
    http_server.add("/", Reply(body=b"configured"))
    assert fetcher_from_settings() is fetcher_from_settings()
    assert fetcher_from_settings().fetch(http_server.url()).content == b"configured"
    assert http_server.requests[0].headers["user-agent"] == "SettingsBot/1.0"


def test_errors_survive_pickling_for_task_queues():
    error = pickle.loads(  # noqa: S301 - our own bytes, as a Celery retry round-trips them
        pickle.dumps(TransientFetchError("HTTP 429", url="https://x.test/", retry_after=5.0))
    )
    assert (str(error), error.url, error.retry_after) == ("HTTP 429", "https://x.test/", 5.0)
    assert isinstance(error, FetchError)


def test_one_fetcher_serves_many_threads(http_server, fetcher_for):
    http_server.add("/", Reply(body=b"ok"))
    fetcher = fetcher_for(http_server)
    errors = []

    def work() -> None:
        try:
            for _ in range(5):
                assert fetcher.fetch(http_server.url()).content == b"ok"
        except BaseException as error:  # reported below, on the test's thread
            errors.append(error)

    workers = [threading.Thread(target=work) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    assert len(http_server.requests) == 20
