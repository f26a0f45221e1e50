"""The sender against the fake Bot API driven by aiogram: Telegram's limits kept,
flood waits honoured, refused chats blocked, unparseable HTML sent as plain text,
and `.sent` exact whatever happens."""

import itertools
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from accounts.tests.factories import UserFactory
from telegram_bot.models import TelegramEvent, TelegramLink
from telegram_bot.sending import (
    MESSAGE_LIMIT,
    PermanentSendError,
    TransientSendError,
    plain_text,
    plain_text_fallback,
    send_messages,
)
from telegram_bot.tests.fake_bot_api import BLOCKED_BY_USER, FakeBotAPI, StrictFakeProcess

pytestmark = pytest.mark.django_db


@pytest.fixture
def strict_bot_api(settings):
    """A fake Bot API that keeps Telegram's flood limits and parses HTML as it does."""
    with FakeBotAPI(enforce_limits=True, check_html=True) as server:
        settings.TELEGRAM_BOT_TOKEN = server.token
        settings.TELEGRAM_API_BASE = server.base_url
        yield server


def most_in_any_window(times, seconds):
    times = sorted(times)
    most, start = 0, 0
    for end, moment in enumerate(times):
        while times[start] <= moment - seconds:
            start += 1
        most = max(most, end - start + 1)
    return most


def test_messages_go_out_in_order_and_are_counted(strict_bot_api):
    assert send_messages(chat_id=-100200, messages=["<b>one</b>", "two", "three"]) == 3

    sent = strict_bot_api.sent_messages
    assert [message["text"] for message in sent] == ["<b>one</b>", "two", "three"]
    assert {message["parse_mode"] for message in sent} == {"HTML"}
    assert strict_bot_api.flood_refusals == 0


def test_a_private_chat_gets_at_most_one_message_a_second(strict_bot_api):
    started = time.monotonic()

    assert send_messages(chat_id=4242, messages=["one", "two", "three"]) == 3

    assert time.monotonic() - started >= 2.0
    assert strict_bot_api.flood_refusals == 0
    arrivals = [at for at, _chat in strict_bot_api.admitted]
    assert all(later - earlier >= 1.0 for earlier, later in itertools.pairwise(arrivals))


@pytest.mark.slow
# Worker threads have their own connections: any event they recorded would outlive
# a rolled-back test transaction.
@pytest.mark.django_db(transaction=True)
def test_many_workers_sending_to_many_chats_never_meet_flood_control(settings):
    # 1,000 messages from 12 worker threads, each call with its own limiter client and
    # event loop as Celery workers have: 940 private chats get one message and 20
    # get three (held to one a second each). About 35 s at 30 a second;
    # bench/telegram.py sends 10,000 the same way. The fake runs in a process of its
    # own, as Telegram is elsewhere, so the senders do not skew its clock.
    batches = {5000 + n: 1 for n in range(940)} | {6000 + n: 3 for n in range(20)}
    lock = threading.Lock()
    counts = []

    def worker(chat_id):
        messages = [f"{chat_id}: {n}" for n in range(batches[chat_id])]
        sent = send_messages(chat_id=chat_id, messages=messages)
        with lock:
            counts.append(sent)

    with StrictFakeProcess(settings) as fake:
        started = time.monotonic()
        with ThreadPoolExecutor(12) as pool:
            list(pool.map(worker, sorted(batches, key=lambda chat: -batches[chat])))
        elapsed = time.monotonic() - started
        seen = fake.results()

    assert seen["refusals"] == 0, seen["refusal_reasons"]
    assert sum(counts) == 1000
    for chat_id, count in batches.items():
        texts = [m["text"] for m in seen["sent_messages"] if m["chat_id"] == chat_id]
        assert texts == [f"{chat_id}: {n}" for n in range(count)]
    arrivals = [at for at, _chat in seen["admitted"]]
    assert most_in_any_window(arrivals, 1.0) <= 30
    # Held to the pace (30 a second less the margin), and not far below it even on
    # a busy machine; the benchmark measures the rate itself.
    assert 999 / 30 <= elapsed <= 1000 / 15


def test_a_short_flood_wait_is_waited_out_and_recorded(fake_bot_settings):
    fake_bot_settings.fail_next(
        "sendMessage", 429, "Too Many Requests: retry after 2", retry_after=2
    )
    started = time.monotonic()

    assert send_messages(chat_id=-100300, messages=["digest"]) == 1

    assert time.monotonic() - started >= 2.0
    assert len(fake_bot_settings.calls_to("sendMessage")) == 2
    assert [m["text"] for m in fake_bot_settings.sent_messages] == ["digest"]
    event = TelegramEvent.objects.get()
    assert event.kind == TelegramEvent.Kind.RETRY_AFTER
    assert event.chat_id == "-100300"


def test_a_long_flood_wait_goes_back_to_the_caller_with_what_was_sent(fake_bot_settings):
    fake_bot_settings.fail_next(
        "sendMessage", 429, "Too Many Requests: retry after 30", retry_after=30, after=1
    )
    started = time.monotonic()

    with pytest.raises(TransientSendError) as caught:
        send_messages(chat_id=-100300, messages=["one", "two", "three"])

    assert time.monotonic() - started < 5
    assert caught.value.sent == 1
    assert caught.value.retry_after == 30
    assert [m["text"] for m in fake_bot_settings.sent_messages] == ["one"]
    assert TelegramEvent.objects.filter(kind=TelegramEvent.Kind.RETRY_AFTER).count() == 1


def test_a_second_flood_wait_for_one_message_goes_back_to_the_caller(fake_bot_settings):
    fake_bot_settings.fail_next(
        "sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1, times=2
    )

    with pytest.raises(TransientSendError) as caught:
        send_messages(chat_id=-100300, messages=["one"])

    assert caught.value.sent == 0
    assert fake_bot_settings.sent_messages == []
    assert TelegramEvent.objects.filter(kind=TelegramEvent.Kind.RETRY_AFTER).count() == 2


def test_a_chat_that_blocked_the_bot_is_blocked_and_recorded(fake_bot_settings, user):
    link = TelegramLink.objects.create(user=user, telegram_user_id=4243, chat_id=4243)
    other = TelegramLink.objects.create(
        user=UserFactory(),
        telegram_user_id=4244,
        chat_id=4244,
    )
    fake_bot_settings.fail_next("sendMessage", 403, BLOCKED_BY_USER, after=1)

    with pytest.raises(PermanentSendError) as caught:
        send_messages(chat_id=4243, messages=["one", "two", "three"])

    assert caught.value.sent == 1
    assert [m["text"] for m in fake_bot_settings.sent_messages] == ["one"]
    link.refresh_from_db()
    assert link.blocked_at is not None
    assert link.blocked_reason == BLOCKED_BY_USER
    other.refresh_from_db()
    assert other.blocked_at is None
    event = TelegramEvent.objects.get()
    assert (event.kind, event.chat_id, event.detail) == (
        TelegramEvent.Kind.BLOCKED,
        "4243",
        BLOCKED_BY_USER,
    )


def test_a_channel_that_removed_the_bot_is_recorded(fake_bot_settings):
    reason = "Forbidden: bot is not a member of the channel chat"
    fake_bot_settings.fail_next("sendMessage", 403, reason)

    with pytest.raises(PermanentSendError):
        send_messages(chat_id="@insight_hub", messages=["digest"])

    event = TelegramEvent.objects.get()
    assert (event.kind, event.chat_id, event.detail) == (
        TelegramEvent.Kind.BLOCKED,
        "@insight_hub",
        reason,
    )


def test_after_a_refusal_digests_skip_telegram_until_the_user_links_again(fake_bot_settings):
    from digests.models import Delivery
    from digests.tests.test_services import digest_user, item_seen_at, run, utc

    user = digest_user(channels=["telegram"], now=utc(2026, 11, 25))
    TelegramLink.objects.create(user=user, telegram_user_id=77, chat_id=77)
    item_seen_at(utc(2026, 11, 25, 12))
    fake_bot_settings.fail_next("sendMessage", 403, BLOCKED_BY_USER)
    run(utc(2026, 11, 26, 8, 1))
    assert Delivery.objects.get().status == Delivery.Status.FAILED

    item_seen_at(utc(2026, 11, 26, 12))
    run(utc(2026, 11, 27, 8, 1))

    latest = Delivery.objects.order_by("-pk").first()
    assert latest.status == Delivery.Status.SKIPPED
    assert "Connect Telegram again" in latest.last_error
    assert len(fake_bot_settings.calls_to("sendMessage")) == 1


def test_html_telegram_cannot_parse_goes_out_as_plain_text(strict_bot_api):
    broken = (
        'Price &lt; $5 <unknown>&amp; more</unknown> <a href="https://x.example/a?b=1&amp;c=2">'
        "read</a>"
    )

    sent = send_messages(chat_id=-100400, messages=["<b>before</b>", broken, "<i>after</i>"])

    assert sent == 3
    messages = strict_bot_api.sent_messages
    assert [m["text"] for m in messages] == [
        "<b>before</b>",
        "Price < $5 & more read (https://x.example/a?b=1&c=2)",
        "<i>after</i>",
    ]
    assert "parse_mode" not in messages[1]
    assert messages[2]["parse_mode"] == "HTML"
    event = TelegramEvent.objects.get()
    assert event.kind == TelegramEvent.Kind.PLAIN_TEXT_FALLBACK
    assert "can't parse entities" in event.detail
    assert 'Unsupported start tag "unknown"' in event.detail


def test_other_bad_requests_are_permanent(fake_bot_settings):
    fake_bot_settings.fail_next("sendMessage", 400, "Bad Request: message is too long")

    with pytest.raises(PermanentSendError) as caught:
        send_messages(chat_id=-100500, messages=["long"])

    assert caught.value.sent == 0
    assert not TelegramEvent.objects.exists()


def test_telegram_down_is_transient_with_the_count_so_far(fake_bot_settings):
    fake_bot_settings.fail_next("sendMessage", 502, "Bad Gateway", after=2)

    with pytest.raises(TransientSendError) as caught:
        send_messages(chat_id=-100600, messages=["one", "two", "three"])

    assert caught.value.sent == 2


# ---------------------------------------------------------------- plain text


def test_plain_text_keeps_the_words_and_writes_links_out():
    html = (
        '<b>Acme</b>\n📰 <i>Launch</i>\n<a href="https://acme.example/p?a=1&amp;b=2">New '
        "&lt;model&gt;</a> · <i>blog</i>\n"
        '<a href="https://acme.example/">https://acme.example/</a>'
    )

    assert plain_text(html) == (
        "Acme\n📰 Launch\nNew <model> (https://acme.example/p?a=1&b=2) · blog\n"
        "https://acme.example/"
    )
    assert plain_text(html, with_links=False) == (
        "Acme\n📰 Launch\nNew <model> · blog\nhttps://acme.example/"
    )


def test_plain_text_fallback_drops_addresses_before_words_when_too_long():
    url = "https://example.com/" + "x" * 200
    html = "\n".join(f'<a href="{url}">entry {n}</a>' for n in range(30))

    text = plain_text_fallback(html)

    assert text == "\n".join(f"entry {n}" for n in range(30))
    assert len(plain_text_fallback("😀" * 5000).encode("utf-16-le")) // 2 <= MESSAGE_LIMIT
