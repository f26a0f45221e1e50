"""Signed, expiring tokens for email verification links.

The payload names the user and the address being verified, so a link stops
working when the address changes; services refuse links for verified accounts,
which makes each link single-use in effect.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core import signing

_SALT = "accounts.email-verification"


@dataclass(frozen=True)
class VerificationClaim:
    user_id: int
    email: str


def make_verification_token(*, user_id: int, email: str) -> str:
    return signing.dumps({"u": user_id, "e": email}, salt=_SALT, compress=True)


def read_verification_token(token: str) -> VerificationClaim | None:
    try:
        payload = signing.loads(token, salt=_SALT, max_age=settings.EMAIL_VERIFICATION_TIMEOUT)
    except signing.BadSignature:  # includes SignatureExpired
        return None
    if not isinstance(payload, dict):
        return None
    user_id, email = payload.get("u"), payload.get("e")
    if not isinstance(user_id, int) or not isinstance(email, str):
        return None
    return VerificationClaim(user_id=user_id, email=email)
