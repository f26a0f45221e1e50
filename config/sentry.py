"""Sentry start-up. Nothing is sent, and the SDK is not even initialised, without a DSN.

Errors and traces of web requests and Celery tasks, and a cron monitor per periodic
task: CeleryIntegration(monitor_beat_tasks=True) wraps beat's apply_entry, which
django-celery-beat's DatabaseScheduler inherits, so every entry of PERIODIC_TASKS
checks in (in progress from beat, ok or error from the worker) under its own name.
"""

from __future__ import annotations

from typing import Any

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.integrations.logging import LoggingIntegration

from config.log_format import redact


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list | tuple):
        return [_masked(item) for item in value]
    if isinstance(value, dict):
        return {key: _masked(item) for key, item in value.items()}
    return value


# Log records reach Sentry (as breadcrumbs and events) before the console handler's
# masking filter runs, so the same masking is applied here.
def _before_send(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    for key in ("logentry", "message", "breadcrumbs"):
        if key in event:
            event[key] = _masked(event[key])
    for exception in (event.get("exception") or {}).get("values") or []:
        if isinstance(exception.get("value"), str):
            exception["value"] = redact(exception["value"])
    return event


def _before_breadcrumb(crumb: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    return dict(_masked(crumb))


def configure_sentry(
    *, dsn: str, environment: str, release: str, traces_sample_rate: float
) -> bool:
    if not dsn:
        return False
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release or None,
        traces_sample_rate=traces_sample_rate,
        send_default_pii=False,
        # Secrets travel in local variables and form bodies under any name
        # (password1, new_password2, issued…), beyond what key-based scrubbing knows.
        include_local_variables=False,
        max_request_body_size="never",
        before_send=_before_send,  # type: ignore[arg-type]
        before_breadcrumb=_before_breadcrumb,
        integrations=[
            DjangoIntegration(),
            CeleryIntegration(monitor_beat_tasks=True),
            LoggingIntegration(),
        ],
    )
    return True
