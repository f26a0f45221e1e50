"""The production settings refuse to start on a missing or invalid environment."""

import json
import os
import subprocess
import sys
from pathlib import Path

import environ
import pytest

from config.environment import InvalidEnvironmentError, collect_production_config

ROOT = Path(__file__).resolve().parents[2]
REQUIRED = ["SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS", "EMAIL_URL"]
VALID = {
    "SECRET_KEY": "k3y-" + "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMN",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "ALLOWED_HOSTS": "hub.example.com",
    "EMAIL_URL": "smtp+tls://mailer:secret@smtp.example.com:587",
}


def _production_process(argv, extra_env):
    """Run a command in a fresh process whose only configuration is extra_env."""
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", str(ROOT)),
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "READ_DOT_ENV_FILE": "false",
        **extra_env,
    }
    return subprocess.run(
        [sys.executable, *argv],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_empty_environment_stops_with_one_message_naming_every_variable():
    result = _production_process(["manage.py", "check"], {})
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.count("Cannot start") == 1
    for name in REQUIRED:
        assert f"{name} is missing" in result.stderr


def test_invalid_values_are_named_without_echoing_them():
    result = _production_process(
        ["manage.py", "check"],
        {
            **VALID,
            "SECRET_KEY": "short-secret",
            "DATABASE_URL": "sqlite:///tmp/db.sqlite3",
            "REDIS_URL": "http://cache.internal",
            "ALLOWED_HOSTS": "*",
        },
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    for name in ["SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS"]:
        assert f"{name} is invalid" in result.stderr
    assert "EMAIL_URL" not in result.stderr
    assert "short-secret" not in result.stderr


def test_valid_production_environment_passes_the_deployment_checklist():
    result = _production_process(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], VALID
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


@pytest.fixture
def production_env(monkeypatch):
    def apply(values):
        for name in REQUIRED:
            monkeypatch.delenv(name, raising=False)
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        return environ.Env()

    return apply


@pytest.mark.parametrize("missing", REQUIRED)
def test_collect_reports_each_missing_variable(production_env, missing):
    env = production_env({name: value for name, value in VALID.items() if name != missing})
    with pytest.raises(InvalidEnvironmentError) as raised:
        collect_production_config(env)
    assert raised.value.problems == [f"{missing} is missing"]


def test_collect_returns_parsed_values(production_env):
    config = collect_production_config(production_env(VALID))
    assert config.allowed_hosts == ["hub.example.com"]
    assert config.database["ENGINE"] == "django.db.backends.postgresql"
    assert config.email["EMAIL_USE_TLS"] is True


def test_production_logs_are_one_json_object_per_line():
    code = (
        "import django, logging; django.setup(); "
        "logging.getLogger('news.fetching').warning('fetch failed for %s', 'source 7')"
    )
    result = _production_process(["-c", code], VALID)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    record = json.loads(lines[-1])
    assert record["message"] == "fetch failed for source 7"
    assert record["level"] == "WARNING"
    assert record["logger"] == "news.fetching"
    assert {"timestamp", "request_id"} <= record.keys()
