from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Preferences
from accounts.tests.factories import UserFactory
from competitors.tests.factories import CompanyFactory
from digests import notification_tasks
from digests.models import Notification
from digests.tests.factories import NotificationFactory
from news.analysis import news_items_analyse
from news.tests.factories import NewsItemFactory
from telegram_bot.models import TelegramLink

pytestmark = pytest.mark.django_db


def follower(*companies, frequency="realtime"):
    user = UserFactory()
    preferences = Preferences.objects.create(
        user=user, notify_min_priority="low", notification_frequency=frequency
    )
    preferences.tracked_companies.set(companies)
    return user


def test_the_worker_registers_every_alert_task():
    from config.celery_app import app
    from digests import tasks  # noqa: F401  (registers the tasks, as the worker does)

    assert {
        "digests.notifications_for_items",
        "digests.check_trends",
        "digests.push_notifications",
        "digests.purge_notifications",
    } <= set(app.tasks)


def test_analysing_items_queues_their_alerts_after_commit(django_capture_on_commit_callbacks):
    acme = CompanyFactory(name="Acme AI")
    user = follower(acme)
    item = NewsItemFactory(
        company=acme,
        title="Acme AI releases a new reasoning model",
        summary="The model is available to developers today through the API.",
        published_at=timezone.now() - timedelta(hours=1),
    )

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        news_items_analyse(item_ids=[item.pk])

    assert callbacks
    notification = Notification.objects.get()
    assert notification.user == user
    assert notification.item == item


def test_analysis_queues_nothing_when_nothing_was_analysed(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        news_items_analyse(item_ids=[])
    assert callbacks == []


def test_the_items_task_creates_alerts_once():
    acme = CompanyFactory()
    follower(acme)
    item = NewsItemFactory(company=acme, priority_score=0.9, analysed_at=timezone.now())

    notification_tasks.notifications_for_items.delay([item.pk])
    notification_tasks.notifications_for_items.delay([item.pk])

    assert Notification.objects.count() == 1


def test_the_trends_task_checks_the_last_day():
    acme = CompanyFactory()
    follower(acme)
    for _ in range(3):
        NewsItemFactory(company=acme, published_at=timezone.now() - timedelta(hours=2))

    notification_tasks.check_trends.delay()

    assert Notification.objects.get().type == "company_active"


def test_the_push_task_sends_due_alerts(fake_bot_settings):
    user = follower()
    TelegramLink.objects.create(user=user, telegram_user_id=77, chat_id=77)
    NotificationFactory(user=user, title="Acme: a new model")

    notification_tasks.push_notifications.delay()

    assert [m["chat_id"] for m in fake_bot_settings.sent_messages] == [77]
    assert Notification.objects.get().pushed_at is not None


def test_the_purge_task_deletes_old_read_alerts():
    old = timezone.now() - timedelta(days=40)
    NotificationFactory(created_at=old, read_at=old)
    kept = NotificationFactory(created_at=old)

    notification_tasks.purge_notifications.delay()

    assert list(Notification.objects.values_list("pk", flat=True)) == [kept.pk]
