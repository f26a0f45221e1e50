"""What the bot's commands read and change.

Every function here is synchronous and runs its own queries: aiogram handlers live on
the event loop and reach these through sync_to_async. Writes go through
accounts.services and digests.services, so the bot changes an account exactly the way
the website does.
"""

from __future__ import annotations

import datetime
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher
from enum import StrEnum

from django.conf import settings
from django.db.models import QuerySet

from accounts.models import DigestChannel, DigestFormat, DigestFrequency, Preferences, User
from accounts.selectors import preferences_get, tracked_company_ids
from accounts.services import (
    DIGEST_FIELDS,
    company_follow_set,
    preferences_ensure,
    preferences_update_digests,
)
from competitors.models import Company
from competitors.selectors import company_list
from digests.building import digest_content_build, interests_of
from digests.content import DigestContent
from digests.models import Delivery
from digests.rendering.telegram import telegram_messages
from telegram_bot.models import TelegramLink

# ---------------------------------------------------------------- accounts


def linked_user(*, telegram_user_id: int) -> User | None:
    """The active account linked to this Telegram user, or None.

    A link Telegram once refused (blocked_at) still counts: the user is talking to
    the bot again, so the chat works.
    """
    link = (
        TelegramLink.objects.select_related("user")
        .filter(telegram_user_id=telegram_user_id, user__is_active=True)
        .first()
    )
    return link.user if link else None


# ---------------------------------------------------------------- digests

DIGEST_KINDS = ("daily", "weekly")


@dataclass(frozen=True)
class DigestReply:
    """What /daily or /weekly answers with.

    `queued` means a Telegram delivery of the digest is on its way to the chat, so the
    command adds nothing; otherwise `messages` (Telegram HTML) go out in the reply.
    """

    empty: bool
    queued: bool
    messages: list[str]


def digest_now(*, user: User, kind: str, now: datetime.datetime) -> DigestReply:
    # digests.services sends through telegram_bot.sending, which builds its Bot with
    # the dispatcher's factory: imported at module level, the three would import
    # each other in a circle.
    from digests.services import digest_send_now

    if kind not in DIGEST_KINDS:
        raise ValueError(f"unknown digest kind {kind!r}")
    digest = digest_send_now(user=user, kind=kind, now=now)
    content = DigestContent.from_json(digest.content)
    if content.is_empty:
        return DigestReply(empty=True, queued=False, messages=[])
    # A skipped delivery (Telegram not configured, say) never reaches the chat.
    queued = (
        Delivery.objects.filter(digest=digest, channel=Delivery.Channel.TELEGRAM)
        .exclude(status=Delivery.Status.SKIPPED)
        .exists()
    )
    if queued:
        return DigestReply(empty=False, queued=True, messages=[])
    messages = telegram_messages(digest=digest, content=content, site_url=settings.SITE_URL)
    return DigestReply(empty=False, queued=False, messages=messages)


LATEST_WINDOW = datetime.timedelta(hours=24)
LATEST_ITEMS = 10


@dataclass(frozen=True)
class Latest:
    content: DigestContent
    mode: str  # Preferences.Scope value the items were chosen by
    summaries: bool


def latest_items(*, user: User, now: datetime.datetime) -> Latest:
    """The best items first seen in the last 24 hours, chosen and ranked the way the
    user's digests are."""
    preferences = preferences_get(user=user)
    interests = interests_of(preferences=preferences)
    content = digest_content_build(
        interests=interests, start=now - LATEST_WINDOW, end=now, max_entries=LATEST_ITEMS
    )
    summaries = preferences is None or (
        preferences.digest_format != DigestFormat.SHORT and preferences.digest_include_summaries
    )
    # Someone who has chosen nothing to follow gets everything, as in their digests.
    mode = Preferences.Scope.ALL if interests.chose_nothing else interests.mode
    return Latest(content=content, mode=mode, summaries=summaries)


# ---------------------------------------------------------------- companies

COMPANIES_PER_PAGE = 8


@dataclass(frozen=True)
class CompanyChoice:
    id: int
    name: str
    followed: bool


@dataclass(frozen=True)
class CompanyPage:
    companies: list[CompanyChoice]
    page: int  # from 0, within range
    pages: int
    followed_count: int


def company_page(*, user: User, page: int) -> CompanyPage:
    """One page of the active companies, by name. A page past the end (the list
    shrank since the buttons were drawn) shows the last one."""
    companies = company_list()
    total = companies.count()
    pages = max(1, -(-total // COMPANIES_PER_PAGE))
    page = min(max(page, 0), pages - 1)
    start = page * COMPANIES_PER_PAGE
    rows = companies.values_list("pk", "name")[start : start + COMPANIES_PER_PAGE]
    followed = tracked_company_ids(user=user)
    return CompanyPage(
        companies=[CompanyChoice(id=pk, name=name, followed=pk in followed) for pk, name in rows],
        page=page,
        pages=pages,
        followed_count=len(followed),
    )


@dataclass(frozen=True)
class FollowOutcome:
    name: str
    following: bool
    changed: bool


def company_follow(*, user: User, company_id: int, following: bool) -> FollowOutcome | None:
    """Follow or unfollow a company; None when it is gone, or inactive and not
    followed (an inactive company can still be unfollowed)."""
    company = Company.objects.filter(pk=company_id).only("pk", "name", "active").first()
    if company is None:
        return None
    followed = company.pk in tracked_company_ids(user=user)
    if not company.active and not followed:
        return None
    if followed != following:
        company_follow_set(user=user, company_id=company.pk, following=following)
    return FollowOutcome(name=company.name, following=following, changed=followed != following)


# Below this similarity a company is not worth suggesting.
SUGGESTION_CUTOFF = 0.6
MAX_SUGGESTIONS = 5
# A query this short matches the start of a name only when it is the whole name.
MIN_PREFIX = 3
MAX_QUERY = 100


@dataclass(frozen=True)
class CompanyMatch:
    """A clear `match`, or else up to MAX_SUGGESTIONS companies the user may have meant."""

    match: CompanyChoice | None
    suggestions: list[CompanyChoice]
    searched: int  # companies looked at: none means the user has nothing to unfollow


def normalised_name(text: str) -> str:
    """Case, accents' compatibility forms, spaces and punctuation ignored:
    "Open AI", "open-ai" and "OpenAI" are one name."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(char for char in folded if char.isalnum())


@dataclass(frozen=True)
class _Candidate:
    choice: CompanyChoice
    keys: tuple[str, ...]


def _candidates(companies: QuerySet[Company], followed: set[int]) -> list[_Candidate]:
    candidates = []
    for pk, name, slug, aliases in companies.values_list("pk", "name", "slug", "aliases"):
        names = [name, slug, *(alias for alias in aliases or [] if isinstance(alias, str))]
        keys = tuple(dict.fromkeys(key for key in map(normalised_name, names) if key))
        candidates.append(
            _Candidate(choice=CompanyChoice(id=pk, name=name, followed=pk in followed), keys=keys)
        )
    return candidates


def _similarity(query: str, key: str) -> float:
    if key == query:
        return 1.0
    if len(query) >= MIN_PREFIX and key.startswith(query):
        return 0.9
    if len(query) >= MIN_PREFIX and query in key:
        return 0.8
    return SequenceMatcher(None, query, key).ratio()


def _best_match(*, query: str, candidates: list[_Candidate]) -> CompanyMatch:
    """Exactly one company named `query` (name, slug or alias, normalised), or the
    only one whose name starts with it, is a clear match; anything else gives
    suggestions, best first."""
    searched = len(candidates)
    wanted = normalised_name(query[:MAX_QUERY])
    if not wanted:
        return CompanyMatch(match=None, suggestions=[], searched=searched)
    exact = [each for each in candidates if wanted in each.keys]
    if len(exact) == 1:
        return CompanyMatch(match=exact[0].choice, suggestions=[], searched=searched)
    if not exact and len(wanted) >= MIN_PREFIX:
        starting = [each for each in candidates if any(k.startswith(wanted) for k in each.keys)]
        if len(starting) == 1:
            return CompanyMatch(match=starting[0].choice, suggestions=[], searched=searched)
    scored = sorted(
        (
            (max(_similarity(wanted, key) for key in each.keys), each.choice)
            for each in candidates
            if each.keys
        ),
        key=lambda pair: (-pair[0], pair[1].name.casefold(), pair[1].id),
    )
    return CompanyMatch(
        match=None,
        suggestions=[
            choice for score, choice in scored[:MAX_SUGGESTIONS] if score >= SUGGESTION_CUTOFF
        ],
        searched=searched,
    )


def company_match(*, user: User, query: str, following: bool) -> CompanyMatch:
    """The company /subscribe (`following`) or /unsubscribe means: any active company
    to follow; one of the user's own to unfollow."""
    followed = tracked_company_ids(user=user)
    companies = (
        Company.objects.filter(active=True)
        if following
        else Company.objects.filter(pk__in=followed)
    )
    return _best_match(query=query, candidates=_candidates(companies, followed))


# ---------------------------------------------------------------- digest settings


class Setting(StrEnum):
    MODE = "mode"
    FREQUENCY = "frequency"
    FORMAT = "format"
    TIME = "time"
    TIMEZONE = "timezone"


MODES = (Preferences.Scope.TRACKED.value, Preferences.Scope.ALL.value)
# Digests on chosen days need a day picker: the website has one.
FREQUENCIES = (DigestFrequency.DAILY.value, DigestFrequency.WEEKLY.value)
FORMATS = (DigestFormat.SHORT.value, DigestFormat.DETAILED.value)
DELIVERY_HOURS = tuple(range(6, 22))
# The zones most readers are in, west to east; the website lists every IANA zone.
COMMON_TIMEZONES = (
    "America/Los_Angeles",
    "America/Denver",
    "America/Chicago",
    "America/New_York",
    "America/Sao_Paulo",
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Kyiv",
    "Europe/Moscow",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Sydney",
)


@dataclass(frozen=True)
class DigestSettings:
    mode: str
    frequency: str
    format: str
    time: datetime.time
    timezone: str
    enabled: bool
    sends_to_telegram: bool
    next_digest_at: datetime.datetime | None


def digest_settings_get(*, user: User) -> DigestSettings:
    preferences = preferences_ensure(user=user)
    return DigestSettings(
        mode=preferences.digest_mode,
        frequency=preferences.digest_frequency,
        format=preferences.digest_format,
        time=preferences.digest_time,
        timezone=user.timezone,
        enabled=preferences.digest_enabled,
        sends_to_telegram=DigestChannel.TELEGRAM in (preferences.digest_channels or []),
        next_digest_at=preferences.next_digest_at,
    )


class UnofferedSettingError(ValueError):
    """The value is not one the bot offers (a stale or forged button)."""


def _chosen_value(setting: Setting, value: str) -> object:
    if setting is Setting.MODE and value in MODES:
        return value
    if setting is Setting.FREQUENCY and value in FREQUENCIES:
        return value
    if setting is Setting.FORMAT and value in FORMATS:
        return value
    if setting is Setting.TIME and value.isdigit() and int(value) in DELIVERY_HOURS:
        return datetime.time(int(value), 0)
    if setting is Setting.TIMEZONE and value in COMMON_TIMEZONES:
        return value
    raise UnofferedSettingError(f"{setting.value}={value!r}")


_FIELDS = {
    Setting.MODE: "digest_mode",
    Setting.FREQUENCY: "digest_frequency",
    Setting.FORMAT: "digest_format",
    Setting.TIME: "digest_time",
}


def digest_setting_change(*, user: User, setting: Setting, value: str) -> DigestSettings:
    """Change one digest setting the way the settings page does, so the next digest
    is rescheduled. Raises UnofferedSettingError for a value the bot does not offer."""
    chosen = _chosen_value(setting, value)
    preferences = preferences_ensure(user=user)
    values = {name: getattr(preferences, name) for name in DIGEST_FIELDS}
    timezone_name = user.timezone
    if setting is Setting.TIMEZONE:
        timezone_name = str(chosen)
    else:
        values[_FIELDS[setting]] = chosen
    preferences_update_digests(user=user, timezone_name=timezone_name, values=values)
    return digest_settings_get(user=user)
