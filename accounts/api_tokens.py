"""Personal API tokens: creation, revocation and lookup by the presented secret."""

from __future__ import annotations

import datetime
import hashlib
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from accounts.models import ApiToken, User

TOKEN_PREFIX = "aih_"  # noqa: S105 - a public marker, not a secret
# A token's last-used time is written at most this often, not on every request.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)
MAX_TOKENS_PER_USER = 50


class TooManyTokensError(Exception):
    """The account already holds MAX_TOKENS_PER_USER tokens."""


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # shown once to its owner, never stored


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_token_create(
    *, user: User, name: str, expires_at: datetime.datetime | None = None
) -> IssuedToken:
    """Issue a token; locks the user row so the per-account cap holds under concurrency."""
    User.objects.select_for_update().filter(pk=user.pk).first()
    if ApiToken.objects.filter(user=user).count() >= MAX_TOKENS_PER_USER:
        raise TooManyTokensError
    # 32 random bytes: 256 bits.
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name.strip()[:100],
        key_hash=hash_secret(secret),
        prefix=secret[: len(TOKEN_PREFIX) + 4],
        expires_at=expires_at,
    )
    return IssuedToken(token=token, secret=secret)


def api_token_revoke(*, user: User, token_id: int) -> bool:
    """Delete one of the user's tokens; False when the user holds no such token."""
    deleted, _ = ApiToken.objects.filter(user=user, pk=token_id).delete()
    return deleted > 0


def api_token_list(*, user: User) -> list[ApiToken]:
    return list(ApiToken.objects.filter(user=user))


def api_token_authenticate(*, secret: str) -> ApiToken | None:
    """The live token for `secret` with its active user, or None; records its use."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
        return None
    try:
        # get(), not first(): key_hash is unique, and first() would add an ORDER BY.
        token = ApiToken.objects.select_related("user").get(
            key_hash=hash_secret(secret), user__is_active=True
        )
    except ApiToken.DoesNotExist:
        return None
    if token.is_expired:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
