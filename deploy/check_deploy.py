"""Check a running production server's HTTP security posture.

    python deploy/check_deploy.py --serve          # start gunicorn here, check it, stop it
    python deploy/check_deploy.py --url https://hub.example.com --host hub.example.com

With --serve, gunicorn runs config.settings.production from the current
environment (the Makefile's check-deploy target supplies a throwaway but valid
one) on a free loopback port. Requests go over plain HTTP and say
`X-Forwarded-Proto: https`, as the TLS proxy in front of the app would
(SECURE_PROXY_SSL_HEADER); the one request that leaves it out must be redirected
to HTTPS. Exits non-zero and names every failed check.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MIN_HSTS_SECONDS = 31_536_000
PUBLIC_CLIENT_IP = "203.0.113.7"
STARTUP_TIMEOUT_SECONDS = 60
# The first page a fresh worker renders imports every view and compiles templates:
# several seconds on a busy machine, so a short timeout fails healthy servers.
REQUEST_TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class Response:
    status: int
    headers: list[tuple[str, str]]

    def all(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]

    def one(self, name: str) -> str | None:
        values = self.all(name)
        return values[0] if len(values) == 1 else None


@dataclass
class Target:
    base_url: str
    host: str
    metrics_token: str = ""

    def request(
        self,
        method: str,
        path: str,
        *,
        https: bool = True,
        headers: dict[str, str] | None = None,
    ) -> Response:
        parts = urllib.parse.urlsplit(self.base_url)
        connection_class = (
            http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        )
        connection = connection_class(parts.netloc, timeout=REQUEST_TIMEOUT_SECONDS)
        sent = {"Host": self.host, "User-Agent": "aihub-check-deploy"}
        if https and parts.scheme == "http":
            sent["X-Forwarded-Proto"] = "https"
        sent.update(headers or {})
        try:
            connection.request(method, path, headers=sent)
            response = connection.getresponse()
            response.read()
            return Response(status=response.status, headers=response.getheaders())
        finally:
            connection.close()


@dataclass
class Report:
    failures: list[str] = field(default_factory=list)
    passed: int = 0

    def check(self, name: str, ok: bool, detail: str = "") -> None:
        if ok:
            self.passed += 1
            print(f"  ok    {name}")
        else:
            self.failures.append(name)
            print(f"  FAIL  {name}{': ' + detail if detail else ''}")


def _hsts_ok(value: str | None) -> bool:
    if value is None:
        return False
    directives = [part.strip().lower() for part in value.split(";")]
    match = next((re.fullmatch(r"max-age=(\d+)", part) for part in directives if part), None)
    max_age = int(match.group(1)) if match else 0
    return max_age >= MIN_HSTS_SECONDS and "includesubdomains" in directives


def _cookies(response: Response) -> dict[str, dict[str, str | bool]]:
    """Each Set-Cookie header's attributes, by cookie name (lower-cased keys)."""
    found: dict[str, dict[str, str | bool]] = {}
    for header in response.all("Set-Cookie"):
        parsed = SimpleCookie()
        parsed.load(header)
        for name, morsel in parsed.items():
            found[name] = {key: morsel[key] for key in ("secure", "httponly", "samesite")}
    return found


def check_headers(target: Target, report: Report) -> None:
    page = target.request("GET", "/accounts/login/")
    report.check("login page answers 200", page.status == 200, f"got {page.status}")
    csp = page.all("Content-Security-Policy")
    report.check("exactly one Content-Security-Policy", len(csp) == 1, f"got {len(csp)}")
    hsts = page.one("Strict-Transport-Security")
    report.check(
        f"HSTS max-age >= {MIN_HSTS_SECONDS} with includeSubDomains", _hsts_ok(hsts), repr(hsts)
    )
    nosniff = page.one("X-Content-Type-Options")
    report.check("X-Content-Type-Options nosniff", nosniff == "nosniff", repr(nosniff))
    frame = page.one("X-Frame-Options")
    report.check("X-Frame-Options DENY", frame == "DENY", repr(frame))
    referrer = page.one("Referrer-Policy")
    report.check("Referrer-Policy present", bool(referrer), repr(referrer))
    coop = page.one("Cross-Origin-Opener-Policy")
    report.check("Cross-Origin-Opener-Policy present", bool(coop), repr(coop))

    cookies = _cookies(page)
    csrf = {name: attrs for name, attrs in cookies.items() if "csrftoken" in name}
    report.check("login page sets the CSRF cookie", bool(csrf), f"cookies: {sorted(cookies)}")
    for name, attrs in cookies.items():
        report.check(f"cookie {name} is Secure", bool(attrs["secure"]))
        samesite = str(attrs["samesite"]).lower()
        report.check(f"cookie {name} has SameSite", samesite in {"lax", "strict"}, repr(samesite))


def check_session_settings(report: Report) -> None:
    """The session cookie only appears after a log-in, so its flags are read from settings.

    The settings are the very ones the served gunicorn loaded: same module, same environment.
    """
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from django.conf import settings  # imported late: production settings only

    name = settings.SESSION_COOKIE_NAME
    report.check(f"session cookie {name} is Secure", settings.SESSION_COOKIE_SECURE is True)
    report.check(f"session cookie {name} is HttpOnly", settings.SESSION_COOKIE_HTTPONLY is True)
    samesite = str(settings.SESSION_COOKIE_SAMESITE).lower()
    report.check(f"session cookie {name} has SameSite", samesite in {"lax", "strict"}, samesite)


def check_metrics(target: Target, report: Report) -> None:
    # An outside client as the TLS proxy reports it (a public documentation address).
    outside = {"X-Forwarded-For": PUBLIC_CLIENT_IP}
    refused = {401, 403, 404}  # 404 is what the app answers, so the endpoint stays hidden
    anonymous = target.request("GET", "/metrics", headers=outside)
    report.check(
        "/metrics refused without credentials",
        anonymous.status in refused,
        f"got {anonymous.status}",
    )
    wrong = target.request(
        "GET", "/metrics", headers={**outside, "Authorization": "Bearer not-the-token"}
    )
    report.check(
        "/metrics refused with a wrong token", wrong.status in refused, f"got {wrong.status}"
    )
    if target.metrics_token:
        # The control: the same request with the right token is served, so the
        # refusals above are the access rule at work, not a missing route.
        granted = target.request(
            "GET",
            "/metrics",
            headers={**outside, "Authorization": f"Bearer {target.metrics_token}"},
        )
        report.check(
            "/metrics served with the token", granted.status == 200, f"got {granted.status}"
        )


def check_https_redirect(target: Target, report: Report) -> None:
    response = target.request("GET", "/accounts/login/", https=False)
    location = response.one("Location") or ""
    report.check(
        "plain HTTP redirected (301) to HTTPS",
        response.status == 301 and location.startswith(f"https://{target.host}/"),
        f"got {response.status} Location={location!r}",
    )


CHECKS: list[Callable[[Target, Report], None]] = [
    check_headers,
    check_metrics,
    check_https_redirect,
]


def run_checks(target: Target, *, inspect_settings: bool) -> Report:
    report = Report()
    print(f"Checking {target.base_url} as Host: {target.host}")
    for check in CHECKS:
        check(target, report)
    if inspect_settings:
        check_session_settings(report)
    return report


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_up(base_url: str, process: subprocess.Popen[bytes]) -> None:
    parts = urllib.parse.urlsplit(base_url)
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {process.returncode} before it answered")
        try:
            connection = http.client.HTTPConnection(parts.netloc, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            connection.close()
        time.sleep(0.3)
    raise SystemExit(f"gunicorn did not answer /healthz within {STARTUP_TIMEOUT_SECONDS} s")


def _static_files_current() -> bool:
    """True when the collected manifest is newer than every input of collectstatic."""
    manifest = ROOT / "staticfiles" / "staticfiles.json"
    if not manifest.exists():
        return False
    # Third-party static files change only with the lock file.
    inputs = [ROOT / "uv.lock", *(path for path in (ROOT / "static").rglob("*") if path.is_file())]
    collected_at = manifest.stat().st_mtime
    return all(path.stat().st_mtime <= collected_at for path in inputs)


@contextmanager
def served() -> Iterator[Target]:
    """gunicorn with production settings on a free loopback port, stopped afterwards.

    The overrides also go into this process's environment, so the settings read by
    check_session_settings are the ones gunicorn loaded.
    """
    port = _free_port()
    metrics_token = secrets.token_urlsafe(32)
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECURE_SSL_REDIRECT": "true",
            # One proxy in front, as in production: X-Forwarded-For names the client.
            "TRUSTED_PROXY_COUNT": "1",
            "METRICS_TOKEN": metrics_token,
            # A 500 must not stall the check on mailing ADMINS through an unreachable
            # SMTP host, nor report to Sentry.
            "EMAIL_URL": "consolemail://",
            "SENTRY_DSN": "",
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": "1",
            "GUNICORN_CONTROL_SOCKET": f"/tmp/aihub-check-deploy-{port}.ctl",  # noqa: S108
        }
    )
    # The manifest storage refuses to render a page whose static files were never
    # collected (the image collects them at build time; STATIC_ROOT is gitignored).
    # Collecting compresses every file and takes a minute, so it is skipped while
    # the last collection is still current.
    if not _static_files_current():
        print("Collecting static files (once, until static/ or uv.lock changes)")
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
            cwd=ROOT,
            check=True,
        )
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
        [str(gunicorn), "--config", "deploy/gunicorn.conf.py", "config.wsgi:application"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base_url, process)
        host = os.environ.get("ALLOWED_HOSTS", "").split(",")[0].strip()
        yield Target(base_url=base_url, host=host, metrics_token=metrics_token)
    except BaseException:
        process.terminate()
        _, stderr = process.communicate(timeout=30)
        sys.stderr.write(stderr.decode(errors="replace")[-4000:])
        raise
    else:
        process.terminate()
        process.communicate(timeout=30)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument(
        "--serve",
        action="store_true",
        help="start gunicorn here with production settings from the environment and check it",
    )
    mode.add_argument("--url", help="base URL of a running server")
    parser.add_argument("--host", help="Host header for --url (default: the URL's host)")
    parser.add_argument(
        "--metrics-token", default="", help="with --url: also check that this token is served"
    )
    args = parser.parse_args(argv)

    if args.serve:
        if not os.environ.get("ALLOWED_HOSTS", "").strip():
            parser.error("--serve needs ALLOWED_HOSTS (and the rest of the production environment)")
        with served() as target:
            report = run_checks(target, inspect_settings=True)
    else:
        host = args.host or urllib.parse.urlsplit(args.url).hostname or ""
        target = Target(base_url=args.url.rstrip("/"), host=host, metrics_token=args.metrics_token)
        report = run_checks(target, inspect_settings=False)

    if report.failures:
        print(f"{len(report.failures)} check(s) failed: {', '.join(report.failures)}")
        return 1
    print(f"All {report.passed} checks passed.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
