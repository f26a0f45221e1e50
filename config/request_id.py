"""Request ids: taken from X-Request-ID or generated, echoed back, logged, and
carried into the Celery tasks a request enqueues through task headers."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar, Token
from typing import Any

from celery.signals import before_task_publish, task_postrun, task_prerun
from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
CELERY_HEADER = "request_id"
_VALID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

current_request_id: ContextVar[str] = ContextVar("request_id", default="-")


def accept_or_generate(value: str | None) -> str:
    # Client-supplied ids are logged verbatim, so only a safe alphabet is accepted.
    if value and _VALID.match(value):
        return value
    return uuid.uuid4().hex


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = accept_or_generate(request.headers.get(HEADER))
        request.request_id = request_id  # type: ignore[attr-defined]
        token = current_request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            current_request_id.reset(token)
        response[HEADER] = request_id
        return response


class RequestIdLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id.get()
        return True


@before_task_publish.connect
def _attach_request_id(headers: dict[str, Any] | None = None, **_: Any) -> None:
    request_id = current_request_id.get()
    if headers is not None and request_id != "-":
        headers.setdefault(CELERY_HEADER, request_id)


# Tokens of the ids set for running tasks, by task id, so each task restores what
# was there before it. That matters for tasks run eagerly inside a request (tests,
# development): the request's own id must survive them.
_task_tokens: dict[str, Token[str]] = {}


@task_prerun.connect
def _adopt_request_id(task_id: str | None = None, task: Any = None, **_: Any) -> None:
    request = getattr(task, "request", None)
    value = getattr(request, CELERY_HEADER, None) if request is not None else None
    if value is None and request is not None:
        value = (getattr(request, "headers", None) or {}).get(CELERY_HEADER)
    adopted = accept_or_generate(value) if value else current_request_id.get()
    token = current_request_id.set(adopted)
    if task_id is not None:
        _task_tokens[task_id] = token


@task_postrun.connect
def _forget_request_id(task_id: str | None = None, **_: Any) -> None:
    token = _task_tokens.pop(task_id, None) if task_id is not None else None
    try:
        if token is not None:
            current_request_id.reset(token)
            return
    except ValueError:  # set in another context (a thread pool's); nothing to restore
        pass
    current_request_id.set("-")
