"""Writes for accounts: sign-up, email verification and preferences."""

from __future__ import annotations

import logging

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from accounts.tasks import email_send
from accounts.tokens import make_verification_token, read_verification_token

logger = logging.getLogger(__name__)


def user_create(*, email: str, password: str, full_name: str = "", language: str = "") -> User:
    user = User.objects.create_user(
        email=email, password=password, full_name=full_name.strip(), language=language
    )
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
