from __future__ import annotations

import smtplib

from celery import shared_task
from django.core.mail import send_mail

# Connection problems and 4xx answers are worth retrying; a malformed message is not.
TRANSIENT_EMAIL_ERRORS = (
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
    smtplib.SMTPHeloError,
    smtplib.SMTPDataError,
    ConnectionError,
    TimeoutError,
)


@shared_task(
    name="accounts.email_send",
    autoretry_for=TRANSIENT_EMAIL_ERRORS,
    retry_backoff=30,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=8,
)
def email_send(*, subject: str, body: str, recipients: list[str]) -> None:
    send_mail(subject, body, None, recipients)
