"""deploy/check_deploy.py's verdicts on canned responses; `make check-deploy` runs it live."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "check_deploy.py"


@pytest.fixture(scope="module")
def check_deploy() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_deploy", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_deploy"] = module  # dataclasses resolve annotations through it
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("header", "ok"),
    [
        ("max-age=31536000; includeSubDomains; preload", True),
        ("max-age=63072000;includesubdomains", True),
        ("max-age=31535999; includeSubDomains", False),
        ("max-age=31536000", False),
        ("includeSubDomains", False),
        (None, False),
    ],
)
def test_hsts_verdict(check_deploy: ModuleType, header: str | None, ok: bool) -> None:
    assert check_deploy._hsts_ok(header) is ok


def test_cookie_attributes_are_read_per_cookie(check_deploy: ModuleType) -> None:
    response = check_deploy.Response(
        status=200,
        headers=[
            ("Set-Cookie", "__Secure-csrftoken=abc; Path=/; SameSite=Lax; Secure"),
            ("Set-Cookie", "plain=1; Path=/"),
        ],
    )

    cookies = check_deploy._cookies(response)

    assert cookies["__Secure-csrftoken"] == {"secure": True, "httponly": "", "samesite": "Lax"}
    assert not cookies["plain"]["secure"]


def test_repeated_header_is_not_one(check_deploy: ModuleType) -> None:
    response = check_deploy.Response(
        status=200,
        headers=[
            ("Content-Security-Policy", "default-src 'self'"),
            ("content-security-policy", "default-src *"),
        ],
    )

    assert len(response.all("Content-Security-Policy")) == 2
    assert response.one("Content-Security-Policy") is None


def test_a_failed_check_is_named_in_the_report(check_deploy: ModuleType) -> None:
    report = check_deploy.Report()

    report.check("passes", ok=True)
    report.check("fails", ok=False)

    assert report.passed == 1
    assert report.failures == ["fails"]
