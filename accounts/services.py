"""Writes for accounts: sign-up, email verification, settings, deletion and preferences."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import Preferences, User
from accounts.tasks import email_send
from accounts.tokens import make_verification_token, read_verification_token

logger = logging.getLogger(__name__)


def user_create(*, email: str, password: str, full_name: str = "", language: str = "") -> User:
    user = User.objects.create_user(
        email=email, password=password, full_name=full_name.strip(), language=language
    )
    _reschedule_digests(user=user)
    user_send_verification_email(user=user)
    return user


def verification_url(*, user: User) -> str:
    token = make_verification_token(user_id=user.pk, email=user.email)
    return str(settings.SITE_URL) + reverse("accounts:verify_email", kwargs={"token": token})


def user_send_verification_email(*, user: User) -> None:
    if user.is_verified:
        return
    context = {"user": user, "verify_url": verification_url(user=user)}
    with translation.override(user.language or translation.get_language()):
        subject = render_to_string("accounts/email/verify_subject.txt", context).strip()
        body = render_to_string("accounts/email/verify_body.txt", context)
    # celery-types does not know delay_on_commit (Celery 5.4+).
    email_send.delay_on_commit(  # type: ignore[attr-defined]
        subject=subject, body=body, recipients=[user.email]
    )
    logger.info("verification email queued for user %s", user.pk)


def user_verify_email(*, token: str) -> User | None:
    """Mark the account named by a verification token as verified.

    Returns the user, or None when the token is invalid, expired, or was issued
    for an address the account no longer has. Idempotent: the conditional
    UPDATE leaves an already-verified account as it is.
    """
    claim = read_verification_token(token)
    if claim is None:
        return None
    user = User.objects.filter(pk=claim.user_id, email=claim.email, is_active=True).first()
    if user is None:
        return None
    User.objects.filter(pk=user.pk, is_verified=False).update(is_verified=True)
    user.is_verified = True
    return user


def user_set_language(*, user: User, language: str) -> None:
    if language not in User.Language.values:
        raise ValueError(f"unsupported language {language!r}")
    User.objects.filter(pk=user.pk).update(language=language)
    user.language = language


def user_update_profile(*, user: User, full_name: str, language: str) -> User:
    user.full_name = full_name.strip()
    user.language = language
    user.save(update_fields=["full_name", "language"])
    return user


class EmailTakenError(ValueError):
    """Another account already has the address (case-insensitively)."""


def user_update_settings(
    *, user: User, full_name: str, email: str, language: str, timezone: str
) -> bool:
    """Save the account settings; returns whether the email address changed.

    A new address is unverified until its owner follows the link sent to it; the
    link is queued only once the transaction commits. Raises EmailTakenError when
    another account took the address meanwhile (the case-insensitive unique
    constraint decides, not the earlier form check).
    """
    email = User.objects.normalize_email(email).lower()
    email_changed = email != user.email
    user.full_name = " ".join(full_name.split())
    user.language = language
    user.timezone = timezone
    fields = ["full_name", "language", "timezone"]
    if email_changed:
        user.email = email
        user.is_verified = False
        fields += ["email", "is_verified"]
    try:
        with transaction.atomic():
            user.save(update_fields=fields)
            if email_changed:
                user_send_verification_email(user=user)
            # Digests go out at the chosen hour of the user's zone: a new zone moves them.
            _reschedule_digests(user=user)
    except IntegrityError as error:
        user.refresh_from_db()
        raise EmailTakenError(email) from error
    if email_changed:
        logger.info("user %s changed their email address", user.pk)
    return email_changed


def user_delete(*, user: User) -> None:
    """Delete the account and everything that belongs to it.

    Preferences, reading states and the rest cascade in the database; nothing of
    the user is kept. The caller logs the session out.
    """
    user_id = user.pk
    with transaction.atomic():
        user.delete()
    logger.info("user %s deleted their account", user_id)


# ---------------------------------------------------------------- preferences


def preferences_ensure(*, user: User) -> Preferences:
    """The user's preferences, created with defaults on first use. Idempotent: the
    one-to-one constraint makes a concurrent first use create one row."""
    preferences, _ = Preferences.objects.get_or_create(user=user)
    return preferences


def company_follow_set(*, user: User, company_id: int, following: bool) -> bool:
    """Follow or unfollow a company; returns whether the user now follows it.

    Idempotent: following twice leaves one link (the through table's unique pair).
    """
    preferences = preferences_ensure(user=user)
    if following:
        preferences.tracked_companies.add(company_id)
    else:
        preferences.tracked_companies.remove(company_id)
    # Pages cached by preferences version (the dashboard) must see the change.
    Preferences.objects.filter(pk=preferences.pk).update(updated_at=timezone.now())
    return following


def preferences_update(
    *,
    user: User,
    company_ids: Iterable[int],
    categories: Iterable[str],
    keywords: Iterable[str],
    scope: str,
) -> Preferences:
    preferences = preferences_ensure(user=user)
    # Companies first, and the new version (updated_at) last, in one transaction: a
    # page cached under the new version must never hold the old companies.
    with transaction.atomic():
        preferences.tracked_companies.set(list(company_ids))
        preferences.categories = sorted(set(categories))
        preferences.keywords = _clean_keywords(keywords)
        preferences.scope = scope
        preferences.save(update_fields=["categories", "keywords", "scope", "updated_at"])
    return preferences


def _clean_keywords(keywords: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for keyword in keywords:
        cleaned = " ".join(keyword.split()).lower()
        if cleaned:
            seen.setdefault(cleaned, None)
    return list(seen)


def _reschedule_digests(*, user: User) -> None:
    from digests.services import preferences_reschedule

    preferences = preferences_ensure(user=user)
    preferences_reschedule(preferences=preferences, timezone_name=user.timezone, now=timezone.now())


def preferences_update_digests(
    *, user: User, timezone_name: str, values: dict[str, Any]
) -> Preferences:
    """Save the digest schedule and options, and the time zone they run in, then
    recompute when the next digest falls due."""
    preferences = preferences_ensure(user=user)
    for name in DIGEST_FIELDS:
        setattr(preferences, name, values[name])
    preferences.digest_days = sorted(set(preferences.digest_days))
    with transaction.atomic():
        preferences.save(update_fields=[*DIGEST_FIELDS, "updated_at"])
        if user.timezone != timezone_name:
            user.timezone = timezone_name
            user.save(update_fields=["timezone"])
        _reschedule_digests(user=user)
    preferences.refresh_from_db(fields=["next_digest_at"])
    return preferences


def preferences_update_alerts(*, user: User, values: dict[str, Any]) -> Preferences:
    preferences = preferences_ensure(user=user)
    for name in ALERT_FIELDS:
        setattr(preferences, name, values[name])
    preferences.save(update_fields=[*ALERT_FIELDS, "updated_at"])
    return preferences


DIGEST_FIELDS = (
    "digest_enabled",
    "digest_frequency",
    "digest_days",
    "digest_time",
    "week_start",
    "digest_mode",
    "digest_format",
    "digest_include_summaries",
    "digest_channels",
)
ALERT_FIELDS = (
    "notify_enabled",
    "notification_frequency",
    "notify_min_priority",
    "notify_company_alerts",
    "notify_keyword_alerts",
    "notify_category_trends",
)
