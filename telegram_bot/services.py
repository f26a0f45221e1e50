"""Writes for the Telegram bot: linking accounts to chats, and the state of a link."""

from __future__ import annotations

import enum
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction

from accounts.models import User
from telegram_bot.models import LinkToken, TelegramEvent, TelegramLink

# ---------------------------------------------------------------- linking

LINK_TOKEN_LIFETIME = timedelta(minutes=10)
# 24 random bytes are 192 bits, written as 32 URL-safe characters: a valid start
# parameter (at most 64 of A-Z, a-z, 0-9, _ and -).
LINK_TOKEN_BYTES = 24
_START_PARAMETER = re.compile(r"[A-Za-z0-9_-]{1,64}")
# Spent and expired tokens are kept a day, so a late tap on an old link says
# "expired" or "already used" rather than "unknown".
SPENT_TOKEN_RETENTION = timedelta(days=1)


@dataclass(frozen=True)
class IssuedLinkToken:
    """The token in clear, which exists only here and in the link shown to the user."""

    token: str
    expires_at: datetime


class LinkOutcome(enum.Enum):
    LINKED = "linked"
    EXPIRED = "expired"
    ALREADY_USED = "already_used"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class LinkResult:
    outcome: LinkOutcome
    # Set only when the outcome is LINKED.
    link: TelegramLink | None = None


def link_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def link_token_create(*, user: User, now: datetime) -> IssuedLinkToken:
    """A new single-use token for `user`, valid for LINK_TOKEN_LIFETIME.

    The user's earlier tokens that are still valid expire now: only the newest link
    shown on the settings page works.
    """
    token = secrets.token_urlsafe(LINK_TOKEN_BYTES)
    expires_at = now + LINK_TOKEN_LIFETIME
    with transaction.atomic():
        LinkToken.objects.filter(user=user, used_at__isnull=True, expires_at__gt=now).update(
            expires_at=now
        )
        LinkToken.objects.filter(user=user, expires_at__lt=now - SPENT_TOKEN_RETENTION).delete()
        LinkToken.objects.create(
            user=user,
            token_hash=link_token_hash(token),
            created_at=now,
            expires_at=expires_at,
        )
    return IssuedLinkToken(token=token, expires_at=expires_at)


def telegram_link_consume_token(
    *,
    token: str,
    telegram_user_id: int,
    chat_id: int,
    username: str,
    language_code: str,
    now: datetime,
) -> LinkResult:
    """Spend `token` and link the Telegram user the update came from to its account.

    The token is claimed with a conditional UPDATE, so of two concurrent uses exactly
    one links. In the same transaction the link is upserted by Telegram user id: a
    Telegram user linked to another account moves to this one, and this account's
    earlier link (to another Telegram user) is replaced. Linking again clears a block.
    """
    if not _START_PARAMETER.fullmatch(token):
        return LinkResult(LinkOutcome.UNKNOWN)
    token_hash = link_token_hash(token)
    with transaction.atomic():
        claimed = LinkToken.objects.filter(
            token_hash=token_hash, used_at__isnull=True, expires_at__gt=now
        ).update(used_at=now)
        if claimed != 1:
            return LinkResult(_why_unusable(token_hash))
        user = User.objects.get(telegram_link_tokens__token_hash=token_hash)
        TelegramLink.objects.filter(user=user).exclude(telegram_user_id=telegram_user_id).delete()
        link, _created = TelegramLink.objects.update_or_create(
            telegram_user_id=telegram_user_id,
            defaults={
                "user": user,
                "chat_id": chat_id,
                "username": username[:64],
                "language_code": language_code[:16],
                "linked_at": now,
                "blocked_at": None,
                "blocked_reason": "",
            },
        )
    return LinkResult(LinkOutcome.LINKED, link)


def _why_unusable(token_hash: str) -> LinkOutcome:
    spent = LinkToken.objects.filter(token_hash=token_hash).only("used_at").first()
    if spent is None:
        return LinkOutcome.UNKNOWN
    return LinkOutcome.EXPIRED if spent.used_at is None else LinkOutcome.ALREADY_USED


def telegram_link_delete(*, user: User) -> bool:
    """Unlink `user`'s Telegram chat; False when there was none."""
    deleted, _by_model = TelegramLink.objects.filter(user=user).delete()
    return deleted > 0


def telegram_link_delete_for_telegram_user(*, telegram_user_id: int) -> TelegramLink | None:
    """Unlink whichever account this Telegram user is linked to.

    Returns the removed link (its user loaded) or None when there was none.
    """
    removed = (
        TelegramLink.objects.select_related("user")
        .filter(telegram_user_id=telegram_user_id)
        .first()
    )
    if removed is None:
        return None
    TelegramLink.objects.filter(pk=removed.pk).delete()
    return removed


# ---------------------------------------------------------------- sending outcomes
# Called by telegram_bot.sending once a send has finished, outside its event loop.


def telegram_link_block(*, chat_id: int | str, reason: str, now: datetime) -> int:
    """Telegram refused `chat_id` for good (403): stop delivering to it.

    The link of that chat, if any, is marked blocked until its user links again,
    and a "blocked" event records Telegram's description. Returns how many links
    were blocked (0 for a channel or an unknown chat, or one already blocked).
    """
    number = _as_chat_number(chat_id)
    with transaction.atomic():
        blocked = 0
        if number is not None:
            blocked = TelegramLink.objects.filter(chat_id=number, blocked_at__isnull=True).update(
                blocked_at=now, blocked_reason=reason[:300]
            )
        telegram_event_record(
            kind=TelegramEvent.Kind.BLOCKED, chat_id=chat_id, detail=reason, now=now
        )
    return blocked


def telegram_event_record(
    *, kind: TelegramEvent.Kind, chat_id: int | str, detail: str, now: datetime
) -> TelegramEvent:
    return TelegramEvent.objects.create(
        kind=kind, chat_id=str(chat_id)[:64], detail=detail, created_at=now
    )


def _as_chat_number(chat_id: int | str) -> int | None:
    if isinstance(chat_id, int):
        return chat_id
    text = chat_id.strip()
    return int(text) if text.lstrip("-").isdigit() else None
