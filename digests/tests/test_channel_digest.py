"""The public channel's daily top items, through the local fake Bot API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from digests.channel_digest import TOP_ITEMS, channel_digest_run
from digests.models import ChannelDigest
from news.models import NewsItem
from news.tests.factories import NewsItemFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 26, 9, 5, tzinfo=UTC)


@pytest.fixture
def channel(settings, fake_bot_settings):
    settings.TELEGRAM_CHANNEL_ID = "@aihub_news"
    settings.TELEGRAM_CHANNEL_DIGEST_TIME = "09:00"
    settings.TELEGRAM_CHANNEL_TIMEZONE = "UTC"
    return fake_bot_settings


def items(count, *, hours_ago=2):
    made = [NewsItemFactory(priority_score=n / 100) for n in range(count)]
    seen = NOW - timedelta(hours=hours_ago)
    NewsItem.objects.filter(pk__in=[item.pk for item in made]).update(fetched_at=seen)
    return made


def test_nothing_before_the_posting_time(channel):
    items(3)
    assert channel_digest_run(now=NOW.replace(hour=8, minute=59)) == "not_due"
    assert not ChannelDigest.objects.exists()
    assert channel.sent_messages == []


def test_posts_the_top_items_once_a_day(channel):
    made = items(TOP_ITEMS + 5)
    items(2, hours_ago=30)  # older than the last 24 hours

    assert channel_digest_run(now=NOW) == "sent"
    assert channel_digest_run(now=NOW + timedelta(minutes=5)) == "not_claimed"

    row = ChannelDigest.objects.get()
    assert (row.day.isoformat(), row.status) == ("2026-11-26", ChannelDigest.Status.SENT)
    posted = {
        entry["item_id"]
        for group in row.content["groups"]
        for category in group["categories"]
        for entry in category["entries"]
    }
    best = sorted(made, key=lambda item: -item.priority_score)[:TOP_ITEMS]
    assert posted == {item.pk for item in best}
    sent = channel.sent_messages
    assert {message["chat_id"] for message in sent} == {"@aihub_news"}
    assert row.messages_sent == len(sent)
    assert all(len(message["text"]) <= 4096 for message in sent)


def test_flood_control_is_retried_later_without_reposting(channel):
    items(5)
    channel.fail_next("sendMessage", 429, "Too Many Requests: retry after 60", retry_after=60)
    assert channel_digest_run(now=NOW) == "retry"
    row = ChannelDigest.objects.get()
    assert row.status == ChannelDigest.Status.PENDING
    assert row.next_attempt_at >= datetime.now(UTC) + timedelta(seconds=55)

    # Once the wait is over, on the same day: the real clock may be past midnight.
    ChannelDigest.objects.filter(pk=row.pk).update(next_attempt_at=NOW)
    assert channel_digest_run(now=NOW + timedelta(minutes=2)) == "sent"
    assert ChannelDigest.objects.get().status == ChannelDigest.Status.SENT


def test_no_channel_configured_means_no_channel_digest(settings, fake_bot_settings):
    settings.TELEGRAM_CHANNEL_ID = ""
    items(2)
    assert channel_digest_run(now=NOW) == "not_due"
