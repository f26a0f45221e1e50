import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, transaction

from accounts.models import Preferences
from accounts.tests.factories import UserFactory
from competitors.tests.factories import CompanyFactory
from digests.models import Notification
from digests.notification_checks import notifications_check_trends, notifications_purge
from digests.notification_push import notifications_push
from digests.notification_telegram import (
    MESSAGE_LIMIT,
    AlertLine,
    render_alert_messages,
    telegram_length,
)
from digests.notifications import PUSH_BATCH, KeywordMatcher, notifications_create_for_items
from digests.tests.factories import NotificationFactory
from news.tests.factories import NewsItemFactory
from telegram_bot.models import TelegramLink
from telegram_bot.tests.fake_bot_api import BLOCKED_BY_USER

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
HIGH, MEDIUM, LOW = 0.9, 0.7, 0.3


def subscriber(
    *,
    companies=(),
    keywords=(),
    min_priority="low",
    frequency="realtime",
    categories=(),
    **fields,
):
    user = UserFactory(language=fields.pop("language", ""))
    preferences = Preferences.objects.create(
        user=user,
        keywords=list(keywords),
        categories=list(categories),
        notify_min_priority=min_priority,
        notification_frequency=frequency,
        **fields,
    )
    preferences.tracked_companies.set(companies)
    return user


def analysed(*, company=None, category="product_update", score=HIGH, mentions=(), **fields):
    fields.setdefault("published_at", NOW - timedelta(hours=1))
    item = NewsItemFactory(
        company=company,
        category=category,
        priority_score=score,
        analysed_at=NOW,
        **fields,
    )
    item.mentioned_companies.set(mentions)
    return item


def create(*items):
    return notifications_create_for_items(item_ids=[item.pk for item in items], now=NOW)


# ---------------------------------------------------------------- alerts for items


@pytest.mark.parametrize(
    ("category", "expected"),
    [
        ("pricing_change", "pricing_change"),
        ("funding_news", "funding_announcement"),
        ("product_update", "product_launch"),
        ("model_release", "product_launch"),
        ("acquisition", "competitor_milestone"),
        ("partnership", "competitor_milestone"),
        ("strategic_announcement", "competitor_milestone"),
        ("research_paper", "new_news"),
        ("", "new_news"),
    ],
)
def test_tracked_company_items_map_their_category_to_a_type(category, expected):
    acme = CompanyFactory(name="Acme AI")
    user = subscriber(companies=[acme])
    item = analysed(company=acme, category=category, title="Acme cuts prices")

    assert create(item) == 1

    notification = Notification.objects.get()
    assert notification.user == user
    assert notification.type == expected
    assert notification.item == item
    assert notification.company == acme
    assert notification.priority == "high"
    assert notification.dedupe_key == f"item:{item.pk}:{expected}"
    assert notification.title == "Acme AI: Acme cuts prices"
    assert "Acme AI" in notification.body


def test_an_item_mentioning_a_tracked_company_alerts_its_followers():
    acme, rival = CompanyFactory(name="Acme AI"), CompanyFactory(name="Rival")
    subscriber(companies=[acme])
    item = analysed(company=rival, mentions=[acme, rival], title="Rival partners with Acme")

    assert create(item) == 1
    assert Notification.objects.get().title == "Acme AI: Rival partners with Acme"


def test_items_of_untracked_companies_alert_nobody():
    subscriber(companies=[CompanyFactory()])
    assert create(analysed(company=CompanyFactory())) == 0


@pytest.mark.parametrize(
    ("min_priority", "score", "alerted"),
    [
        ("low", LOW, True),
        ("medium", LOW, False),
        ("medium", MEDIUM, True),
        ("high", MEDIUM, False),
        ("high", HIGH, True),
    ],
)
def test_minimum_priority(min_priority, score, alerted):
    acme = CompanyFactory()
    subscriber(companies=[acme], min_priority=min_priority)
    item = analysed(company=acme, score=score)

    assert create(item) == int(alerted)
    if alerted:
        assert (
            Notification.objects.get().priority
            == {HIGH: "high", MEDIUM: "medium", LOW: "low"}[score]
        )


@pytest.mark.parametrize(
    "settings_off",
    [
        {"notification_frequency": "never"},
        {"notify_enabled": False},
        {"notify_company_alerts": False},
    ],
)
def test_users_who_turned_alerts_off_get_none(settings_off):
    acme = CompanyFactory()
    user = subscriber(companies=[acme])
    Preferences.objects.filter(user=user).update(**settings_off)
    assert create(analysed(company=acme)) == 0


def test_inactive_users_get_no_alerts():
    acme = CompanyFactory()
    user = subscriber(companies=[acme])
    user.is_active = False
    user.save()
    assert create(analysed(company=acme)) == 0


def test_old_news_first_seen_now_does_not_alert():
    acme = CompanyFactory()
    subscriber(companies=[acme])
    assert create(analysed(company=acme, published_at=NOW - timedelta(days=10))) == 0


def test_unanalysed_items_do_not_alert():
    acme = CompanyFactory()
    subscriber(companies=[acme])
    item = analysed(company=acme)
    item.analysed_at = None
    item.save()
    assert create(item) == 0


@pytest.mark.parametrize(
    ("keyword", "text", "matches"),
    [
        ("gpt", "GPT-5 is out", True),
        ("gpt", "New gpt model", True),
        ("gpt", "ChatGPT gets memory", False),
        ("gpt", "Custom GPTs for teams", False),
        ("open source", "An Open   Source model", True),
        ("open source", "open-source model", False),
        ("c++", "A new C++ SDK", True),
        ("c++", "A new C SDK", False),
        (".net", "Bindings for .NET 9", True),
        ("llama 3", "Llama 3.1 released", True),
    ],
)
def test_keywords_match_whole_words_in_any_case(keyword, text, matches):
    assert (keyword in KeywordMatcher.build([keyword]).matches(text)) is matches


def test_keyword_alerts_read_the_title_and_summary():
    subscriber(keywords=["agents"])
    in_title = analysed(company=None, title="Building agents at scale", summary="Nothing.")
    in_summary = analysed(company=None, title="Our roadmap", summary="More Agents, fewer bugs.")
    nowhere = analysed(company=None, title="Agentic workflows", summary="Pricing.")

    assert create(in_title, in_summary, nowhere) == 2

    assert set(Notification.objects.values_list("item_id", "type")) == {
        (in_title.pk, "keyword_match"),
        (in_summary.pk, "keyword_match"),
    }
    assert "agents" in Notification.objects.get(item=in_title).body


def test_keyword_alerts_can_be_turned_off():
    subscriber(keywords=["agents"], notify_keyword_alerts=False)
    assert create(analysed(title="Building agents")) == 0


def test_a_tracked_company_item_matching_a_keyword_alerts_once():
    acme = CompanyFactory()
    subscriber(companies=[acme], keywords=["pricing"])
    item = analysed(company=acme, category="pricing_change", title="New pricing for teams")

    assert create(item) == 1
    assert Notification.objects.get().type == "pricing_change"


def test_running_a_batch_again_creates_nothing_new():
    acme = CompanyFactory()
    subscriber(companies=[acme])
    subscriber(keywords=["model"])
    items = [analysed(company=acme, title=f"Acme model {n}") for n in range(3)]

    assert create(*items) == 6
    assert create(*items) == 0
    assert Notification.objects.count() == 6


def test_a_changed_category_does_not_alert_the_same_item_twice():
    acme = CompanyFactory()
    subscriber(companies=[acme])
    item = analysed(company=acme, category="product_update")
    create(item)
    item.category = "pricing_change"
    item.save()

    assert create(item) == 0
    assert Notification.objects.get().type == "product_launch"


def test_each_user_gets_only_their_own_matches():
    acme, rival = CompanyFactory(), CompanyFactory()
    acme_fan = subscriber(companies=[acme])
    rival_fan = subscriber(companies=[rival])
    acme_item, rival_item = analysed(company=acme), analysed(company=rival)

    assert create(acme_item, rival_item) == 2
    assert set(Notification.objects.values_list("user_id", "item_id")) == {
        (acme_fan.pk, acme_item.pk),
        (rival_fan.pk, rival_item.pk),
    }


@pytest.mark.parametrize(("users", "items"), [(1, 1), (20, 10)])
def test_alert_creation_needs_a_constant_number_of_queries(
    django_assert_max_num_queries, users, items
):
    companies = [CompanyFactory() for _ in range(3)]
    for n in range(users):
        subscriber(
            companies=companies[: 1 + n % 3],
            keywords=["launch", f"word{n}"],
            min_priority=["low", "medium"][n % 2],
        )
    batch = [
        analysed(
            company=companies[n % 3],
            mentions=companies[:2],
            title=f"Launch number {n}",
            score=[HIGH, MEDIUM][n % 2],
        )
        for n in range(items)
    ]
    # Items, mentions, users, their tracked companies, existing alerts, one insert.
    with django_assert_max_num_queries(6):
        created = create(*batch)
    assert created == users * items


def test_an_empty_batch_needs_no_queries(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert notifications_create_for_items(item_ids=[], now=NOW) == 0


# ---------------------------------------------------------------- trends


def items_in(category, count, *, company=None, hours_ago=1):
    return [
        analysed(company=company, category=category, published_at=NOW - timedelta(hours=hours_ago))
        for _ in range(count)
    ]


def test_five_items_in_a_category_make_a_trend_for_interested_users():
    everything = subscriber()
    pricing_fan = subscriber(categories=["pricing_change"])
    funding_fan = subscriber(categories=["funding_news"])
    subscriber(notify_category_trends=False)
    items_in("pricing_change", 5)
    items_in("funding_news", 4)

    assert notifications_check_trends(now=NOW) == 2

    trends = Notification.objects.filter(type="category_trend")
    assert {n.user_id for n in trends} == {everything.pk, pricing_fan.pk}
    assert {n.dedupe_key for n in trends} == {"trend:pricing_change:2026-11-26"}
    assert not trends.filter(user=funding_fan).exists()
    assert "5" in trends.first().title


def test_items_older_than_a_day_do_not_count_towards_a_trend():
    subscriber()
    items_in("pricing_change", 4)
    items_in("pricing_change", 3, hours_ago=30)
    assert notifications_check_trends(now=NOW) == 0


def test_trends_are_checked_once_per_utc_day():
    user = subscriber()
    items_in("pricing_change", 5)

    assert notifications_check_trends(now=NOW) == 1
    assert notifications_check_trends(now=NOW + timedelta(minutes=15)) == 0
    assert notifications_check_trends(now=NOW + timedelta(hours=11, minutes=59)) == 0
    items_in("pricing_change", 5, hours_ago=-12)
    assert notifications_check_trends(now=NOW + timedelta(hours=13)) == 1

    assert sorted(Notification.objects.filter(user=user).values_list("dedupe_key", flat=True)) == [
        "trend:pricing_change:2026-11-26",
        "trend:pricing_change:2026-11-27",
    ]


def test_a_large_trend_is_high_priority_and_a_small_one_medium():
    picky = subscriber(min_priority="high")
    relaxed = subscriber(min_priority="medium")
    items_in("pricing_change", 10)
    items_in("funding_news", 5)

    notifications_check_trends(now=NOW)

    assert set(Notification.objects.values_list("user_id", "category", "priority")) == {
        (picky.pk, "pricing_change", "high"),
        (relaxed.pk, "pricing_change", "high"),
        (relaxed.pk, "funding_news", "medium"),
    }


def test_three_items_from_a_tracked_company_make_it_busy():
    acme, quiet = CompanyFactory(name="Acme AI"), CompanyFactory()
    fan = subscriber(companies=[acme, quiet])
    subscriber(companies=[quiet])
    subscriber(companies=[acme], notify_category_trends=False)
    items_in("research_paper", 2, company=acme)
    items_in("api_update", 1, company=acme)
    items_in("api_update", 2, company=quiet)

    assert notifications_check_trends(now=NOW) == 1

    busy = Notification.objects.get()
    assert busy.user == fan
    assert busy.type == "company_active"
    assert busy.company == acme
    assert busy.dedupe_key == f"active:{acme.pk}:2026-11-26"
    assert busy.title.startswith("Acme AI")
    assert notifications_check_trends(now=NOW + timedelta(hours=1)) == 0


def test_trend_checks_need_a_constant_number_of_queries(django_assert_max_num_queries):
    acme = CompanyFactory()
    for _ in range(15):
        subscriber(companies=[acme])
    items_in("pricing_change", 5, company=acme)
    # Category counts, company counts, users, tracked companies, existing keys, one insert.
    with django_assert_max_num_queries(6):
        assert notifications_check_trends(now=NOW) == 30


# ---------------------------------------------------------------- purge


def test_purge_deletes_only_read_notifications_older_than_thirty_days():
    old = NOW - timedelta(days=31)
    read_old = NotificationFactory(created_at=old, read_at=old)
    unread_old = NotificationFactory(created_at=old)
    read_recent = NotificationFactory(created_at=NOW - timedelta(days=29), read_at=NOW)

    assert notifications_purge(now=NOW) == 1

    assert set(Notification.objects.values_list("pk", flat=True)) == {
        unread_old.pk,
        read_recent.pk,
    }
    assert not Notification.objects.filter(pk=read_old.pk).exists()
    assert notifications_purge(now=NOW) == 0


# ---------------------------------------------------------------- Telegram


def linked(user, chat_id):
    TelegramLink.objects.create(user=user, telegram_user_id=chat_id, chat_id=chat_id)
    return user


def alerts_for(user, count, *, created_at=None, **fields):
    return [
        NotificationFactory(
            user=user, created_at=created_at or NOW - timedelta(minutes=5), **fields
        )
        for _ in range(count)
    ]


def test_realtime_alerts_go_out_in_one_message_and_only_once(fake_bot_settings):
    user = linked(subscriber(), 501)
    alerts = alerts_for(user, 3)

    assert notifications_push(now=NOW) == 3

    sent = fake_bot_settings.sent_messages
    assert len(sent) == 1
    assert sent[0]["chat_id"] == 501
    assert all(alert.title in sent[0]["text"] for alert in alerts)
    assert not Notification.objects.filter(pushed_at__isnull=True).exists()
    assert notifications_push(now=NOW + timedelta(minutes=5)) == 0
    assert len(fake_bot_settings.sent_messages) == 1


def test_a_run_sends_at_most_a_batch_and_the_rest_next_time(fake_bot_settings):
    user = linked(subscriber(), 502)
    alerts_for(user, PUSH_BATCH + 2)

    assert notifications_push(now=NOW) == PUSH_BATCH
    assert notifications_push(now=NOW + timedelta(minutes=5)) == 2
    assert len(fake_bot_settings.sent_messages) == 2


def test_long_alerts_are_split_into_messages_within_telegram_limits(fake_bot_settings):
    user = linked(subscriber(), 503)
    acme = CompanyFactory()
    for n in range(PUSH_BATCH):
        item = NewsItemFactory(company=acme, url=f"https://acme.example.com/{'a&b' * 300}/{n}")
        NotificationFactory(
            user=user,
            item=item,
            title=f"{n} <b>&</b> " + "x" * 480,
            body="é & <i>" * 200,
            created_at=NOW - timedelta(minutes=5),
        )

    assert notifications_push(now=NOW) == PUSH_BATCH

    sent = fake_bot_settings.sent_messages
    assert len(sent) > 1
    assert all(telegram_length(message["text"]) <= MESSAGE_LIMIT for message in sent)
    assert "<b>&</b>" not in "".join(message["text"] for message in sent)


def test_read_and_stale_alerts_are_not_pushed(fake_bot_settings):
    user = linked(subscriber(), 504)
    NotificationFactory(user=user, read_at=NOW, created_at=NOW - timedelta(minutes=5))
    NotificationFactory(user=user, created_at=NOW - timedelta(days=2))
    assert notifications_push(now=NOW) == 0
    assert fake_bot_settings.sent_messages == []


@pytest.mark.parametrize(
    "preferences",
    [{"frequency": "never"}, {"notify_enabled": False}],
)
def test_users_who_turned_alerts_off_get_nothing_in_telegram(fake_bot_settings, preferences):
    user = linked(subscriber(**preferences), 505)
    alerts_for(user, 1)
    assert notifications_push(now=NOW) == 0
    assert fake_bot_settings.sent_messages == []


def test_users_without_telegram_get_nothing(fake_bot_settings):
    alerts_for(subscriber(), 1)
    assert notifications_push(now=NOW) == 0
    assert fake_bot_settings.sent_messages == []


def test_a_blocked_bot_harms_no_one_else_and_is_not_retried_at_once(fake_bot_settings):
    blocked = linked(subscriber(), 506)
    other = linked(subscriber(), 507)
    alerts_for(blocked, 2)
    alerts_for(other, 2)
    fake_bot_settings.fail_next("sendMessage", 403, BLOCKED_BY_USER)

    assert notifications_push(now=NOW) == 2

    assert [m["chat_id"] for m in fake_bot_settings.sent_messages] == [507]
    assert Notification.objects.filter(user=blocked, pushed_at__isnull=True).count() == 2
    assert notifications_push(now=NOW + timedelta(minutes=5)) == 0
    assert len(fake_bot_settings.calls_to("sendMessage")) == 2


def test_a_transient_error_leaves_the_alerts_for_the_next_run(fake_bot_settings):
    user = linked(subscriber(), 508)
    alerts_for(user, 2)
    fake_bot_settings.fail_next("sendMessage", 500, "Internal Server Error")

    assert notifications_push(now=NOW) == 0
    assert not Notification.objects.filter(pushed_at__isnull=False).exists()
    assert notifications_push(now=NOW + timedelta(minutes=5)) == 2
    assert len(fake_bot_settings.sent_messages) == 1


def test_flood_control_stops_the_run_for_everyone(fake_bot_settings):
    for chat_id in (509, 510):
        alerts_for(linked(subscriber(), chat_id), 1)
    fake_bot_settings.fail_next("sendMessage", 429, "Too Many Requests: retry after 60", 60)

    assert notifications_push(now=NOW) == 0
    assert len(fake_bot_settings.calls_to("sendMessage")) == 1
    assert notifications_push(now=NOW + timedelta(minutes=5)) == 2


@pytest.mark.django_db(transaction=True)
def test_alerts_being_sent_by_another_run_are_skipped(fake_bot_settings, django_db_blocker):
    user = linked(subscriber(), 511)
    alerts_for(user, 3)
    locked, release = threading.Event(), threading.Event()

    def other_run():
        with django_db_blocker.unblock():
            try:
                with transaction.atomic():
                    list(Notification.objects.select_for_update().filter(user_id=user.pk))
                    locked.set()
                    release.wait(10)
            finally:
                connection.close()

    thread = threading.Thread(target=other_run)
    thread.start()
    try:
        assert locked.wait(10)
        assert notifications_push(now=NOW) == 0
    finally:
        release.set()
        thread.join(10)
    assert notifications_push(now=NOW) == 3
    assert len(fake_bot_settings.sent_messages) == 1


@pytest.mark.parametrize(
    ("frequency", "last_push_ago", "due"),
    [
        ("daily", None, True),
        ("daily", timedelta(hours=23), False),
        ("daily", timedelta(hours=25), True),
        ("weekly", timedelta(days=2), False),
        ("weekly", timedelta(days=7), True),
    ],
)
def test_daily_and_weekly_users_get_one_summary_per_period(
    fake_bot_settings, frequency, last_push_ago, due
):
    user = linked(subscriber(frequency=frequency), 512)
    if last_push_ago is not None:
        NotificationFactory(
            user=user, pushed_at=NOW - last_push_ago, created_at=NOW - timedelta(days=8)
        )
    alerts_for(user, 3, created_at=NOW - timedelta(hours=2))

    assert notifications_push(now=NOW) == (3 if due else 0)
    assert len(fake_bot_settings.sent_messages) == int(due)
    if due:
        assert notifications_push(now=NOW + timedelta(hours=1)) == 0


def test_a_late_summary_still_covers_everything_since_the_last_one(fake_bot_settings):
    user = linked(subscriber(frequency="daily"), 515)
    NotificationFactory(
        user=user, pushed_at=NOW - timedelta(hours=26), created_at=NOW - timedelta(hours=27)
    )
    (just_after,) = alerts_for(user, 1, created_at=NOW - timedelta(hours=25, minutes=30))

    assert notifications_push(now=NOW) == 1
    assert just_after.title in fake_bot_settings.sent_messages[0]["text"]


def test_a_first_summary_leaves_older_alerts_to_the_web(fake_bot_settings):
    user = linked(subscriber(frequency="daily"), 516)
    alerts_for(user, 1, created_at=NOW - timedelta(days=3))
    assert notifications_push(now=NOW) == 0
    assert fake_bot_settings.sent_messages == []


def fail_second_message(fake, description=BLOCKED_BY_USER):
    """Make the fake Bot API refuse the second sendMessage it gets: fail_next only
    reaches the very next call, and this case needs one to succeed first."""
    send = fake._methods["sendMessage"]
    calls = []

    async def send_then_fail(params):
        calls.append(params)
        if len(calls) == 2:
            return 403, description
        return await send(params)

    fake._methods["sendMessage"] = send_then_fail


def test_only_alerts_in_messages_that_went_out_are_marked_sent(fake_bot_settings):
    user = linked(subscriber(), 517)
    for n in range(PUSH_BATCH):
        NotificationFactory(
            user=user,
            title=f"{n} " + "x" * 290,
            body="y" * 400,
            created_at=NOW - timedelta(minutes=PUSH_BATCH - n),
        )
    fail_second_message(fake_bot_settings)

    pushed = notifications_push(now=NOW)

    (first,) = fake_bot_settings.sent_messages
    sent = Notification.objects.filter(pushed_at__isnull=False)
    assert 0 < pushed < PUSH_BATCH
    assert sent.count() == pushed
    assert all(n.title in first["text"] for n in sent)
    assert not any(n.title in first["text"] for n in Notification.objects.filter(pushed_at=None))


def test_a_summary_lists_the_most_important_alerts_and_counts_the_rest(fake_bot_settings):
    user = linked(subscriber(frequency="daily"), 513)
    low = alerts_for(user, 12, priority="low")
    high = alerts_for(user, 1, priority="high", title="The big one")

    assert notifications_push(now=NOW) == 13

    (message,) = fake_bot_settings.sent_messages
    assert high[0].title in message["text"]
    assert "3 more" in message["text"]
    assert sum(alert.title in message["text"] for alert in low) == 9
    assert not Notification.objects.filter(pushed_at__isnull=True).exists()


def test_pushing_does_nothing_when_telegram_is_not_configured(settings):
    settings.TELEGRAM_BOT_TOKEN = ""
    alerts_for(linked(subscriber(), 514), 1)
    assert notifications_push(now=NOW) == 0


# ---------------------------------------------------------------- rendering


def line(n, **fields):
    values = {
        "notification_id": n,
        "title": f"Alert {n}",
        "body": "Body",
        "priority": "high",
        "type_label": "Pricing change",
        "url": f"https://example.com/{n}?a=1&b=2",
        "link_label": "Read",
    }
    return AlertLine(**(values | fields))


def test_rendering_escapes_text_and_links():
    (message,) = render_alert_messages(
        heading="<b>Alerts</b>", alerts=[line(1, title="<script>x</script> & co")]
    )
    assert "&lt;script&gt;x&lt;/script&gt; &amp; co" in message.text
    assert 'href="https://example.com/1?a=1&amp;b=2"' in message.text
    assert message.notification_ids == (1,)


def test_rendering_splits_between_alerts_and_keeps_every_id_once():
    alerts = [
        line(n, title="t" * 300, body="b" * 400, url="https://e.com/" + "&" * 400)
        for n in range(30)
    ]
    messages = render_alert_messages(heading="<b>Alerts</b>", alerts=alerts, footer="<i>end</i>")

    assert len(messages) > 1
    assert all(telegram_length(m.text) <= MESSAGE_LIMIT for m in messages)
    assert [i for m in messages for i in m.notification_ids] == list(range(30))
    assert messages[-1].text.endswith("<i>end</i>")


def test_an_alert_too_long_for_a_message_is_cut_down():
    (message,) = render_alert_messages(
        heading="", alerts=[line(1, url="https://e.com/" + "&" * 5000)]
    )
    assert telegram_length(message.text) <= MESSAGE_LIMIT
    assert "Alert 1" in message.text
