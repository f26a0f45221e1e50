"""A local SMTP server (aiosmtpd) on a loopback port that keeps what it receives.

`hang_next_message()` makes the next DATA command stall before it is accepted,
so a test can kill the sending process while a message is half-delivered and
check that it was never counted as received.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from email import message_from_bytes
from email.message import Message
from types import TracebackType

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        if self.sink._take_hang():
            self.sink.stalled.set()
            # Never answer: the client waits until it is killed or times out.
            await asyncio.sleep(3600)
        raw = envelope.original_content or b""
        with self.sink._lock:
            self.sink._messages.append(message_from_bytes(raw))
        return "250 Message accepted"


def _free_port() -> int:
    # The controller checks its server by connecting to the port, so it needs a real one.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SmtpSink:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._messages: list[Message] = []
        self._hang = False
        self.stalled = threading.Event()
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=_free_port())

    def start(self) -> SmtpSink:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop(no_assert=True)

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return int(self._controller.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def messages(self) -> list[Message]:
        with self._lock:
            return list(self._messages)

    def hang_next_message(self) -> None:
        with self._lock:
            self._hang = True

    def _take_hang(self) -> bool:
        with self._lock:
            hang, self._hang = self._hang, False
            return hang
