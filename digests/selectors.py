"""Reads for digests: a user's history, one digest, and previews."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Prefetch, QuerySet

from accounts.models import Preferences, User
from digests.building import digest_content_build, interests_of
from digests.content import DigestContent
from digests.models import Delivery, Digest

# A preview reaches back at most this far (the form enforces it too).
PREVIEW_MAX_DAYS = 31


def digests_of_user(*, user: User) -> QuerySet[Digest]:
    """The user's digests, newest first, with their deliveries (two queries per page)."""
    return (
        Digest.objects.filter(user=user)
        .defer("content")
        .prefetch_related(Prefetch("deliveries", queryset=Delivery.objects.order_by("channel")))
        .order_by("-period_end", "-pk")
    )


def digest_of_user(*, user: User, digest_id: int) -> Digest | None:
    """One digest if it belongs to `user`; None for anyone else's (callers answer 404)."""
    return (
        Digest.objects.filter(user=user, pk=digest_id)
        .prefetch_related(Prefetch("deliveries", queryset=Delivery.objects.order_by("channel")))
        .first()
    )


def digest_preview(*, user: User, start: datetime, end: datetime) -> DigestContent:
    """What a digest of [start, end) would hold in the user's digest mode; nothing is stored."""
    preferences = Preferences.objects.filter(user=user).first()
    interests = interests_of(preferences=preferences)
    return digest_content_build(interests=interests, start=start, end=end)
