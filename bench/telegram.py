"""10,000 digest messages to 10,000 Telegram chats, through the real sender and limiter.

The fake Bot API (telegram_bot/tests/fake_bot_api.py) runs in its own process in
enforcing mode: it answers 429 the way Telegram's flood control does as soon as
a 31st message arrives within a second, a 2nd within a second to one private
chat, or a 21st within a minute to one group. Worker threads, each sending one
chat's digest at a time with `send_messages` as the delivery tasks do, share
the Redis limiter. The figures: messages per second sustained (measured where
the fake receives them, first to last, and end to end), the busiest second, and
how many 429s the fake answered.
"""

from __future__ import annotations

import os
import queue
import threading
from datetime import UTC, datetime
from typing import Any

from bench.harness import timed

MESSAGES = int(os.environ.get("BENCH_TELEGRAM_MESSAGES", "10000"))
WORKERS = int(os.environ.get("BENCH_TELEGRAM_WORKERS", "8"))
FIRST_CHAT = 700_000_000


def _digest_message() -> str:
    """The first message of a typical detailed digest: a dozen entries, three companies."""
    from digests.content import CategoryGroup, CompanyGroup, DigestContent, DigestEntry
    from digests.models import Digest
    from digests.rendering.telegram import telegram_messages

    def entry(n: int) -> DigestEntry:
        return DigestEntry(
            item_id=n,
            title=f"Lab {n % 3} ships model update {n} with faster inference",
            url=f"https://lab{n % 3}.example.com/blog/update-{n}",
            summary="The release cuts latency by a third and adds a cheaper tier "
            "for batch workloads; existing keys keep working.",
            source=f"Lab {n % 3} blog",
            published_at="2026-11-25T12:00:00+00:00",
            priority="high" if n % 4 == 0 else "medium",
            score=0.5,
            extra_sources=n % 2,
        )

    content = DigestContent(
        groups=[
            CompanyGroup(
                company_id=company,
                company_name=f"Lab {company}",
                company_slug=f"lab-{company}",
                categories=[
                    CategoryGroup(
                        category="model_release", entries=[entry(company * 4 + n) for n in range(4)]
                    )
                ],
            )
            for company in range(3)
        ]
    )
    digest = Digest(
        pk=1,
        frequency="daily",
        format="detailed",
        include_summaries=True,
        language="en",
        timezone="UTC",
        period_start=datetime(2026, 11, 25, 8, tzinfo=UTC),
        period_end=datetime(2026, 11, 26, 8, tzinfo=UTC),
    )
    return telegram_messages(digest=digest, content=content, site_url="https://hub.example.com")[0]


def _send_all(text: str) -> tuple[int, list[str]]:
    from telegram_bot.sending import SendError, send_messages

    chats: queue.Queue[int] = queue.Queue()
    for n in range(MESSAGES):
        chats.put(FIRST_CHAT + n)
    sent = 0
    errors: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        nonlocal sent
        while True:
            try:
                chat_id = chats.get_nowait()
            except queue.Empty:
                return
            try:
                count = send_messages(chat_id=chat_id, messages=[text])
            except SendError as error:
                with lock:
                    errors.append(str(error))
                    sent += error.sent
                continue
            with lock:
                sent += count

    threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sent, errors


def _busiest_second(arrivals: list[float]) -> int:
    most, start = 0, 0
    for end, moment in enumerate(arrivals):
        while arrivals[start] <= moment - 1.0:
            start += 1
        most = max(most, end - start + 1)
    return most


def run() -> dict[str, Any]:
    from django.conf import settings

    from telegram_bot.models import TelegramEvent
    from telegram_bot.tests.fake_bot_api import StrictFakeProcess

    text = _digest_message()
    # The fake runs in a process of its own, so the senders' threads do not share
    # an interpreter with it (and its arrival times are not skewed by them).
    with StrictFakeProcess(settings) as fake:
        seconds, (sent, errors) = timed(lambda: _send_all(text))
        seen = fake.results()
    arrivals = sorted(at for at, _chat in seen["admitted"])
    received = len(seen["sent_messages"])
    chats = len({message["chat_id"] for message in seen["sent_messages"]})
    if sent != MESSAGES or received != MESSAGES or chats != MESSAGES:
        raise RuntimeError(
            f"expected {MESSAGES} messages to as many chats; sent {sent}, "
            f"the fake got {received} in {chats} chats; errors: {errors[:3]}"
        )
    return {
        "messages": MESSAGES,
        "chats": chats,
        "workers": WORKERS,
        "message_chars": len(text),
        "seconds": seconds,
        "messages_per_s_end_to_end": MESSAGES / seconds,
        "messages_per_s_sustained": (len(arrivals) - 1) / (arrivals[-1] - arrivals[0]),
        "busiest_second": _busiest_second(arrivals),
        "http_429": seen["refusals"],
        "send_errors": len(errors),
        "events_recorded": TelegramEvent.objects.count(),
    }
