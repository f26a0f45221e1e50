"""Personal API tokens: creation, revocation and lookup by the presented secret."""

from __future__ import annotations

import datetime
import functools
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models.expressions import Col
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


@dataclass(frozen=True)
class _TokenLookup:
    sql: str
    token_names: list[str]
    user_names: list[str]
    # Per column of the row: the expression and the converters the ORM would apply
    # to it (SQLite hands back naive date-times and integers for booleans).
    converters: list[tuple[int, Col, list[Any]]]


@functools.cache
def _token_lookup(vendor: str) -> _TokenLookup:
    """The token-and-user query by key hash for a database `vendor`."""
    quote = connection.ops.quote_name
    token_fields = ApiToken._meta.concrete_fields
    user_fields = User._meta.concrete_fields
    columns = [field.get_col("t") for field in token_fields]
    columns += [field.get_col("u") for field in user_fields]
    selected = ", ".join(f"{column.alias}.{quote(column.target.column)}" for column in columns)
    # Every name comes from the models' metadata, quoted; the hash is a parameter.
    sql = (
        f"SELECT {selected} FROM {quote(ApiToken._meta.db_table)} t"  # noqa: S608
        f" INNER JOIN {quote(User._meta.db_table)} u ON u.{quote(User._meta.pk.column)}"
        f" = t.{quote(ApiToken._meta.get_field('user').column)}"
        f" WHERE t.{quote(ApiToken._meta.get_field('key_hash').column)} = %s"
        f" AND u.{quote(User._meta.get_field('is_active').column)}"
    )
    converters = []
    for index, column in enumerate(columns):
        found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if found:
            converters.append((index, column, found))
    return _TokenLookup(
        sql=sql,
        token_names=[field.attname for field in token_fields],
        user_names=[field.attname for field in user_fields],
        converters=converters,
    )


def _token_with_user(*, key_hash: str) -> ApiToken | None:
    """The token whose hash is `key_hash`, with its user, if the user is active.

    Every API request runs this, and compiling the equivalent select_related() query
    cost five times as much CPU as running it; the SQL is built once from the models'
    own metadata, so it follows their columns, and its values pass through the same
    converters as the ORM's.
    """
    lookup = _token_lookup(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(lookup.sql, [key_hash])
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row)
    for index, column, converters in lookup.converters:
        for converter in converters:
            values[index] = converter(values[index], column, connection)
    split = len(lookup.token_names)
    token = ApiToken.from_db(connection.alias, lookup.token_names, values[:split])
    token.user = User.from_db(connection.alias, lookup.user_names, values[split:])
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
