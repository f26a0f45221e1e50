"""Shared fixtures. The suite runs on real PostgreSQL and Redis and stops at once,
with instructions, when either cannot be reached."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.utils import translation

START_HINT = (
    "Start them with `docker compose up -d postgres redis`, or on Debian with\n"
    "  pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\n"
    "  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no\n"
    "or point TEST_DATABASE_URL / TEST_REDIS_URL at running servers."
)


def _unreachable(url: str, default_port: int) -> str | None:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or default_port
    try:
        with socket.create_connection((host, port), timeout=3):
            return None
    except OSError as error:
        return f"{parts.scheme}://{host}:{port} ({error.strerror or error})"


def pytest_configure(config: pytest.Config) -> None:
    problems = [
        problem
        for problem in (
            _unreachable(settings.TEST_DATABASE_URL, 5432),
            _unreachable(settings.TEST_REDIS_URL, 6379),
        )
        if problem
    ]
    if problems:
        pytest.exit(
            "The test suite needs PostgreSQL and Redis. Unreachable: "
            + ", ".join(problems)
            + "\n"
            + START_HINT,
            returncode=3,
        )


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    # A request in another language (a Russian account's token, say) leaves that
    # language active in the thread once it is answered; the next test must not see it.
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    # Rate-limit counters live in the cache; each test starts from zero.
    cache.delete_pattern("*")  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _eager_join_flag() -> Iterator[None]:
    # Eager tasks set a process-wide "joining would block" flag and restore it when
    # they finish; tasks queued from several fetch threads at once restore each
    # other's values, leaving it set, and a later test's result.get() then refuses.
    # Workers are never eager, so only the test process needs this.
    yield
    from celery._state import _set_task_join_will_block  # type: ignore[attr-defined]

    _set_task_join_will_block(False)


@pytest.fixture
def user(db):
    from accounts.tests.factories import UserFactory

    return UserFactory()


@pytest.fixture
def auth_client(client: Client, user) -> Client:
    client.force_login(user)
    return client


@pytest.fixture
def closed_port() -> int:
    """A loopback port with nothing listening: connections to it are refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(autouse=True)
def _seed_data(request: pytest.FixtureRequest) -> None:
    """Data that migrations seed (classification rules, weights) must be there.

    Transactional tests flush every table when they finish, seeds included, so
    a later test on the same worker would otherwise see an empty rule set.
    """
    marker = request.node.get_closest_marker("django_db")
    if marker is None:
        return
    transactional = marker.kwargs.get("transaction", False)
    request.getfixturevalue("transactional_db" if transactional else "db")
    import importlib

    from django.apps import apps

    from news import classification
    from news.models import ClassificationRule

    if not ClassificationRule.objects.exists():
        importlib.import_module("news.migrations.0003_seed_classification_rules").seed(apps, None)
        classification.rules_changed()


@pytest.fixture
def fake_bot_api() -> Iterator[object]:
    """A fresh fake Bot API on its own loopback port, so parallel tests never share one."""
    from telegram_bot.tests.fake_bot_api import FakeBotAPI

    with FakeBotAPI() as server:
        yield server


@pytest.fixture
def fake_bot_settings(settings, fake_bot_api):
    """Points TELEGRAM_BOT_TOKEN and TELEGRAM_API_BASE at the fake Bot API."""
    settings.TELEGRAM_BOT_TOKEN = fake_bot_api.token
    settings.TELEGRAM_API_BASE = fake_bot_api.base_url
    return fake_bot_api


@pytest.fixture(autouse=True)
def _forget_shared_digest_candidates() -> None:
    # Digests in "all" mode share candidates per period within a process; a test's
    # items are rolled back, so the next test must not see them.
    from digests import building

    building._shared.clear()


@pytest.fixture
def api_client():
    """A DRF client without credentials."""
    from rest_framework.test import APIClient

    return APIClient()


def _token_client(account):
    from rest_framework.test import APIClient

    from accounts.api_tokens import api_token_create

    client = APIClient()
    issued = api_token_create(user=account, name="tests")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    client.account = account
    return client


@pytest.fixture
def token_client(user):
    """A DRF client sending `user`'s personal API token."""
    return _token_client(user)


@pytest.fixture
def make_token_client(db):
    """make_token_client(account) -> a DRF client sending that account's token."""
    return _token_client


@pytest.fixture
def staff_token_client(db):
    from accounts.tests.factories import UserFactory

    return _token_client(UserFactory(is_staff=True))
