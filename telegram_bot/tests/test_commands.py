"""The account commands and their buttons, driven end to end: updates go out through
getUpdates on the fake Bot API and the real aiogram client answers through
sendMessage, editMessageText and answerCallbackQuery."""

from __future__ import annotations

import asyncio
import datetime
import itertools
import logging
import re
import threading
import time
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.utils import timezone, translation

from accounts.models import Preferences
from accounts.services import preferences_ensure
from accounts.tests.factories import UserFactory
from competitors.models import Company
from competitors.tests.factories import CompanyFactory
from digests.content import DigestContent
from digests.models import Delivery, Digest
from digests.rendering.telegram import telegram_length, telegram_messages
from digests.services import preferences_reschedule
from news.models import NewsItem
from news.tests.factories import NewsItemFactory
from telegram_bot.bot import command_texts as texts
from telegram_bot.bot import texts as basic_texts
from telegram_bot.bot.command_services import COMPANIES_PER_PAGE, Setting
from telegram_bot.bot.factory import build_bot, build_dispatcher
from telegram_bot.bot.keyboards import digest_quick_keyboard
from telegram_bot.models import TelegramLink
from telegram_bot.tests.fake_bot_api import Call, FakeBotAPI

# The bot's threads use their own database connections, so the data a test makes
# must be committed to be seen.
pytestmark = pytest.mark.django_db(transaction=True)

CONNECT_URL = settings.SITE_URL + "/settings/#telegram"
_callback_ids = itertools.count(1)


class BotSession:
    """The dispatcher polling the fake Bot API in a thread of its own for one test.

    Updates are handled one at a time (handle_as_tasks=False), so the next getUpdates
    carrying a higher offset proves the bot has finished with an update: push()
    returns exactly what the bot did about it.
    """

    def __init__(self, fake: FakeBotAPI) -> None:
        self.fake = fake
        self.errors: list[logging.LogRecord] = []
        self._errors_handler = _Collect(self.errors)
        logging.getLogger("aiogram.event").addHandler(self._errors_handler)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._dispatcher = build_dispatcher()
        bot = build_bot(token=fake.token, api_base=fake.base_url)
        self._polling = asyncio.run_coroutine_threadsafe(
            self._dispatcher.start_polling(
                bot, handle_signals=False, polling_timeout=1, handle_as_tasks=False
            ),
            self._loop,
        )

    def push(self, update: dict[str, Any], timeout: float = 20.0) -> list[Call]:
        start = len(self.fake.calls)
        update = self.fake.push_update(update)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            calls = self.fake.calls[start:]
            if any(
                call.method == "getUpdates"
                and int(call.params.get("offset", 0)) > update["update_id"]
                for call in calls
            ):
                return [call for call in calls if call.method != "getUpdates"]
            if self._polling.done():
                self._polling.result()
            time.sleep(0.02)
        raise AssertionError(f"update {update['update_id']} was not handled in {timeout}s")

    def say(self, text: str, *, user_id: int, language_code: str | None = "en") -> list[Call]:
        return self.push(
            FakeBotAPI.message_update(text, chat_id=user_id, language_code=language_code)
        )

    def press(
        self,
        data: str,
        *,
        user_id: int,
        message_id: int,
        language_code: str | None = "en",
        accessible: bool = True,
    ) -> list[Call]:
        sender: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": "Ada"}
        if language_code:
            sender["language_code"] = language_code
        query_id = str(next(_callback_ids))
        message: dict[str, Any] = {
            "message_id": message_id,
            "chat": {"id": user_id, "type": "private", "first_name": "Ada"},
            # Telegram sends only these, with date 0, for a message the bot can no
            # longer reach (older than 48 hours, or deleted).
            "date": 0,
        }
        if accessible:
            message.update(date=int(time.time()), text="…", **{"from": self.fake.bot_user})
        calls = self.push(
            {
                "callback_query": {
                    "id": query_id,
                    "from": sender,
                    "chat_instance": "4242",
                    "data": data,
                    "message": message,
                }
            }
        )
        answers = [c for c in calls if c.method == "answerCallbackQuery"]
        assert [a.params["callback_query_id"] for a in answers] == [query_id], calls
        return calls

    def last_message_id(self) -> int:
        # The fake numbers the messages it accepts 1, 2, 3 …
        return len(self.fake.sent_messages)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._dispatcher.stop_polling(), self._loop).result(10)
        self._polling.result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()
        logging.getLogger("aiogram.event").removeHandler(self._errors_handler)


class _Collect(logging.Handler):
    def __init__(self, records: list[logging.LogRecord]) -> None:
        super().__init__(level=logging.ERROR)
        self.records = records

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def bot(fake_bot_settings):
    # Every HTML reply must be one Telegram would parse.
    fake_bot_settings.check_html = True
    session = BotSession(fake_bot_settings)
    yield session
    session.stop()
    # A handler that raised is logged by aiogram and answered with nothing.
    assert [record.getMessage() for record in session.errors] == []


# ---------------------------------------------------------------- helpers

_telegram_ids = itertools.count(5000)


def linked_user(*, language="", zone="UTC", **preferences):
    user = UserFactory(language=language, timezone=zone)
    row = preferences_ensure(user=user)
    for name, value in preferences.items():
        setattr(row, name, value)
    row.save()
    preferences_reschedule(preferences=row, timezone_name=zone, now=timezone.now())
    telegram_id = next(_telegram_ids)
    TelegramLink.objects.create(user=user, telegram_user_id=telegram_id, chat_id=telegram_id)
    user.telegram_id = telegram_id
    return user


def sent(calls: list[Call]) -> list[dict[str, Any]]:
    return [call.params for call in calls if call.method == "sendMessage"]


def edits(calls: list[Call]) -> list[dict[str, Any]]:
    return [call.params for call in calls if call.method == "editMessageText"]


def answer(calls: list[Call]) -> dict[str, Any]:
    [params] = [call.params for call in calls if call.method == "answerCallbackQuery"]
    return params


def buttons(params: dict[str, Any]) -> list[tuple[str, str]]:
    markup = params.get("reply_markup") or {"inline_keyboard": []}
    return [
        (button["text"], button.get("callback_data", ""))
        for row in markup["inline_keyboard"]
        for button in row
    ]


def button_data(params: dict[str, Any], label_part: str) -> str:
    [data] = [data for text, data in buttons(params) if label_part in text]
    return data


def rendered(language, render, *args, **kwargs):
    with translation.override(language):
        return render(*args, **kwargs)


def item_seen(*, hours_ago=None, **fields):
    item = NewsItemFactory(**fields)
    now = timezone.now()
    if hours_ago is None:
        # Inside today (UTC, the linked users' zone) at any hour: "today's" digest
        # starts at midnight, so an hour ago is yesterday just after it.
        since_midnight = now - now.replace(hour=0, minute=0, second=0, microsecond=0)
        moment = now - min(datetime.timedelta(hours=1), since_midnight / 2)
    else:
        moment = now - datetime.timedelta(hours=hours_ago)
    NewsItem.objects.filter(pk=item.pk).update(fetched_at=moment, published_at=moment)
    return item


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)


def tags_of(html: str) -> set[str]:
    parser = _Tags()
    parser.feed(html)
    return set(parser.tags)


TELEGRAM_TAGS = {"b", "i", "a"}


# ---------------------------------------------------------------- not linked

ACCOUNT_COMMANDS = [
    "/digest",
    "/daily",
    "/weekly",
    "/latest",
    "/companies",
    "/subscribe OpenAI",
    "/unsubscribe OpenAI",
    "/settings",
]


def test_every_command_tells_a_stranger_how_to_connect(bot):
    for chat_id, command in enumerate(ACCOUNT_COMMANDS, start=900):
        [reply] = sent(bot.say(command, user_id=chat_id))

        assert reply["chat_id"] == chat_id
        assert reply["parse_mode"] == "HTML"
        assert reply["text"] == rendered("en", texts.connect_text, site_url=settings.SITE_URL)
        assert f'<a href="{CONNECT_URL}">' in reply["text"]


def test_a_stranger_is_answered_in_the_language_of_their_telegram_client(bot):
    [reply] = sent(bot.say("/latest", user_id=901, language_code="ru"))

    assert reply["text"] == rendered("ru", texts.connect_text, site_url=settings.SITE_URL)


def test_a_button_pressed_by_a_stranger_brings_the_connect_link(bot):
    calls = bot.press("dmenu:daily", user_id=902, message_id=1)

    assert answer(calls).get("show_alert") is not True
    [reply] = sent(calls)
    assert reply["chat_id"] == 902
    assert CONNECT_URL in reply["text"]
    assert not Digest.objects.exists()


def test_start_help_and_a_start_link_token_are_left_to_the_other_handlers(bot):
    user = linked_user()
    connect = rendered("en", texts.connect_text, site_url=settings.SITE_URL)

    [welcome] = sent(bot.say("/start", user_id=user.telegram_id))
    [token] = sent(bot.say("/start abcDEF123_token", user_id=903))
    [helped] = sent(bot.say("/help", user_id=904))

    assert welcome["text"].startswith(rendered("en", basic_texts.welcome_text))
    assert token["text"] != connect
    assert not token["text"].startswith(rendered("en", basic_texts.welcome_text))
    assert helped["text"] == rendered("en", basic_texts.help_text)


def test_commands_in_a_group_are_not_answered(bot):
    user = linked_user()
    update = FakeBotAPI.message_update("/digest", chat_id=-100500, user_id=user.telegram_id)
    update["message"]["chat"] = {"id": -100500, "type": "group", "title": "Team"}

    assert sent(bot.push(update)) == []


# ---------------------------------------------------------------- /digest, /daily, /weekly


def test_digest_opens_the_menu(bot):
    user = linked_user()

    [menu] = sent(bot.say("/digest", user_id=user.telegram_id))

    assert menu["text"] == rendered("en", texts.digest_menu_text)
    assert menu["reply_markup"] == digest_quick_keyboard("en").model_dump(exclude_none=True)
    assert [data for _, data in buttons(menu)] == [
        "dmenu:daily",
        "dmenu:weekly",
        "dmenu:latest",
        "dmenu:settings",
    ]


def _digest_sent_for(user, kind: str) -> tuple[Digest, list[str]]:
    digest = Digest.objects.get(user=user, kind=Digest.Kind.ON_DEMAND, frequency=kind)
    content = DigestContent.from_json(digest.content)
    return digest, telegram_messages(digest=digest, content=content, site_url=settings.SITE_URL)


def test_daily_answers_with_the_digest_when_telegram_is_not_a_digest_channel(bot):
    user = linked_user(digest_channels=["email"], digest_mode="all")
    first = item_seen(title="Acme ships a model", priority_score=0.9)
    item_seen(hours_ago=24 * 9, title="Old news")

    replies = sent(bot.say("/daily", user_id=user.telegram_id))

    digest, expected = _digest_sent_for(user, "daily")
    assert [reply["text"] for reply in replies] == expected
    assert first.title in replies[0]["text"]
    assert "Old news" not in "".join(reply["text"] for reply in replies)
    assert replies[-1]["reply_markup"] == digest_quick_keyboard("en").model_dump(exclude_none=True)
    assert all(reply["chat_id"] == user.telegram_id for reply in replies)
    assert set(digest.deliveries.values_list("channel", flat=True)) == {"email"}


def test_daily_is_delivered_once_when_telegram_is_a_digest_channel(bot):
    user = linked_user(digest_channels=["telegram"], digest_mode="all")
    item_seen(title="Acme ships a model", priority_score=0.9)

    replies = sent(bot.say("/daily", user_id=user.telegram_id))

    digest, expected = _digest_sent_for(user, "daily")
    # The delivery sent the digest; the command added nothing of its own.
    assert [reply["text"] for reply in replies] == expected
    delivery = digest.deliveries.get()
    assert delivery.channel == Delivery.Channel.TELEGRAM
    assert delivery.status == Delivery.Status.SENT


def test_weekly_follows_the_users_mode(bot):
    ours = CompanyFactory(name="Ours Inc")
    theirs = CompanyFactory(name="Theirs Inc")
    user = linked_user(digest_channels=[], digest_mode="tracked")
    user.preferences.tracked_companies.add(ours)
    item_seen(title="Ours ships", company=ours)
    item_seen(title="Theirs ships", company=theirs)

    replies = sent(bot.say("/weekly", user_id=user.telegram_id))

    text = "".join(reply["text"] for reply in replies)
    assert "Ours ships" in text
    assert "Theirs ships" not in text
    assert Digest.objects.get(user=user).frequency == "weekly"


def test_an_empty_digest_is_answered_with_nothing_new(bot):
    user = linked_user(digest_channels=["telegram"])

    [reply] = sent(bot.say("/daily", user_id=user.telegram_id))
    [weekly] = sent(bot.say("/weekly", user_id=user.telegram_id))

    assert reply["text"] == rendered("en", texts.digest_empty_text, "daily")
    assert weekly["text"] == rendered("en", texts.digest_empty_text, "weekly")
    assert not Delivery.objects.exists()


def _next_second() -> None:
    time.sleep(1 - time.time() % 1 + 0.01)


def test_the_menu_buttons_send_the_digests_and_open_settings(bot):
    user = linked_user(digest_channels=[], digest_mode="all")
    item_seen(title="Menu item", priority_score=0.5)
    bot.say("/digest", user_id=user.telegram_id)
    menu_id = bot.last_message_id()

    daily = bot.press("dmenu:daily", user_id=user.telegram_id, message_id=menu_id)
    # On-demand digests are unique per user and second, whatever their frequency.
    _next_second()
    weekly = bot.press("dmenu:weekly", user_id=user.telegram_id, message_id=menu_id)
    latest = bot.press("dmenu:latest", user_id=user.telegram_id, message_id=menu_id)
    settings_calls = bot.press("dmenu:settings", user_id=user.telegram_id, message_id=menu_id)

    assert "Menu item" in sent(daily)[0]["text"]
    assert "Menu item" in sent(weekly)[0]["text"]
    assert "weekly" in sent(weekly)[0]["text"]
    assert "Menu item" in sent(latest)[0]["text"]
    [settings_message] = sent(settings_calls)
    assert settings_message["text"].startswith("<b>⚙️ Digest settings</b>")
    # The menu may sit under a digest: it is never edited away.
    assert edits(daily + weekly + latest + settings_calls) == []
    assert set(Digest.objects.values_list("frequency", flat=True)) == {"daily", "weekly"}


# ---------------------------------------------------------------- /latest


def test_latest_shows_the_ten_best_items_of_the_last_day(bot):
    user = linked_user(digest_mode="all")
    for rank in range(12):
        item_seen(title=f"Item score {rank:02d}", priority_score=rank / 20, hours_ago=3)
    item_seen(title="Too old", priority_score=1.0, hours_ago=30)

    [reply] = sent(bot.say("/latest", user_id=user.telegram_id))

    text = reply["text"]
    shown = [f"Item score {rank:02d}" for rank in range(12) if f"Item score {rank:02d}" in text]
    assert shown == [f"Item score {rank:02d}" for rank in range(2, 12)]
    assert text.index("Item score 11") < text.index("Item score 02")
    assert "Too old" not in text
    assert reply["reply_markup"] == digest_quick_keyboard("en").model_dump(exclude_none=True)


def test_latest_in_tracked_mode_shows_only_followed_companies(bot):
    ours = CompanyFactory(name="Followed Co")
    user = linked_user(digest_mode="tracked")
    user.preferences.tracked_companies.add(ours)
    item_seen(title="Followed news", company=ours)
    item_seen(title="Other news", company=CompanyFactory(name="Other Co"))

    [reply] = sent(bot.say("/latest", user_id=user.telegram_id))

    assert "Followed news" in reply["text"]
    assert "Other news" not in reply["text"]
    assert "From your companies and topics" in reply["text"]


def test_latest_escapes_hostile_titles_and_fits_one_message(bot):
    user = linked_user(digest_mode="all", digest_format="detailed")
    hostile = CompanyFactory(name="<b>Evil & Co</b>")
    for number in range(10):
        item_seen(
            company=hostile,
            title=f'<script>alert("{number}")</script> & <a href="javascript:x">' + "x" * 400,
            summary="<i>unclosed " + "long summary words " * 40,
            url=f"https://example.com/{number}?q=<b>&x=\"'",
            priority_score=0.9,
        )
    item_seen(title="Link trap", url="javascript:alert(1)", priority_score=0.95)

    [reply] = sent(bot.say("/latest", user_id=user.telegram_id))

    text = reply["text"]
    assert telegram_length(text) <= 4096
    assert reply["parse_mode"] == "HTML"
    assert tags_of(text) <= TELEGRAM_TAGS
    assert "<script>" not in text
    assert "&lt;script&gt;" in text
    assert "&lt;b&gt;Evil &amp; Co&lt;/b&gt;" in text
    assert "javascript:" not in text.replace("&lt;a href=&quot;javascript:x&quot;&gt;", "")
    # Items are cut off whole when the message is full.
    assert 1 < text.count("&lt;script&gt;") < 10
    assert re.search(r'href="https://example\.com/\d\?q=&lt;b&gt;&amp;x=&quot;&#x27;"', text)
    assert "1. ❗ Link trap\n" in text


def test_latest_with_nothing_new_says_so(bot):
    user = linked_user()

    [reply] = sent(bot.say("/latest", user_id=user.telegram_id))

    assert "Nothing new in the last 24 hours." in reply["text"]


# ---------------------------------------------------------------- /companies


def test_companies_are_paged_and_the_page_is_edited_in_place(bot):
    names = [f"Company {letter}" for letter in "ABCDEFGHIJ"]
    for name in names:
        CompanyFactory(name=name)
    CompanyFactory(name="Company Z (inactive)", active=False)
    user = linked_user()

    [first] = sent(bot.say("/companies", user_id=user.telegram_id))
    list_id = bot.last_message_id()
    forward = bot.press(button_data(first, "▶"), user_id=user.telegram_id, message_id=list_id)
    [second] = edits(forward)
    back = bot.press(button_data(second, "◀"), user_id=user.telegram_id, message_id=list_id)
    [again] = edits(back)

    assert COMPANIES_PER_PAGE == 8
    assert "page 1 of 2" in first["text"]
    assert [text for text, _ in buttons(first)] == [f"☆ {name} · follow" for name in names[:8]] + [
        "▶"
    ]
    assert second["message_id"] == list_id
    assert "page 2 of 2" in second["text"]
    assert [text for text, _ in buttons(second)] == [f"☆ {name} · follow" for name in names[8:]] + [
        "◀"
    ]
    assert again["text"] == first["text"]
    assert buttons(again) == buttons(first)


def test_a_page_past_the_end_shows_the_last_page(bot):
    CompanyFactory(name="Only One")
    user = linked_user()
    bot.say("/companies", user_id=user.telegram_id)

    calls = bot.press("cpage:7", user_id=user.telegram_id, message_id=bot.last_message_id())

    # Page 1 of 1 again: the message is unchanged, which is not an error.
    assert edits(calls)[0]["text"].count("page 1 of 1") == 1
    assert sent(calls) == []


def test_follow_buttons_change_the_tracked_companies_and_redraw(bot):
    company = CompanyFactory(name="Anthropic")
    user = linked_user()
    [listing] = sent(bot.say("/companies", user_id=user.telegram_id))
    list_id = bot.last_message_id()

    followed = bot.press(
        button_data(listing, "Anthropic"), user_id=user.telegram_id, message_id=list_id
    )
    [redrawn] = edits(followed)
    unfollowed = bot.press(
        button_data(redrawn, "Anthropic"), user_id=user.telegram_id, message_id=list_id
    )

    assert answer(followed)["text"] == (
        "You now follow Anthropic: its news goes into your digests and alerts."
    )
    assert "You follow 1 company." in redrawn["text"]
    assert buttons(redrawn) == [("✅ Anthropic · unfollow", f"cfollow:{company.pk}:0:0")]
    assert answer(unfollowed)["text"] == "You no longer follow Anthropic."
    assert "You follow 0 companies." in edits(unfollowed)[0]["text"]
    assert not Preferences.objects.get(user=user).tracked_companies.exists()


def test_a_follow_button_under_an_unreachable_message_sends_a_new_list(bot):
    CompanyFactory(name="Mistral AI")
    user = linked_user()
    [listing] = sent(bot.say("/companies", user_id=user.telegram_id))

    calls = bot.press(
        button_data(listing, "Mistral"),
        user_id=user.telegram_id,
        message_id=bot.last_message_id(),
        accessible=False,
    )

    assert edits(calls) == []
    [fresh] = sent(calls)
    assert "✅ Mistral AI · unfollow" in [text for text, _ in buttons(fresh)]


# ---------------------------------------------------------------- /subscribe, /unsubscribe


def tracked_names(user) -> list[str]:
    return sorted(
        Preferences.objects.get(user=user).tracked_companies.values_list("name", flat=True)
    )


@pytest.mark.parametrize(
    "query", ["OpenAI", "openai", "  OPEN   ai ", "open-ai", "chatgpt", "openai-slug", "Open"]
)
def test_subscribe_follows_a_clear_match(bot, query):
    CompanyFactory(name="OpenAI", slug="openai-slug", aliases=["ChatGPT"])
    CompanyFactory(name="Anthropic")
    user = linked_user()

    [reply] = sent(bot.say(f"/subscribe {query}", user_id=user.telegram_id))

    assert reply["text"] == "You now follow OpenAI: its news goes into your digests and alerts."
    assert tracked_names(user) == ["OpenAI"]
    [again] = sent(bot.say(f"/subscribe {query}", user_id=user.telegram_id))
    assert again["text"] == "You already follow OpenAI."


def test_subscribe_with_a_typo_suggests_and_the_suggestion_follows(bot):
    anthropic = CompanyFactory(name="Anthropic")
    CompanyFactory(name="Cohere")
    user = linked_user()

    [reply] = sent(bot.say("/subscribe Antropik", user_id=user.telegram_id))
    calls = bot.press(
        f"cpick:{anthropic.pk}:1", user_id=user.telegram_id, message_id=bot.last_message_id()
    )

    assert reply["text"] == "No company is called “Antropik”. Did you mean one of these?"
    assert buttons(reply) == [("⭐ Follow Anthropic", f"cpick:{anthropic.pk}:1")]
    assert tracked_names(user) == ["Anthropic"]
    [done] = edits(calls)
    assert done["text"] == "You now follow Anthropic: its news goes into your digests and alerts."
    assert buttons(done) == []


def test_an_ambiguous_name_offers_up_to_five_choices(bot):
    for number in range(7):
        CompanyFactory(name=f"Mistral {number}")
    user = linked_user()

    [reply] = sent(bot.say("/subscribe mistral", user_id=user.telegram_id))

    assert len(buttons(reply)) == 5
    assert all(text.startswith("⭐ Follow Mistral ") for text, _ in buttons(reply))
    assert tracked_names(user) == []


def test_subscribe_without_a_match_or_a_name_explains(bot):
    CompanyFactory(name="Anthropic")
    user = linked_user()

    [nothing] = sent(bot.say("/subscribe <b>Zzyzx</b>", user_id=user.telegram_id))
    [usage] = sent(bot.say("/subscribe", user_id=user.telegram_id))
    [unusage] = sent(bot.say("/unsubscribe   ", user_id=user.telegram_id))

    assert nothing["text"] == (
        "No company matches “&lt;b&gt;Zzyzx&lt;/b&gt;”.\n/companies lists every company."
    )
    assert usage["text"] == rendered("en", texts.subscribe_usage_text)
    assert unusage["text"] == rendered("en", texts.unsubscribe_usage_text)
    assert tracked_names(user) == []


def test_unsubscribe_looks_among_the_followed_companies(bot):
    openai = CompanyFactory(name="OpenAI")
    retired = CompanyFactory(name="Retired Labs", active=False)
    CompanyFactory(name="Anthropic")
    user = linked_user()

    [none_yet] = sent(bot.say("/unsubscribe OpenAI", user_id=user.telegram_id))
    user.preferences.tracked_companies.add(openai, retired)
    [typo] = sent(bot.say("/unsubscribe OpenIA", user_id=user.telegram_id))
    [stranger] = sent(bot.say("/unsubscribe Anthropic", user_id=user.telegram_id))
    [done] = sent(bot.say("/unsubscribe retired labs", user_id=user.telegram_id))
    picked = bot.press(
        button_data(typo, "OpenAI"), user_id=user.telegram_id, message_id=bot.last_message_id() - 2
    )

    assert none_yet["text"] == rendered("en", texts.nothing_to_unfollow_text)
    assert buttons(typo) == [("✖ Unfollow OpenAI", f"cpick:{openai.pk}:0")]
    assert stranger["text"].startswith("No company")
    assert done["text"] == "You no longer follow Retired Labs."
    assert edits(picked)[0]["text"] == "You no longer follow OpenAI."
    assert tracked_names(user) == []


# ---------------------------------------------------------------- /settings


def test_settings_show_the_current_values(bot):
    user = linked_user(
        zone="Europe/Berlin",
        digest_mode="all",
        digest_frequency="weekly",
        digest_format="short",
        digest_time=datetime.time(7, 30),
        digest_channels=["email"],
    )

    [reply] = sent(bot.say("/settings", user_id=user.telegram_id))

    text = reply["text"]
    assert "Digest covers: <b>All news</b>" in text
    assert "How often: <b>Weekly</b>" in text
    assert "Format: <b>Short: headlines only</b>" in text
    assert "Delivery time: <b>07:30</b>" in text
    assert "Time zone: <b>Europe/Berlin</b>" in text
    assert "Next digest: " in text
    assert "Digests come here only when Telegram is among their channels." in text
    assert [data for _, data in buttons(reply)] == [f"sopen:{s.value}" for s in Setting]


def _open(bot, user, setting: Setting) -> dict[str, Any]:
    bot.say("/settings", user_id=user.telegram_id)
    calls = bot.press(
        f"sopen:{setting.value}", user_id=user.telegram_id, message_id=bot.last_message_id()
    )
    [screen] = edits(calls)
    return screen


def test_changing_the_delivery_time_recomputes_the_next_digest(bot):
    user = linked_user(zone="Asia/Tokyo", digest_time=datetime.time(8, 0))
    before = Preferences.objects.get(user=user).next_digest_at

    screen = _open(bot, user, Setting.TIME)
    calls = bot.press(
        button_data(screen, "18:00"), user_id=user.telegram_id, message_id=bot.last_message_id()
    )

    row = Preferences.objects.get(user=user)
    assert row.digest_time == datetime.time(18, 0)
    assert row.next_digest_at != before
    local = row.next_digest_at.astimezone(ZoneInfo("Asia/Tokyo"))
    assert (local.hour, local.minute) == (18, 0)
    assert row.next_digest_at > timezone.now()
    assert answer(calls)["text"] == "Saved."
    [redrawn] = edits(calls)
    assert "✅ 18:00" in [text for text, _ in buttons(redrawn)]
    assert "✅ 08:00" in [text for text, _ in buttons(screen)]
    assert "08:00" in [text for text, _ in buttons(redrawn)]
    assert "Now: <b>18:00</b>" in redrawn["text"]
    assert "Times are in Asia/Tokyo." in redrawn["text"]


def test_changing_the_time_zone_moves_the_next_digest(bot):
    user = linked_user(zone="UTC", digest_time=datetime.time(9, 0))

    screen = _open(bot, user, Setting.TIMEZONE)
    bot.press(
        button_data(screen, "America/New York"),
        user_id=user.telegram_id,
        message_id=bot.last_message_id(),
    )

    user.refresh_from_db()
    row = Preferences.objects.get(user=user)
    assert user.timezone == "America/New_York"
    local = row.next_digest_at.astimezone(ZoneInfo("America/New_York"))
    assert (local.hour, local.minute) == (9, 0)


@pytest.mark.parametrize(
    ("setting", "label", "field", "value"),
    [
        (Setting.MODE, "All news", "digest_mode", "all"),
        (Setting.FREQUENCY, "Weekly", "digest_frequency", "weekly"),
        (Setting.FORMAT, "Short: headlines only", "digest_format", "short"),
    ],
)
def test_mode_frequency_and_format_are_saved(bot, setting, label, field, value):
    user = linked_user(digest_mode="tracked", digest_frequency="daily", digest_format="detailed")

    screen = _open(bot, user, setting)
    calls = bot.press(
        button_data(screen, label), user_id=user.telegram_id, message_id=bot.last_message_id()
    )

    row = Preferences.objects.get(user=user)
    assert getattr(row, field) == value
    assert f"✅ {label}" in [text for text, _ in buttons(edits(calls)[0])]
    assert row.next_digest_at is not None


def test_weekly_frequency_moves_the_next_digest_to_the_week_start(bot):
    user = linked_user(digest_frequency="daily", week_start="monday")

    screen = _open(bot, user, Setting.FREQUENCY)
    bot.press(
        button_data(screen, "Weekly"), user_id=user.telegram_id, message_id=bot.last_message_id()
    )

    assert Preferences.objects.get(user=user).next_digest_at.isoweekday() == 1


def test_custom_frequency_is_left_to_the_website(bot):
    user = linked_user(digest_frequency="custom", digest_days=[2, 4])

    screen = _open(bot, user, Setting.FREQUENCY)

    assert "Now: <b>On chosen days</b>" in screen["text"]
    assert "Digests on chosen days are set on the website." in screen["text"]
    assert [text for text, _ in buttons(screen)] == ["Daily", "Weekly", "« Back"]


def test_choosing_the_current_value_again_is_harmless(bot):
    user = linked_user(digest_format="short")

    screen = _open(bot, user, Setting.FORMAT)
    calls = bot.press(
        button_data(screen, "Short"), user_id=user.telegram_id, message_id=bot.last_message_id()
    )

    assert answer(calls)["text"] == "Saved."
    assert Preferences.objects.get(user=user).digest_format == "short"


def test_back_returns_to_the_settings_overview(bot):
    user = linked_user()

    screen = _open(bot, user, Setting.MODE)
    calls = bot.press(
        button_data(screen, "Back"), user_id=user.telegram_id, message_id=bot.last_message_id()
    )

    [overview] = edits(calls)
    assert overview["text"].startswith("<b>⚙️ Digest settings</b>")


# ---------------------------------------------------------------- stale and forged buttons


@pytest.mark.parametrize(
    "data",
    [
        "dmenu:monthly",
        "dmenu",
        "cpage:two",
        "cfollow:abc:1:0",
        "cfollow:1:1",
        "cpick::1",
        "sopen:colour",
        "sset:time:99",
        "sset:time:7:30",
        "sset:timezone:Mars/Olympus_Mons",
        "sset:frequency:custom",
        "sset:mode:everything",
    ],
)
def test_stale_or_forged_buttons_get_a_polite_alert(bot, data):
    user = linked_user()
    before = Preferences.objects.get(user=user).updated_at

    calls = bot.press(data, user_id=user.telegram_id, message_id=1)

    assert answer(calls) == {
        "callback_query_id": answer(calls)["callback_query_id"],
        "text": "This button is out of date. Send the command again.",
        "show_alert": True,
    }
    assert Preferences.objects.get(user=user).updated_at == before


def test_a_button_for_a_company_that_is_gone_gets_an_alert(bot):
    retired = CompanyFactory(name="Retired", active=False)
    user = linked_user()
    missing = Company.objects.order_by("-pk").first().pk + 100

    gone = bot.press(f"cfollow:{missing}:1:0", user_id=user.telegram_id, message_id=1)
    inactive = bot.press(f"cpick:{retired.pk}:1", user_id=user.telegram_id, message_id=1)

    for calls in (gone, inactive):
        assert answer(calls)["text"] == "That company is no longer available."
        assert answer(calls)["show_alert"] is True
    assert tracked_names(user) == []


# ---------------------------------------------------------------- languages


def test_a_russian_account_is_answered_in_russian(bot):
    user = linked_user(language="ru", digest_mode="all")

    # The account's language wins over the Telegram client's.
    [menu] = sent(bot.say("/digest", user_id=user.telegram_id, language_code="en"))
    [overview] = sent(bot.say("/settings", user_id=user.telegram_id, language_code="en"))

    assert menu["text"] == rendered("ru", texts.digest_menu_text)
    assert menu["reply_markup"] == digest_quick_keyboard("ru").model_dump(exclude_none=True)
    with translation.override("ru"):
        all_news = str(Preferences.Scope.ALL.label)
    assert all_news != "All news"
    assert all_news in overview["text"]


def test_an_account_without_a_language_follows_the_telegram_client(bot):
    user = linked_user(language="")

    [menu] = sent(bot.say("/digest", user_id=user.telegram_id, language_code="ru"))

    assert menu["reply_markup"] == digest_quick_keyboard("ru").model_dump(exclude_none=True)


def _all_texts(language: str) -> list[str]:
    from telegram_bot.bot.command_services import CompanyChoice

    choice = CompanyChoice(id=1, name="X", followed=False)
    with translation.override(language):
        return [
            texts.connect_text(site_url="http://x"),
            texts.stale_button_text(),
            texts.saved_text(),
            texts.digest_menu_text(),
            texts.daily_button(),
            texts.weekly_button(),
            texts.latest_button(),
            texts.settings_button(),
            texts.digest_empty_text("daily"),
            texts.digest_empty_text("weekly"),
            texts.company_button(choice),
            texts.subscribe_usage_text(),
            texts.unsubscribe_usage_text(),
            texts.follow_done_text(name="X", following=True, changed=True),
            texts.follow_done_text(name="X", following=True, changed=False),
            texts.follow_done_text(name="X", following=False, changed=True),
            texts.follow_done_text(name="X", following=False, changed=False),
            texts.company_gone_text(),
            texts.suggestions_text(query="q"),
            texts.no_match_text(query="q"),
            texts.nothing_to_unfollow_text(),
            texts.suggestion_button(choice, following=True),
            texts.suggestion_button(choice, following=False),
            texts.back_button(),
            *(texts.setting_name(setting) for setting in Setting),
        ]


def test_every_command_string_is_translated_to_russian():
    for english, russian in zip(_all_texts("en"), _all_texts("ru"), strict=True):
        assert english != russian, f"untranslated: {english!r}"
