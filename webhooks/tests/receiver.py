"""A webhook receiver on loopback for tests: records every POST and answers from a
script of replies (the last one repeats). HTTPS when given a certificate.

    with Receiver() as receiver:
        receiver.replies = [Answer(status=500), Answer(status=200)]
        ...
        request = receiver.requests[0]
        assert signing.verify(secret=..., body=request.body, ...)
"""

from __future__ import annotations

import socketserver
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from news.tests.http_servers import TLSCertificate


@dataclass(frozen=True)
class Answer:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    body: bytes


class Receiver:
    def __init__(self, *, tls: TLSCertificate | None = None) -> None:
        self.replies: list[Answer] = [Answer()]
        self._lock = threading.Lock()
        self._received: list[Received] = []
        self._server = _Server(self, ("127.0.0.1", 0), tls)
        self.port: int = self._server.server_address[1]
        self.scheme = "https" if tls else "http"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def allow_entry(self) -> str:
        """The FETCH_ALLOW_PRIVATE_HOSTS entry that lets a sender reach this receiver."""
        return f"127.0.0.1:{self.port}"

    def url(self, path: str = "/hook") -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}{path}"

    @property
    def requests(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    def _record(self, request: Received) -> Answer:
        with self._lock:
            index = min(len(self._received), len(self.replies) - 1)
            self._received.append(request)
            return self.replies[index]


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self, owner: Receiver, address: tuple[str, int], tls: TLSCertificate | None
    ) -> None:
        self.owner = owner
        self.tls_context: ssl.SSLContext | None = None
        if tls:
            self.tls_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.tls_context.load_cert_chain(tls.cert_path, tls.key_path)
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind would look the address up in DNS (getfqdn).
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = str(self.server_address[0]), self.server_address[1]

    def finish_request(self, request: Any, client_address: Any) -> None:
        if self.tls_context is not None:
            request.settimeout(5)
            try:
                request = self.tls_context.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                return
        super().finish_request(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    timeout = 10
    server: _Server

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        answer = self.server.owner._record(
            Received(
                method="POST",
                path=self.path,
                headers={name.lower(): value for name, value in self.headers.items()},
                body=body,
            )
        )
        self.close_connection = True
        try:
            time.sleep(answer.delay)
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "2")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"ok")
        except OSError:
            pass  # the sender gave up waiting

    def log_message(self, format: str, *args: Any) -> None:
        pass
