"""Linking a Telegram chat to an account: the token, /start <token> and /stop in the bot,
and the Telegram section of the settings page."""

import hashlib
import re
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import DigestChannel
from accounts.services import preferences_ensure
from accounts.tests.factories import UserFactory
from telegram_bot import services
from telegram_bot.models import LinkToken, TelegramLink
from telegram_bot.services import LinkOutcome
from telegram_bot.tests.fake_bot_api import FakeBotAPI
from telegram_bot.tests.feeding import feed, reply_to

pytestmark = pytest.mark.django_db

LINKED = "Done! This chat is now connected to your account."
EXPIRED = "This link has expired"
USED = "This link has already been used"
UNKNOWN = "This link is not valid"
PREFIXES = (LINKED, USED, EXPIRED, UNKNOWN)
DEEP_LINK = re.compile(r"https://t\.me/insight_hub_test_bot\?start=([A-Za-z0-9_-]+)")


def issue(user, *, minutes_ago: float = 0) -> str:
    now = timezone.now() - timedelta(minutes=minutes_ago)
    return services.link_token_create(user=user, now=now).token


# ---------------------------------------------------------------- the token


def test_a_token_is_random_url_safe_fits_a_start_parameter_and_is_stored_hashed(user):
    now = timezone.now()
    issued = services.link_token_create(user=user, now=now)
    other = services.link_token_create(user=user, now=now)

    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", issued.token)  # 24 random bytes: 192 bits
    assert issued.token != other.token
    assert issued.expires_at == now + timedelta(minutes=10)
    stored = LinkToken.objects.get(token_hash=hashlib.sha256(issued.token.encode()).hexdigest())
    assert stored.user == user
    assert stored.used_at is None
    assert not LinkToken.objects.filter(token_hash=issued.token).exists()


def test_a_new_token_retires_the_users_earlier_ones(fake_bot_settings, user):
    earlier = issue(user)
    latest = issue(user)

    assert EXPIRED in reply_to(fake_bot_settings, f"/start {earlier}")
    assert LINKED in reply_to(fake_bot_settings, f"/start {latest}")


# ---------------------------------------------------------------- /start <token>


def test_a_valid_token_links_the_sender_and_chat_from_the_update(fake_bot_settings, user):
    token = issue(user)
    update = FakeBotAPI.message_update(f"/start {token}", chat_id=5150, first_name="Ada")
    update["message"]["from"]["username"] = "ada_l"

    [reply] = feed(fake_bot_settings, update)

    assert reply["chat_id"] == 5150
    assert reply["text"].startswith(LINKED)
    assert "/stop" in reply["text"]
    link = TelegramLink.objects.get(user=user)
    assert (link.telegram_user_id, link.chat_id, link.username) == (5150, 5150, "ada_l")
    assert link.language_code == "en"
    assert LinkToken.objects.get(user=user).used_at is not None


def test_an_expired_token_does_not_link(fake_bot_settings, user):
    token = issue(user, minutes_ago=10.5)

    reply = reply_to(fake_bot_settings, f"/start {token}")

    assert reply.startswith(EXPIRED)
    assert not TelegramLink.objects.exists()
    assert LinkToken.objects.get(user=user).used_at is None


def test_a_token_works_once(fake_bot_settings, user):
    token = issue(user)
    assert LINKED in reply_to(fake_bot_settings, f"/start {token}", chat_id=1)

    reply = reply_to(fake_bot_settings, f"/start {token}", chat_id=2)

    assert reply.startswith(USED)
    assert list(TelegramLink.objects.values_list("user", "telegram_user_id")) == [(user.pk, 1)]


@pytest.mark.parametrize(
    "argument",
    [
        pytest.param("x" * 32, id="well-formed"),
        pytest.param("not a token", id="spaces"),
        pytest.param("ü" * 10, id="non-ascii"),
        pytest.param("a" * 65, id="too-long"),
    ],
)
def test_an_unknown_token_does_not_link(fake_bot_settings, user, argument):
    issue(user)

    reply = reply_to(fake_bot_settings, f"/start {argument}")

    assert reply.startswith(UNKNOWN)
    assert not TelegramLink.objects.exists()


def test_the_four_answers_differ_and_name_no_account(fake_bot_settings):
    owner = UserFactory(email="owner@example.com", full_name="Grace Hopper")
    expired = issue(owner, minutes_ago=30)
    used = issue(owner)

    answers = [
        reply_to(fake_bot_settings, f"/start {used}", chat_id=10),
        reply_to(fake_bot_settings, f"/start {used}", chat_id=11),
        reply_to(fake_bot_settings, f"/start {expired}", chat_id=12),
        reply_to(fake_bot_settings, "/start " + "z" * 32, chat_id=13),
    ]

    assert [answer[: len(prefix)] for answer, prefix in zip(answers, PREFIXES, strict=True)] == [
        *PREFIXES
    ]
    assert len(set(answers)) == 4
    for answer in answers:
        assert "owner" not in answer
        assert "Grace" not in answer


def test_ids_typed_by_the_user_are_never_bound(fake_bot_settings, user):
    victim_chat = 777000
    token = issue(user)

    # An id as the start parameter is just an unknown token, and plain text is ignored.
    assert reply_to(fake_bot_settings, f"/start {victim_chat}", chat_id=31).startswith(UNKNOWN)
    feed(fake_bot_settings, FakeBotAPI.message_update(f"link {token} to {victim_chat}", chat_id=31))
    assert not TelegramLink.objects.exists()

    # The link takes the sender and chat of the update, whatever else the text says.
    reply_to(fake_bot_settings, f"/start {token}", chat_id=31)
    link = TelegramLink.objects.get(user=user)
    assert (link.telegram_user_id, link.chat_id) == (31, 31)


def test_linking_works_only_in_a_private_chat(fake_bot_settings, user):
    token = issue(user)
    update = FakeBotAPI.message_update(f"/start {token}", chat_id=-100200, user_id=41)
    update["message"]["chat"] = {"id": -100200, "type": "group", "title": "Team"}

    feed(fake_bot_settings, update)

    assert not TelegramLink.objects.exists()
    assert LinkToken.objects.get(user=user).used_at is None


def test_a_telegram_user_linked_elsewhere_moves_to_the_new_account(fake_bot_settings):
    first, second = UserFactory(), UserFactory()
    reply_to(fake_bot_settings, f"/start {issue(first)}", chat_id=50)

    reply_to(fake_bot_settings, f"/start {issue(second)}", chat_id=50)

    assert list(TelegramLink.objects.values_list("user", "telegram_user_id")) == [(second.pk, 50)]


def test_linking_another_telegram_user_replaces_the_accounts_link(fake_bot_settings, user):
    reply_to(fake_bot_settings, f"/start {issue(user)}", chat_id=60)

    reply_to(fake_bot_settings, f"/start {issue(user)}", chat_id=61)

    assert list(TelegramLink.objects.values_list("user", "telegram_user_id")) == [(user.pk, 61)]


def test_linking_again_clears_a_block(fake_bot_settings, user):
    reply_to(fake_bot_settings, f"/start {issue(user)}", chat_id=70)
    TelegramLink.objects.filter(user=user).update(
        blocked_at=timezone.now(), blocked_reason="Forbidden: bot was blocked by the user"
    )

    reply_to(fake_bot_settings, f"/start {issue(user)}", chat_id=70)

    link = TelegramLink.objects.get(user=user)
    assert (link.blocked_at, link.blocked_reason) == (None, "")


def test_the_reply_follows_the_accounts_language_then_telegrams(fake_bot_settings):
    russian_account = UserFactory(language="ru")
    unset_account = UserFactory(language="")
    with translation.override("ru"):
        linked_ru = translation.gettext(LINKED)

    english_client = reply_to(
        fake_bot_settings, f"/start {issue(russian_account)}", chat_id=80, language_code="en"
    )
    russian_client = reply_to(
        fake_bot_settings, f"/start {issue(unset_account)}", chat_id=81, language_code="ru"
    )
    # A failed attempt names no account, so only the client's language counts.
    expired = reply_to(
        fake_bot_settings,
        f"/start {issue(russian_account, minutes_ago=20)}",
        chat_id=82,
        language_code="en",
    )

    assert english_client.startswith(linked_ru)
    assert russian_client.startswith(linked_ru)
    assert expired.startswith(EXPIRED)


@pytest.mark.django_db(transaction=True)
def test_of_two_simultaneous_uses_exactly_one_links():
    user = UserFactory()
    token = issue(user)
    barrier = threading.Barrier(2)
    outcomes: list[LinkOutcome] = []

    def use(telegram_user_id: int) -> None:
        barrier.wait()
        try:
            result = services.telegram_link_consume_token(
                token=token,
                telegram_user_id=telegram_user_id,
                chat_id=telegram_user_id,
                username="",
                language_code="",
                now=timezone.now(),
            )
            outcomes.append(result.outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=use, args=(uid,)) for uid in (90, 91)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert sorted(outcome.value for outcome in outcomes) == ["already_used", "linked"]
    assert TelegramLink.objects.filter(user=user).count() == 1


# ---------------------------------------------------------------- /start and /stop


def test_start_tells_an_unlinked_chat_where_to_connect(fake_bot_settings, settings):
    settings.SITE_URL = "https://hub.example.com"

    reply = reply_to(fake_bot_settings, "/start", chat_id=100)

    assert reply.startswith("Hello! I am the AI Competitor Insight Hub bot.")
    assert reply.endswith("https://hub.example.com/settings/#telegram")


def test_start_tells_a_linked_chat_it_is_connected(fake_bot_settings, user):
    reply_to(fake_bot_settings, f"/start {issue(user)}", chat_id=101)

    reply = reply_to(fake_bot_settings, "/start", chat_id=101)

    assert reply.startswith("Hello! I am the AI Competitor Insight Hub bot.")
    assert reply.endswith("This chat is connected to your account.")


def test_stop_unlinks_the_senders_account_only(fake_bot_settings, user):
    other = UserFactory()
    reply_to(fake_bot_settings, f"/start {issue(user)}", chat_id=110)
    reply_to(fake_bot_settings, f"/start {issue(other)}", chat_id=111)

    reply = reply_to(fake_bot_settings, "/stop", chat_id=110)

    assert reply.startswith("This chat is disconnected from your account")
    assert list(TelegramLink.objects.values_list("user", flat=True)) == [other.pk]
    again = reply_to(fake_bot_settings, "/stop", chat_id=110)
    assert again.startswith("This chat is not connected to an account")


# ---------------------------------------------------------------- the settings page


def telegram_section(response):
    html = response.content.decode()
    start = html.index('<section id="telegram"')
    return html[start : html.index("</section>", start)]


def test_settings_offer_to_connect(fake_bot_settings, auth_client):
    section = telegram_section(auth_client.get(reverse("settings:index")))

    assert "Connect Telegram" in section
    assert f'action="{reverse("telegram:link")}"' in section
    assert "Disconnect" not in section


def test_settings_say_when_telegram_is_not_set_up(settings, auth_client):
    settings.TELEGRAM_BOT_TOKEN = ""

    section = telegram_section(auth_client.get(reverse("settings:index")))

    assert "Telegram is not set up on this site yet." in section
    assert "<form" not in section


def test_settings_show_the_link(fake_bot_settings, auth_client, user):
    TelegramLink.objects.create(user=user, telegram_user_id=120, chat_id=120, username="ada_l")

    section = telegram_section(auth_client.get(reverse("settings:index")))

    assert "@ada_l" in section
    assert "Connected" in section
    assert "Disconnect Telegram" in section
    assert f'action="{reverse("telegram:link")}"' not in section
    # Digests do not go to Telegram yet, so the section points to where to choose it.
    assert "Choose Telegram in the digest settings." in section


def test_settings_show_the_telegram_id_when_there_is_no_username(
    fake_bot_settings, auth_client, user
):
    TelegramLink.objects.create(user=user, telegram_user_id=121, chat_id=121)
    preferences = preferences_ensure(user=user)
    preferences.digest_channels = [DigestChannel.TELEGRAM]
    preferences.save()

    section = telegram_section(auth_client.get(reverse("settings:index")))

    assert "User id 121" in section
    assert "Choose Telegram in the digest settings." not in section


def test_settings_show_a_block_and_offer_to_connect_again(fake_bot_settings, auth_client, user):
    TelegramLink.objects.create(
        user=user,
        telegram_user_id=122,
        chat_id=122,
        blocked_at=timezone.now(),
        blocked_reason="Forbidden: bot was blocked by the user",
    )

    section = telegram_section(auth_client.get(reverse("settings:index")))

    assert "Blocked" in section
    assert "Forbidden: bot was blocked by the user" in section
    assert "Connect Telegram again" in section
    assert "Disconnect Telegram" in section


def test_connecting_shows_a_deep_link_and_its_qr_code(fake_bot_settings, auth_client, user):
    response = auth_client.post(reverse("telegram:link"))

    assert response.status_code == 200
    html = response.content.decode()
    [token] = set(DEEP_LINK.findall(html))
    assert len(token) == 32
    stored = LinkToken.objects.get(user=user)
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    start = html.index('<svg width="')
    svg = html[start : html.index("</svg>", start)]
    assert 'class="telegram-qr"' in svg
    # The policy allows no inline styles.
    assert "style" not in svg
    assert "settings-section" in html


def test_connecting_with_htmx_swaps_in_the_section(fake_bot_settings, auth_client):
    response = auth_client.post(reverse("telegram:link"), headers={"HX-Request": "true"})

    html = response.content.decode()
    assert html.lstrip().startswith('<section id="telegram"')
    assert DEEP_LINK.search(html)
    assert "<html" not in html


def test_the_link_the_page_shows_links_the_chat(fake_bot_settings, auth_client, user):
    html = auth_client.post(reverse("telegram:link")).content.decode()
    [token] = set(DEEP_LINK.findall(html))

    assert LINKED in reply_to(fake_bot_settings, f"/start {token}", chat_id=130)
    assert TelegramLink.objects.get(user=user).telegram_user_id == 130


def test_the_bot_username_is_asked_once_and_cached(fake_bot_settings, auth_client):
    auth_client.post(reverse("telegram:link"))
    auth_client.post(reverse("telegram:link"))

    assert len(fake_bot_settings.calls_to("getMe")) == 1


def test_no_link_is_made_when_telegram_cannot_be_reached(fake_bot_settings, auth_client):
    fake_bot_settings.fail_next("getMe", 502, "Bad Gateway")

    response = auth_client.post(reverse("telegram:link"))

    assert response.status_code == 503
    assert "Telegram cannot be reached right now" in response.content.decode()
    assert not LinkToken.objects.exists()


def test_making_links_is_rate_limited_per_user(fake_bot_settings, client):
    limited, other = UserFactory(), UserFactory()
    client.force_login(limited)
    for _ in range(10):
        assert client.post(reverse("telegram:link")).status_code == 200

    refused = client.post(reverse("telegram:link"))

    assert refused.status_code == 429
    assert refused["Retry-After"] == "3600"
    assert "try again in an hour" in refused.content.decode()
    assert LinkToken.objects.filter(user=limited).count() == 10
    client.force_login(other)
    assert client.post(reverse("telegram:link")).status_code == 200


def test_connecting_needs_a_signed_in_user(fake_bot_settings, client):
    response = client.post(reverse("telegram:link"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert not LinkToken.objects.exists()


def test_unlinking_from_the_web_removes_only_your_own_link(fake_bot_settings, auth_client, user):
    other = UserFactory()
    TelegramLink.objects.create(user=user, telegram_user_id=140, chat_id=140)
    TelegramLink.objects.create(user=other, telegram_user_id=141, chat_id=141)

    response = auth_client.post(reverse("telegram:unlink"))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('settings:index')}#telegram"
    assert list(TelegramLink.objects.values_list("user", flat=True)) == [other.pk]
    # Nothing names a link, so posting again cannot reach anyone else's.
    auth_client.post(reverse("telegram:unlink"), {"user": other.pk, "telegram_user_id": 141})
    assert TelegramLink.objects.filter(user=other).exists()


def test_unlinking_needs_a_post(fake_bot_settings, auth_client, user):
    TelegramLink.objects.create(user=user, telegram_user_id=150, chat_id=150)

    response = auth_client.get(reverse("telegram:unlink"))

    assert response.status_code == 302
    assert TelegramLink.objects.filter(user=user).exists()


def test_after_unlinking_the_bot_no_longer_knows_the_chat(fake_bot_settings, auth_client, user):
    reply_to(fake_bot_settings, f"/start {issue(user)}", chat_id=160)

    auth_client.post(reverse("telegram:unlink"))

    assert reply_to(fake_bot_settings, "/start", chat_id=160).endswith("/settings/#telegram")
