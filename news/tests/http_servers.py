"""Real HTTP(S) servers and bare listeners on loopback, for tests.

    with LocalHTTPServer() as server:
        server.add("/feed.xml", Reply(body=b"<rss/>", headers={"Content-Type": "text/xml"}))
        fetcher.fetch(server.url("/feed.xml"))          # allow server.allow_entry first
        assert server.requests_for("/feed.xml")[0].headers["accept-encoding"]

A route answers with a Reply, or with a function of the RecordedRequest that
returns one (for conditional GETs, counters and the like). Unknown paths get
404. Every response closes its connection, so counts of connections and
requests stay easy to reason about. The fixtures in news/tests/conftest.py
hand out started servers and stop them after the test.
"""

from __future__ import annotations

import gzip
import shutil
import socket
import socketserver
import ssl
import subprocess
import threading
import time
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import brotli  # type: ignore[import-untyped]


@dataclass(frozen=True)
class Reply:
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    # "gzip", "deflate" or "br": the body is sent compressed, with Content-Encoding.
    content_encoding: str | None = None
    delay: float = 0.0  # seconds before the status line
    drip_interval: float | None = None  # send the body a byte at a time, this far apart

    def wire_body(self) -> bytes:
        if self.content_encoding == "gzip":
            return gzip.compress(self.body)
        if self.content_encoding == "deflate":
            return zlib.compress(self.body)
        if self.content_encoding == "br":
            return bytes(brotli.compress(self.body))
        return self.body


def redirect(location: str, status: int = 302) -> Reply:
    return Reply(status=status, headers={"Location": location})


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str  # without the query
    query: str
    headers: Mapping[str, str]  # lower-cased names
    client_address: str


Responder = Reply | Callable[[RecordedRequest], Reply]


class LocalHTTPServer:
    """A threaded HTTP/1.1 server on a loopback address; HTTPS when given a certificate."""

    def __init__(
        self, *, host: str = "127.0.0.1", port: int = 0, tls: TLSCertificate | None = None
    ) -> None:
        self.host = host
        self.scheme = "https" if tls else "http"
        self._routes: dict[str, Responder] = {}
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._in_flight = 0
        self.max_in_flight = 0
        self.connections = 0  # TCP connections accepted
        self.tls_handshakes = 0  # handshakes attempted, failed ones included
        self.server_names: list[str | None] = []  # SNI sent by clients
        self._server = _Server(self, (host, port), tls)
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> LocalHTTPServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> LocalHTTPServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def authority(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def allow_entry(self) -> str:
        """The FETCH_ALLOW_PRIVATE_HOSTS entry that lets a fetcher reach this server."""
        return self.authority

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://{self.authority}"

    def url(self, path: str = "/") -> str:
        return self.base_url + path

    def add(self, path: str, responder: Responder) -> None:
        self._routes[path] = responder

    def redirect(self, path: str, location: str, status: int = 302) -> None:
        self.add(path, redirect(location, status))

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def requests_for(self, path: str) -> list[RecordedRequest]:
        return [request for request in self.requests if request.path == path]

    # The handler threads report through these.
    def _begin(self, request: RecordedRequest) -> Reply:
        with self._lock:
            self._requests.append(request)
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
        responder = self._routes.get(request.path, Reply(status=404, body=b"not found"))
        return responder(request) if callable(responder) else responder

    def _end(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def _note_connection(self, *, tls: bool) -> None:
        with self._lock:
            self.connections += 1
            self.tls_handshakes += int(tls)

    def _note_server_name(self, name: str | None) -> None:
        with self._lock:
            self.server_names.append(name)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self, owner: LocalHTTPServer, address: tuple[str, int], tls: TLSCertificate | None
    ) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.owner = owner
        self.tls_context: ssl.SSLContext | None = None
        if tls:
            self.tls_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.tls_context.load_cert_chain(tls.cert_path, tls.key_path)
            self.tls_context.sni_callback = self._note_server_name
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind would look the address up in DNS (getfqdn).
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = str(self.server_address[0]), self.server_address[1]

    def _note_server_name(self, _: ssl.SSLObject, name: str | None, __: ssl.SSLContext) -> None:
        self.owner._note_server_name(name)

    def finish_request(self, request: Any, client_address: Any) -> None:
        # Runs in the connection's own thread, so a slow handshake blocks no one.
        self.owner._note_connection(tls=self.tls_context is not None)
        if self.tls_context is not None:
            request.settimeout(5)
            try:
                request = self.tls_context.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                return
        super().finish_request(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Without it, Nagle's algorithm and delayed ACKs add ~40 ms to each response.
    disable_nagle_algorithm = True
    timeout = 10  # a client that connects and says nothing does not hold a thread forever
    server: _Server

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _answer(self, *, send_body: bool) -> None:
        parts = urlsplit(self.path)
        recorded = RecordedRequest(
            method=self.command,
            path=parts.path,
            query=parts.query,
            headers={name.lower(): value for name, value in self.headers.items()},
            client_address=str(self.client_address[0]),
        )
        owner = self.server.owner
        reply = owner._begin(recorded)
        self.close_connection = True
        try:
            time.sleep(reply.delay)
            body = reply.wire_body()
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if reply.content_encoding:
                self.send_header("Content-Encoding", reply.content_encoding)
            if not any(name.lower() == "content-length" for name in reply.headers):
                self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            if not send_body:
                return
            if reply.drip_interval is None:
                self.wfile.write(body)
                return
            for index in range(len(body)):
                self.wfile.write(body[index : index + 1])
                self.wfile.flush()
                time.sleep(reply.drip_interval)
        except OSError:
            pass  # the client hung up: expected when a test cuts a response off
        finally:
            owner._end()


class TCPListener:
    """A listening socket that never answers; connections_received() says whether
    anything connected. The kernel completes handshakes into the backlog, so
    draining it finds every connection without an accept thread."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._socket = socket.socket(family, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self._socket.listen(64)
        self._socket.setblocking(False)
        self.host = host
        self.port: int = self._socket.getsockname()[1]
        self._received = 0

    def connections_received(self) -> int:
        while True:
            try:
                connection, _ = self._socket.accept()
            except BlockingIOError:
                return self._received
            connection.close()
            self._received += 1

    def close(self) -> None:
        self._socket.close()


@dataclass(frozen=True)
class TLSCertificate:
    cert_path: Path
    key_path: Path
    hostname: str


def make_self_signed_certificate(directory: Path, hostname: str) -> TLSCertificate:
    """A throwaway certificate for ``hostname``, via the openssl command line
    (the cryptography package is not a project dependency)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RuntimeError("the openssl command is needed to make a test certificate")
    cert_path, key_path = directory / f"{hostname}.crt", directory / f"{hostname}.key"
    subprocess.run(
        [
            openssl, "req", "-x509", "-newkey", "ec",
            "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", str(key_path), "-out", str(cert_path), "-days", "2",
            "-subj", f"/CN={hostname}", "-addext", f"subjectAltName=DNS:{hostname}",
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )  # fmt: skip
    return TLSCertificate(cert_path=cert_path, key_path=key_path, hostname=hostname)
