"""Validation of the production environment.

The production settings call ``require_production_environment`` while they are
imported, so every process (web, workers, beat, bot, the migrate job) refuses to
start on a broken environment, and says in one message everything that is wrong.
Values are never echoed: some of them are secrets.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import environ

MIN_SECRET_KEY_LENGTH = 50
MIN_SECRET_KEY_UNIQUE_CHARACTERS = 5


@dataclass(frozen=True)
class ProductionConfig:
    secret_key: str
    allowed_hosts: list[str]
    database: dict[str, Any]
    redis_url: str
    email: dict[str, Any]


class InvalidEnvironmentError(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems

    def render(self) -> str:
        lines = [
            "Cannot start: the production environment is missing or has invalid variables.",
            *(f"  - {problem}" for problem in self.problems),
            "Every variable is documented in .env.example.",
        ]
        return "\n".join(lines)


def _secret_key_problem(value: str) -> str | None:
    if value.startswith("django-insecure-"):
        return "SECRET_KEY is invalid: it is a development key"
    if len(value) < MIN_SECRET_KEY_LENGTH or len(set(value)) < MIN_SECRET_KEY_UNIQUE_CHARACTERS:
        return f"SECRET_KEY is invalid: use at least {MIN_SECRET_KEY_LENGTH} random characters"
    return None


def collect_production_config(env: environ.Env) -> ProductionConfig:
    """Read and check every required variable; raise InvalidEnvironmentError listing all faults."""
    problems: list[str] = []

    def raw(name: str) -> str:
        value = str(env.str(name, default="")).strip()
        if not value:
            problems.append(f"{name} is missing")
        return value

    secret_key = raw("SECRET_KEY")
    if secret_key and (problem := _secret_key_problem(secret_key)):
        problems.append(problem)

    allowed_hosts: list[str] = []
    if hosts := raw("ALLOWED_HOSTS"):
        allowed_hosts = [host.strip() for host in hosts.split(",") if host.strip()]
        if not allowed_hosts:
            problems.append("ALLOWED_HOSTS is invalid: give a comma-separated list of host names")
        elif "*" in allowed_hosts:
            problems.append("ALLOWED_HOSTS is invalid: '*' accepts any Host header")

    database: dict[str, Any] = {}
    if database_url := raw("DATABASE_URL"):
        try:
            database = environ.Env.db_url_config(database_url)
        except (ValueError, KeyError, TypeError, environ.ImproperlyConfigured):
            database = {}
        if database.get("ENGINE") != "django.db.backends.postgresql" or not database.get("NAME"):
            problems.append(
                "DATABASE_URL is invalid: expected postgres://USER:PASSWORD@HOST:PORT/NAME"
            )

    redis_url = raw("REDIS_URL")
    if redis_url:
        parts = urlsplit(redis_url)
        if parts.scheme not in {"redis", "rediss"} or not parts.hostname:
            problems.append("REDIS_URL is invalid: expected redis://HOST:PORT/DB or rediss://…")

    email: dict[str, Any] = {}
    if email_url := raw("EMAIL_URL"):
        try:
            email = environ.Env.email_url_config(email_url)
        except (ValueError, KeyError, TypeError, environ.ImproperlyConfigured):
            email = {}
        if not email.get("EMAIL_BACKEND"):
            problems.append("EMAIL_URL is invalid: expected smtp+tls://USER:PASSWORD@HOST:PORT")

    if problems:
        raise InvalidEnvironmentError(problems)
    return ProductionConfig(
        secret_key=secret_key,
        allowed_hosts=allowed_hosts,
        database=database,
        redis_url=redis_url,
        email=email,
    )


def require_production_environment(env: environ.Env) -> ProductionConfig:
    """Like collect_production_config, but stops the process with one clear message."""
    try:
        return collect_production_config(env)
    except InvalidEnvironmentError as error:
        sys.stderr.write(error.render() + "\n")
        sys.stderr.flush()
        # SystemExit carries no traceback; the message above is the whole report.
        raise SystemExit(78) from None
