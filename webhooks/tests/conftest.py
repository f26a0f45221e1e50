"""Fixtures for webhook tests: a loopback receiver, a fake DNS and a guard that
fails any connection off loopback before a packet leaves the machine."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from typing import Any

import httpcore
import pytest

from news import address_policy
from webhooks.tests.receiver import Receiver

# Names the fake DNS knows; tests may add or change entries through `dns`.
PUBLIC_HOST = "hooks.example.com"
PUBLIC_ADDRESS = "93.184.216.34"
PRIVATE_HOST = "intranet.example.com"


@pytest.fixture(autouse=True)
def connect_attempts(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """(address, port) of every connection a sender tried to open in this test."""
    attempts: list[tuple[str, int]] = []
    connect = httpcore.SyncBackend.connect_tcp

    def guarded(self: httpcore.SyncBackend, host: str, port: int, *args: Any, **kwargs: Any):
        attempts.append((host, port))
        if not ipaddress.ip_address(host).is_loopback:
            raise AssertionError(f"a test tried to connect to {host}:{port}")
        return connect(self, host, port, *args, **kwargs)

    monkeypatch.setattr(httpcore.SyncBackend, "connect_tcp", guarded)
    return attempts


@pytest.fixture(autouse=True)
def dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """The fake DNS every sender uses: host -> addresses; unknown names do not resolve."""
    table = {PUBLIC_HOST: [PUBLIC_ADDRESS], PRIVATE_HOST: ["10.1.2.3"]}

    def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return list(table[host])

    monkeypatch.setattr(address_policy, "system_resolver", resolve)
    return table


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as server:
        yield server


@pytest.fixture
def reachable(settings: Any, receiver: Receiver) -> Receiver:
    """The receiver, with the settings that let webhooks reach it: its loopback
    address allowed as the fetcher tests allow theirs, and plain http."""
    settings.FETCH_ALLOW_PRIVATE_HOSTS = [receiver.allow_entry]
    settings.WEBHOOK_ALLOW_HTTP = True
    return receiver
