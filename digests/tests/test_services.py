"""Scheduling, building and delivering digests on real PostgreSQL."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, time, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection

from accounts.models import Preferences, User
from accounts.tests.factories import UserFactory
from competitors.tests.factories import CompanyFactory
from digests import services
from digests.models import Delivery, Digest
from news.models import NewsItem
from news.tests.factories import NewsItemFactory
from telegram_bot.models import TelegramLink

pytestmark = pytest.mark.django_db


def utc(*parts):
    return datetime(*parts, tzinfo=UTC)


def digest_user(
    *,
    zone: str = "UTC",
    at: time = time(8, 0),
    frequency: str = "daily",
    channels: list[str] | None = None,
    mode: str = "all",
    now: datetime,
    **preferences,
):
    user = UserFactory(timezone=zone)
    row, _ = Preferences.objects.get_or_create(user=user)
    row.digest_time = at
    row.digest_frequency = frequency
    row.digest_channels = ["email"] if channels is None else channels
    row.digest_mode = mode
    for name, value in preferences.items():
        setattr(row, name, value)
    row.save()
    services.preferences_reschedule(preferences=row, timezone_name=zone, now=now)
    return user


def item_seen_at(moment, **fields):
    item = NewsItemFactory(**fields)
    NewsItem.objects.filter(pk=item.pk).update(fetched_at=moment, published_at=moment)
    item.refresh_from_db()
    return item


def run(at):
    out = StringIO()
    call_command("run_digests", "--at", at.isoformat(), "--json", stdout=out)
    return json.loads(out.getvalue())


# ---------------------------------------------------------------- claiming


def test_claim_creates_one_digest_for_the_latest_occurrence_and_moves_next_digest_at():
    user = digest_user(zone="Europe/Berlin", now=utc(2026, 11, 25, 12))
    preferences = Preferences.objects.get(user=user)
    assert preferences.next_digest_at == utc(2026, 11, 26, 7)

    assert services.digests_claim_due(now=utc(2026, 11, 26, 6, 59)).due == 0
    claim = services.digests_claim_due(now=utc(2026, 11, 26, 7, 2))

    assert claim.due == 1
    digest = Digest.objects.get(pk__in=claim.digest_ids)
    assert (digest.period_start, digest.period_end) == (utc(2026, 11, 25, 7), utc(2026, 11, 26, 7))
    assert digest.status == Digest.Status.PENDING
    preferences.refresh_from_db()
    assert preferences.next_digest_at == utc(2026, 11, 27, 7)


def test_a_second_beat_at_the_same_moment_claims_nothing():
    digest_user(now=utc(2026, 11, 25, 12))
    first = services.digests_claim_due(now=utc(2026, 11, 26, 8, 1))
    second = services.digests_claim_due(now=utc(2026, 11, 26, 8, 1))
    assert (first.due, len(first.digest_ids)) == (1, 1)
    assert (second.due, second.digest_ids) == (0, [])
    assert Digest.objects.count() == 1


def test_the_unique_key_refuses_a_second_digest_for_one_period():
    user = digest_user(now=utc(2026, 11, 25, 12))
    services.digests_claim_due(now=utc(2026, 11, 26, 8, 1))
    # As if the schedule had been reset and the same occurrence claimed again.
    Preferences.objects.filter(user=user).update(next_digest_at=utc(2026, 11, 26, 8))
    again = services.digests_claim_due(now=utc(2026, 11, 26, 8, 3))
    assert again.due == 1
    assert again.digest_ids == []
    assert Digest.objects.filter(user=user).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_beats_give_each_user_exactly_one_digest():
    now = utc(2026, 11, 26, 8, 1)
    for _ in range(30):
        digest_user(now=utc(2026, 11, 25, 12))
    barrier = threading.Barrier(4)
    claimed: list[int] = []
    lock = threading.Lock()

    def beat() -> None:
        try:
            barrier.wait()
            total = 0
            while True:
                claim = services.digests_claim_due(now=now, limit=7)
                total += len(claim.digest_ids)
                if claim.due == 0:
                    break
            with lock:
                claimed.append(total)
        finally:
            connection.close()

    threads = [threading.Thread(target=beat) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(claimed) == 30
    assert Digest.objects.count() == 30
    assert Digest.objects.values("user").distinct().count() == 30


def test_catch_up_after_downtime_builds_one_digest_from_the_last_end():
    user = digest_user(now=utc(2026, 11, 20, 12))
    run(utc(2026, 11, 21, 8, 0))
    # Three days of downtime: the beat comes back on the 24th at 10:00.
    report = run(utc(2026, 11, 24, 10, 0))

    assert report["due"] == 1
    digests = list(Digest.objects.filter(user=user).order_by("period_end"))
    assert len(digests) == 2
    assert digests[1].period_start == digests[0].period_end == utc(2026, 11, 21, 8)
    assert digests[1].period_end == utc(2026, 11, 24, 8)
    assert Preferences.objects.get(user=user).next_digest_at == utc(2026, 11, 25, 8)
    assert run(utc(2026, 11, 24, 10, 5))["due"] == 0


def test_consecutive_periods_share_no_item_and_miss_none():
    user = digest_user(now=utc(2026, 11, 20, 12))
    before = item_seen_at(utc(2026, 11, 21, 7, 59, 59))
    boundary = item_seen_at(utc(2026, 11, 21, 8, 0, 0))
    after = item_seen_at(utc(2026, 11, 21, 20, 0))
    run(utc(2026, 11, 21, 8, 0))
    run(utc(2026, 11, 22, 8, 0))

    first, second = Digest.objects.filter(user=user).order_by("period_end")
    ids_first = {entry["item_id"] for entry in _entries(first)}
    ids_second = {entry["item_id"] for entry in _entries(second)}
    assert ids_first == {before.pk}
    assert ids_second == {boundary.pk, after.pk}


def _entries(digest: Digest) -> list[dict[str, object]]:
    return [
        entry
        for group in digest.content.get("groups", [])
        for category in group["categories"]
        for entry in category["entries"]
    ]


def test_dst_day_in_berlin_covers_23_hours():
    user = digest_user(zone="Europe/Berlin", now=utc(2026, 3, 27, 12))
    run(utc(2026, 3, 28, 7, 1))
    run(utc(2026, 3, 29, 6, 1))
    latest = Digest.objects.filter(user=user).order_by("-period_end").first()
    assert latest is not None
    assert (latest.period_start, latest.period_end) == (utc(2026, 3, 28, 7), utc(2026, 3, 29, 6))


@pytest.mark.parametrize(
    ("zone", "due_at"),
    [("Pacific/Kiritimati", utc(2026, 11, 26, 18)), ("Etc/GMT+12", utc(2026, 11, 26, 20))],
)
def test_users_at_the_date_line_get_their_digest_at_local_eight(
    zone: str, due_at: datetime
) -> None:
    user = digest_user(zone=zone, now=utc(2026, 11, 26, 12))
    assert run(due_at - timedelta(minutes=1))["due"] == 0
    assert run(due_at + timedelta(minutes=4))["due"] == 1
    digest = Digest.objects.get(user=user)
    assert digest.period_end == due_at
    assert digest.period_end - digest.period_start == timedelta(days=1)


def test_weekly_sunday_start_covers_sunday_to_sunday():
    user = digest_user(
        zone="America/New_York", frequency="weekly", week_start="sunday", now=utc(2026, 11, 25)
    )
    run(utc(2026, 11, 29, 13, 1))  # Sunday 08:00 EST
    digest = Digest.objects.get(user=user)
    assert digest.period_start == utc(2026, 11, 22, 13)
    assert digest.period_end == utc(2026, 11, 29, 13)
    assert digest.period_end.astimezone(user_zone(user)).isoweekday() == 7


def user_zone(user: User) -> ZoneInfo:
    return ZoneInfo(user.timezone)


def test_custom_days_fall_due_only_on_those_days():
    user = digest_user(frequency="custom", digest_days=[2, 4], now=utc(2026, 11, 23, 12))
    assert Preferences.objects.get(user=user).next_digest_at == utc(2026, 11, 24, 8)
    run(utc(2026, 11, 24, 8, 1))
    assert Preferences.objects.get(user=user).next_digest_at == utc(2026, 11, 26, 8)


def test_disabled_digests_are_never_due():
    user = digest_user(now=utc(2026, 11, 25), digest_enabled=False)
    assert Preferences.objects.get(user=user).next_digest_at is None
    assert run(utc(2026, 11, 27, 9))["due"] == 0


def test_users_without_a_schedule_get_one_on_the_next_beat():
    user = UserFactory()
    Preferences.objects.filter(user=user).delete()
    run(utc(2026, 11, 26, 8, 1))
    assert Preferences.objects.get(user=user).next_digest_at == utc(2026, 11, 27, 8)


# ---------------------------------------------------------------- building


def test_mode_all_and_mode_tracked_select_differently():
    acme, other = CompanyFactory(), CompanyFactory()
    moment = utc(2026, 11, 25, 12)
    tracked_item = item_seen_at(moment, company=acme, title="Acme ships a model")
    other_item = item_seen_at(moment, company=other, title="Other ships a model")
    keyword_item = item_seen_at(moment, company=other, title="Other cuts GPU prices")
    everyone = digest_user(mode="all", now=utc(2026, 11, 25))
    tracker = digest_user(mode="tracked", keywords=["gpu"], now=utc(2026, 11, 25))
    Preferences.objects.get(user=tracker).tracked_companies.add(acme)

    run(utc(2026, 11, 26, 8, 1))

    all_ids = {e["item_id"] for e in _entries(Digest.objects.get(user=everyone))}
    tracked_ids = {e["item_id"] for e in _entries(Digest.objects.get(user=tracker))}
    assert all_ids == {tracked_item.pk, other_item.pk, keyword_item.pk}
    assert tracked_ids == {tracked_item.pk, keyword_item.pk}


def test_tracked_categories_limit_the_tracked_companies():
    acme = CompanyFactory()
    moment = utc(2026, 11, 25, 12)
    priced = item_seen_at(moment, company=acme, category="pricing_change")
    item_seen_at(moment, company=acme, category="research_paper")
    user = digest_user(mode="tracked", categories=["pricing_change"], now=utc(2026, 11, 25))
    Preferences.objects.get(user=user).tracked_companies.add(acme)
    run(utc(2026, 11, 26, 8, 1))
    assert {e["item_id"] for e in _entries(Digest.objects.get(user=user))} == {priced.pk}


def test_ranking_puts_tracked_and_high_priority_first_and_groups_by_company():
    acme, other = CompanyFactory(name="Acme"), CompanyFactory(name="Other")
    moment = utc(2026, 11, 25, 12)
    item_seen_at(moment, company=other, priority_score=0.3, title="Minor note")
    top = item_seen_at(moment, company=acme, priority_score=0.9, title="Acme launch")
    user = digest_user(mode="all", now=utc(2026, 11, 25))
    Preferences.objects.get(user=user).tracked_companies.add(acme)
    run(utc(2026, 11, 26, 8, 1))
    content = Digest.objects.get(user=user).content
    assert [group["company_name"] for group in content["groups"]] == ["Acme", "Other"]
    assert content["groups"][0]["categories"][0]["entries"][0]["item_id"] == top.pk


def test_a_story_collapses_to_its_best_item_with_the_other_sources_counted():
    from news.models import Story

    story = Story.objects.create(title="Model launch", item_count=3)
    moment = utc(2026, 11, 25, 12)
    best = item_seen_at(moment, story=story, priority_score=0.8)
    item_seen_at(moment, story=story, priority_score=0.5)
    item_seen_at(moment, story=story, priority_score=0.4)
    user = digest_user(now=utc(2026, 11, 25))
    run(utc(2026, 11, 26, 8, 1))
    entries = _entries(Digest.objects.get(user=user))
    assert [(e["item_id"], e["extra_sources"]) for e in entries] == [(best.pk, 2)]


def test_an_empty_period_is_recorded_and_shown_but_not_sent():
    user = digest_user(now=utc(2026, 11, 25))
    report = run(utc(2026, 11, 26, 8, 1))
    digest = Digest.objects.get(user=user)
    assert digest.status == Digest.Status.EMPTY
    assert not digest.deliveries.exists()
    assert report["empty"] == 1
    assert report["built"] == 0
    assert mail.outbox == []


def test_empty_digests_are_sent_when_configured(settings):
    settings.DIGEST_SEND_EMPTY = True
    digest_user(now=utc(2026, 11, 25))
    report = run(utc(2026, 11, 26, 8, 1))
    assert report["delivered"] == {"email": 1, "telegram": 0}


def test_queries_per_digest_do_not_grow_with_items(django_assert_max_num_queries):
    def build_one(items):
        user = digest_user(mode="tracked", now=utc(2026, 11, 25))
        Preferences.objects.get(user=user).tracked_companies.add(CompanyFactory())
        company = Preferences.objects.get(user=user).tracked_companies.get()
        for _ in range(items):
            item_seen_at(utc(2026, 11, 25, 12), company=company)
        claim = services.digests_claim_due(now=utc(2026, 11, 26, 8, 1))
        (digest_id,) = claim.digest_ids
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            services.digest_build(digest_id=digest_id, now=utc(2026, 11, 26, 8, 1))
        return len(queries)

    few = build_one(1)
    NewsItem.objects.all().delete()
    many = build_one(25)
    assert few == many
    assert many <= 12


# ---------------------------------------------------------------- delivering


def test_email_delivery_is_sent_once_with_a_text_and_an_html_part():
    user = digest_user(now=utc(2026, 11, 25))
    item_seen_at(utc(2026, 11, 25, 12), title="Acme ships <b>Model</b> & more")
    report = run(utc(2026, 11, 26, 8, 1))

    assert report["delivered"] == {"email": 1, "telegram": 0}
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [user.email]
    assert "Acme ships <b>Model</b> & more" in message.body
    html, mime = message.alternatives[0]
    assert mime == "text/html"
    assert "Acme ships &lt;b&gt;Model&lt;/b&gt; &amp; more" in html
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (Delivery.Status.SENT, 1)
    # Running again, or sending the same delivery again, sends nothing.
    run(utc(2026, 11, 26, 8, 3))
    assert services.delivery_send(delivery_id=delivery.pk, now=utc(2026, 11, 26, 9)).status == (
        "not_claimed"
    )
    assert len(mail.outbox) == 1


def test_unconfirmed_email_is_skipped_with_a_reason_the_user_sees():
    user = digest_user(now=utc(2026, 11, 25))
    User.objects.filter(pk=user.pk).update(is_verified=False)
    item_seen_at(utc(2026, 11, 25, 12))
    run(utc(2026, 11, 26, 8, 1))
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.SKIPPED
    assert "not confirmed" in delivery.last_error
    assert mail.outbox == []


def test_mail_server_down_is_retried_with_growing_backoff_then_failed(settings):
    import socket

    with socket.socket() as probe:  # a port with nothing listening
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", closed_port, 2
    digest_user(now=utc(2026, 11, 25))
    item_seen_at(utc(2026, 11, 25, 12))
    report = run(utc(2026, 11, 26, 8, 1))
    delivery = Delivery.objects.get()
    assert report["errors"]
    assert report["errors"][0]["channel"] == "email"
    assert delivery.status == Delivery.Status.PENDING
    delays = []
    for _ in range(services.MAX_ATTEMPTS - 1):
        delivery.refresh_from_db()
        delays.append(delivery.next_attempt_at)
        Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=utc(2000, 1, 1))
        services.delivery_send(delivery_id=delivery.pk, now=datetime.now(UTC))
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED
    assert delivery.attempts == services.MAX_ATTEMPTS
    assert "Mail server unavailable" in delivery.last_error
    assert services.backoff(attempts=1) == timedelta(minutes=1)
    assert services.backoff(attempts=4) == timedelta(minutes=8)
    assert services.backoff(attempts=20) == services.BACKOFF_CAP


def test_telegram_delivery_goes_to_the_linked_chat(fake_bot_settings):
    user = digest_user(channels=["telegram"], now=utc(2026, 11, 25))
    TelegramLink.objects.create(user=user, telegram_user_id=4242, chat_id=4242, username="ann")
    item_seen_at(utc(2026, 11, 25, 12), title="Acme <script>alert(1)</script>")
    report = run(utc(2026, 11, 26, 8, 1))

    assert report["delivered"] == {"email": 0, "telegram": 1}
    sent = fake_bot_settings.sent_messages
    assert sent
    assert {message["chat_id"] for message in sent} == {4242}
    assert "&lt;script&gt;" in sent[0]["text"]
    assert Delivery.objects.get().messages_sent == len(sent)


def test_telegram_blocked_by_the_user_is_a_permanent_error(fake_bot_settings):
    from telegram_bot.tests.fake_bot_api import BLOCKED_BY_USER

    user = digest_user(channels=["telegram"], now=utc(2026, 11, 25))
    TelegramLink.objects.create(user=user, telegram_user_id=77, chat_id=77)
    item_seen_at(utc(2026, 11, 25, 12))
    fake_bot_settings.fail_next("sendMessage", 403, BLOCKED_BY_USER)
    report = run(utc(2026, 11, 26, 8, 1))
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.FAILED
    assert "blocked" in delivery.last_error
    assert report["errors"][0]["channel"] == "telegram"


def test_telegram_not_linked_is_skipped():
    digest_user(channels=["telegram"], now=utc(2026, 11, 25))
    item_seen_at(utc(2026, 11, 25, 12))
    run(utc(2026, 11, 26, 8, 1))
    assert Delivery.objects.get().status == Delivery.Status.SKIPPED


def test_a_delivery_left_sending_by_a_dead_worker_is_taken_over_after_its_lease():
    digest_user(now=utc(2026, 11, 25))
    item_seen_at(utc(2026, 11, 25, 12))
    claim = services.digests_claim_due(now=utc(2026, 11, 26, 8, 1))
    built = services.digest_build(digest_id=claim.digest_ids[0], now=utc(2026, 11, 26, 8, 1))
    assert built is not None
    (delivery_id,) = built.delivery_ids
    now = datetime.now(UTC)
    # A worker claimed it and died.
    assert services._claim_delivery(delivery_id=delivery_id, now=now)
    assert services.delivery_send(delivery_id=delivery_id, now=now).status == "not_claimed"
    later = now + services.delivery_lease() + timedelta(seconds=1)
    assert services.digests_stale_work(now=later).delivery_ids == [delivery_id]
    assert services.delivery_send(delivery_id=delivery_id, now=later).status == "sent"
    assert len(mail.outbox) == 1


def test_run_digests_reports_json_and_rejects_a_bad_instant():
    from django.core.management.base import CommandError

    digest_user(now=utc(2026, 11, 25))
    item_seen_at(utc(2026, 11, 25, 12))
    report = run(utc(2026, 11, 26, 8, 1))
    assert report == {
        "due": 1,
        "built": 1,
        "empty": 0,
        "delivered": {"email": 1, "telegram": 0},
        "errors": [],
    }
    with pytest.raises(CommandError, match="ISO 8601"):
        call_command("run_digests", "--at", "yesterday")


# ---------------------------------------------------------------- on demand


def test_send_now_builds_todays_digest_and_emails_it(django_capture_on_commit_callbacks):
    user = digest_user(zone="Europe/Berlin", now=utc(2026, 11, 25))
    today = item_seen_at(datetime.now(UTC) - timedelta(minutes=5))
    with django_capture_on_commit_callbacks(execute=True):
        digest = services.digest_send_now(user=user, kind="daily", now=datetime.now(UTC))
    assert digest.kind == Digest.Kind.ON_DEMAND
    assert digest.status == Digest.Status.READY
    assert {e["item_id"] for e in _entries(digest)} == {today.pk}
    assert len(mail.outbox) == 1


def test_a_digest_whose_build_task_was_lost_is_built_by_the_next_beat():
    user = digest_user(now=utc(2026, 11, 25))
    item_seen_at(utc(2026, 11, 25, 12))
    claim = services.digests_claim_due(now=utc(2026, 11, 26, 8, 1))
    # The build task never ran (the broker lost it, or its worker died before it began).
    Digest.objects.filter(pk__in=claim.digest_ids).update(
        created_at=datetime.now(UTC) - services.BUILD_GRACE - timedelta(seconds=1)
    )
    report = run(utc(2026, 11, 26, 8, 6))
    assert (report["due"], report["built"]) == (0, 1)
    assert Digest.objects.get(user=user).status == Digest.Status.READY
    assert len(mail.outbox) == 1


def test_digests_of_everything_for_one_period_share_their_candidates():
    from django.test.utils import CaptureQueriesContext

    first_user = digest_user(now=utc(2026, 11, 25))
    second_user = digest_user(now=utc(2026, 11, 25))
    item = item_seen_at(utc(2026, 11, 25, 12))
    claim = services.digests_claim_due(now=utc(2026, 11, 26, 8, 1))
    first_id, second_id = claim.digest_ids
    with CaptureQueriesContext(connection) as first:
        services.digest_build(digest_id=first_id, now=utc(2026, 11, 26, 8, 1))
    with CaptureQueriesContext(connection) as second:
        services.digest_build(digest_id=second_id, now=utc(2026, 11, 26, 8, 1))
    # The count, the ids and the rows come from the first build.
    assert len(second) == len(first) - 3
    for user in (first_user, second_user):
        assert [e["item_id"] for e in _entries(Digest.objects.get(user=user))] == [item.pk]
