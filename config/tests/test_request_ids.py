"""One id follows a piece of work through the logs: from the web request into the
Celery tasks it enqueues, and for each Telegram update through its handlers."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from aiogram import F
from aiogram.types import Message, Update
from asgiref.sync import async_to_sync
from celery import shared_task
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path, reverse
from kombu import Connection

from config.celery_app import app as celery_app
from config.request_id import HEADER, RequestIdLogFilter, current_request_id
from telegram_bot.bot.factory import build_bot, build_dispatcher
from telegram_bot.tests.fake_bot_api import FakeBotAPI

logger = logging.getLogger("tests.request_ids")


class _Lines(logging.Handler):
    """Each record with the request id the console handler's filter gives it."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.addFilter(RequestIdLogFilter())
        self.lines: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append((record.getMessage(), record.request_id))  # type: ignore[attr-defined]


@pytest.fixture
def lines() -> Iterator[list[tuple[str, str]]]:
    handler = _Lines()
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler.lines
    finally:
        logger.removeHandler(handler)


# ---------------------------------------------------------------- web -> Celery


@shared_task(name="tests.request_ids.log_something")
def _log_something(word: str) -> None:
    logger.info("task says %s", word)


class _Producer:
    """Stands in for the broker: keeps what would have been published."""

    # Never connected: Celery only wraps the publish in its error translation.
    connection = Connection("memory://")

    def __init__(self) -> None:
        self.published: list[dict[str, Any]] = []

    def publish(self, body: Any, **options: Any) -> None:
        self.published.append({"body": body, **options})


_producer: Any = _Producer()


def _enqueueing_view(request: HttpRequest) -> HttpResponse:
    logger.info("view runs")
    _log_something.apply_async(args=("hello",), producer=_producer)
    return HttpResponse("queued")


urlpatterns = [path("enqueue/", _enqueueing_view)]


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_a_task_enqueued_in_a_request_logs_the_requests_id(lines):
    # Published for real (to a stand-in producer), not run in the request's thread.
    _producer.published.clear()
    celery_app.conf.task_always_eager = False
    try:
        response = Client().get("/enqueue/", headers={HEADER: "req-from-client-42"})
    finally:
        celery_app.conf.task_always_eager = True
    assert response[HEADER] == "req-from-client-42"
    # The task message; a "task sent" monitoring event may be published beside it.
    [message] = [m for m in _producer.published if m["headers"].get("task") == _log_something.name]
    assert message["headers"]["request_id"] == "req-from-client-42"

    # A worker runs the message later, in another context: only the header carries the id.
    assert current_request_id.get() == "-"
    args, kwargs, _ = message["body"]
    _log_something.apply(args=args, kwargs=kwargs, headers=message["headers"])

    assert lines == [("view runs", "req-from-client-42"), ("task says hello", "req-from-client-42")]
    assert current_request_id.get() == "-"


@pytest.mark.django_db
def test_a_task_without_a_request_logs_no_id(lines):
    _log_something.apply(args=["alone"])
    assert lines == [("task says alone", "-")]


# ---------------------------------------------------------------- Telegram updates


def test_each_bot_update_gets_its_own_request_id(lines, fake_bot_settings):
    seen: list[str] = []
    dispatcher = build_dispatcher()

    # Registered on the dispatcher itself, so it runs before the project's routers.
    @dispatcher.message(F.text == "/trace")
    async def trace(message: Message) -> None:
        seen.append(current_request_id.get())
        logger.info("handler runs")

    async def feed() -> None:
        bot = build_bot(token=fake_bot_settings.token, api_base=fake_bot_settings.base_url)
        try:
            for update_id in (501, 502):
                payload = {"update_id": update_id, **FakeBotAPI.message_update("/trace")}
                await dispatcher.feed_update(bot, Update.model_validate(payload))
        finally:
            await bot.session.close()

    async_to_sync(feed)()

    assert seen == ["tg-501", "tg-502"]
    assert lines == [("handler runs", "tg-501"), ("handler runs", "tg-502")]
    assert current_request_id.get() == "-"


@pytest.mark.django_db
def test_updates_through_the_webhook_are_traced_by_update(fake_bot_settings, settings, monkeypatch):
    from telegram_bot import services

    settings.TELEGRAM_WEBHOOK_SECRET = "tg-webhook-secret-0123456789"
    seen: list[str] = []
    consume = services.telegram_link_consume_token

    # The service the /start handler calls, in a worker thread through sync_to_async.
    def consume_and_note_the_id(**kwargs: Any) -> Any:
        seen.append(current_request_id.get())
        return consume(**kwargs)

    monkeypatch.setattr(services, "telegram_link_consume_token", consume_and_note_the_id)
    update = {"update_id": 777, **FakeBotAPI.message_update("/start " + "x" * 32)}
    response = Client().post(
        reverse("telegram:webhook"),
        json.dumps(update),
        content_type="application/json",
        headers={
            "X-Telegram-Bot-Api-Secret-Token": "tg-webhook-secret-0123456789",
            HEADER: "webhook-request-1",
        },
    )

    assert response.status_code == 200
    assert response[HEADER] == "webhook-request-1"
    assert seen == ["tg-777"]


def _view_with_an_eager_task(request: HttpRequest) -> HttpResponse:
    logger.info("before the task")
    _log_something.delay("eagerly")
    logger.info("after the task")
    return HttpResponse("done")


urlpatterns.append(path("eager/", _view_with_an_eager_task))


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_a_task_run_eagerly_keeps_the_requests_id_for_the_rest_of_the_request(lines):
    Client().get("/eager/", headers={HEADER: "req-eager-7"})
    assert lines == [
        ("before the task", "req-eager-7"),
        ("task says eagerly", "req-eager-7"),
        ("after the task", "req-eager-7"),
    ]
