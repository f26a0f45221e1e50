"""The open-loop load driver against a local HTTP server with a known response time."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench import open_loop
from bench.web import Target

DELAY = 0.05
TARGET = Target("slow", signed_in=False, paths=lambda n: f"/{n}")


class _Slow(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as gunicorn answers
    # The head and the body are two writes: without this the body waits for the
    # client's delayed acknowledgement, 40 ms on Linux.
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        time.sleep(DELAY)
        body = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def port(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    monkeypatch.setattr(open_loop, "WARMUP", 0.3)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Slow)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_requests_leave_on_schedule_and_are_timed_from_when_they_were_due(port):
    figures = open_loop.load_at_rate(port, TARGET, lambda n: {}, rate=40, duration=1.5)

    assert figures["errors"] == 0
    assert figures["rps"] == pytest.approx(40, rel=0.1)
    # Each answer takes DELAY; several are in flight at once, on their own connections.
    assert DELAY * 1000 <= figures["p50_ms"] < DELAY * 1000 + 100


def test_a_server_that_falls_behind_is_charged_for_the_wait(port, monkeypatch):
    # One connection can carry 20 requests a second at this delay; 40 are due.
    monkeypatch.setattr(open_loop, "MAX_CONNECTIONS", 1)

    figures = open_loop.load_at_rate(port, TARGET, lambda n: {}, rate=40, duration=1.5)

    assert figures["errors"] == 0
    # Closed-loop timing would say DELAY for every request; counted from when each was
    # due, the queue grows through the run.
    assert figures["p95_ms"] > 10 * DELAY * 1000
    assert figures["p50_ms"] > 5 * DELAY * 1000
