"""Reads for accounts."""

from __future__ import annotations

from accounts.models import User


def user_get_by_email(*, email: str) -> User | None:
    return User.objects.filter(email__iexact=email.strip()).first()


def superuser_exists() -> bool:
    return User.objects.filter(is_superuser=True).exists()
