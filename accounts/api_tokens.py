"""Personal API tokens: creation, revocation and lookup by the presented secret."""

from __future__ import annotations

import datetime
import functools
import hashlib
import secrets
from dataclasses import dataclass

from django.db import connection, transaction
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


@functools.cache
def _token_lookup_sql(vendor: str) -> tuple[str, list[str], list[str]]:
    """The token-and-user query by key hash for a database `vendor`, with the attribute
    names of its columns."""
    quote = connection.ops.quote_name
    token_fields = ApiToken._meta.concrete_fields
    user_fields = User._meta.concrete_fields
    columns = [f"t.{quote(field.column)}" for field in token_fields]
    columns += [f"u.{quote(field.column)}" for field in user_fields]
    # Every name comes from the models' metadata, quoted; the hash is a parameter.
    sql = (
        f"SELECT {', '.join(columns)} FROM {quote(ApiToken._meta.db_table)} t"  # noqa: S608
        f" INNER JOIN {quote(User._meta.db_table)} u ON u.{quote(User._meta.pk.column)}"
        f" = t.{quote(ApiToken._meta.get_field('user').column)}"
        f" WHERE t.{quote(ApiToken._meta.get_field('key_hash').column)} = %s"
        f" AND u.{quote(User._meta.get_field('is_active').column)}"
    )
    return (
        sql,
        [field.attname for field in token_fields],
        [field.attname for field in user_fields],
    )


def _token_with_user(*, key_hash: str) -> ApiToken | None:
    """The token whose hash is `key_hash`, with its user, if the user is active.

    Every API request runs this, and compiling the equivalent select_related() query
    cost five times as much CPU as running it; the SQL is built once from the models'
    own metadata, so it follows their columns.
    """
    sql, token_names, user_names = _token_lookup_sql(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, [key_hash])
        row = cursor.fetchone()
    if row is None:
        return None
    split = len(token_names)
    token = ApiToken.from_db(connection.alias, token_names, row[:split])
    token.user = User.from_db(connection.alias, user_names, row[split:])
    return token


def api_token_authenticate(*, secret: str) -> ApiToken | None:
    """The live token for `secret` with its active user, or None; records its use."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
        return None
    token = _token_with_user(key_hash=hash_secret(secret))
    if token is None or token.is_expired:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
