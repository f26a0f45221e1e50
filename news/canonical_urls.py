"""Canonical URLs: one spelling per article, whatever link led to it."""

from __future__ import annotations

import re
from urllib.parse import quote, unquote_plus, urljoin, urlsplit, urlunsplit

import idna

# ---------------------------------------------------------------- URLs

_DEFAULT_PORTS = {"http": 80, "https": 443}

# Exact names (compared lower-cased) and prefixes of query parameters that only identify a
# campaign, a click or a referrer. They never select content, so two URLs differing only in
# them point at the same article.
_TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "ttclid",
        "igshid",
        "ref",
        "ref_src",
        "_hsenc",
        "_hsmi",
        "_gl",
        "mkt_tok",
    }
)
_TRACKING_PREFIXES = ("utm_", "mc_")

# RFC 3986 reserved and unreserved characters plus "%", so existing escapes survive and only
# spaces, controls and non-ASCII characters get percent-encoded.
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"
_QUERY_SAFE = "/:@!$'()*+,;=-._~%?"
_URL_INVISIBLES = re.compile(r"[\t\n\r]")
_ASCII_HOST = re.compile(r"^[a-z0-9._-]+$")


def canonical_url(url: str, *, base_url: str | None = None) -> str:
    """Return the canonical absolute form of ``url``, resolved against ``base_url``.

    Lower-cases scheme and host, encodes internationalised hosts with IDNA, drops default
    ports, credentials, fragments and tracking parameters, keeps the remaining query
    parameters in their original order, and turns an empty path into ``/``.
    Raises ``ValueError`` unless the result is an http(s) URL with a host.
    """
    # Browsers ignore tabs and newlines inside URLs (WHATWG URL standard); so must we, or
    # "java\nscript:" style tricks would survive as an unknown scheme.
    candidate = _URL_INVISIBLES.sub("", url).strip()
    if base_url is not None:
        candidate = urljoin(_URL_INVISIBLES.sub("", base_url).strip(), candidate)
    parts = urlsplit(candidate)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise ValueError(f"Not an http(s) URL: {url!r}")
    host = _canonical_host(parts.hostname or "")
    port = parts.port  # raises ValueError for a non-numeric or out-of-range port
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    path = quote(_remove_dot_segments(parts.path), safe=_PATH_SAFE) or "/"
    return urlunsplit((scheme, netloc, path, _strip_tracking(parts.query), ""))


def is_same_site(url: str, other_url: str) -> bool:
    """True when both URLs have the same host, ignoring a leading ``www.``.

    Subdomains count as other sites: docs., status. and careers. pages are not news.
    """
    return _site_host(url) == _site_host(other_url) != ""


def _site_host(url: str) -> str:
    host = (urlsplit(url).hostname or "").rstrip(".")
    return host.removeprefix("www.")


def _canonical_host(host: str) -> str:
    host = host.rstrip(".").lower()
    if not host:
        raise ValueError("URL has no host")
    if ":" in host:  # IPv6 literal, already validated by urlsplit's brackets
        return host
    if not host.isascii():
        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError) as error:
            raise ValueError(f"Invalid internationalised host {host!r}: {error}") from error
    if not _ASCII_HOST.match(host):
        raise ValueError(f"Invalid host {host!r}")
    return host


def _remove_dot_segments(path: str) -> str:
    if "." not in path:
        return path
    output: list[str] = []
    segments = path.split("/")
    for index, segment in enumerate(segments):
        is_last = index == len(segments) - 1
        if segment == ".":
            if is_last:
                output.append("")
        elif segment == "..":
            if len(output) > 1:
                output.pop()
            if is_last:
                output.append("")
        else:
            output.append(segment)
    return "/".join(output)


def _strip_tracking(query: str) -> str:
    kept = []
    for pair in query.split("&"):
        if not pair:
            continue
        name = unquote_plus(pair.partition("=")[0]).strip().lower()
        if name in _TRACKING_PARAMS or name.startswith(_TRACKING_PREFIXES):
            continue
        kept.append(quote(pair, safe=_QUERY_SAFE + "="))
    return "&".join(kept)
