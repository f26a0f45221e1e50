"""What a company's homepage says about it: name, description, logo, social profiles,
advertised feeds and links to its blog or newsroom.

Pure: bytes in, plain values out; no network and no database. competitors/discovery.py
decides what to fetch with it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from competitors.models import Company, Source
from competitors.source_detection import github_releases_url
from news.canonical_urls import canonical_url
from news.json_ld import json_ld_blocks
from news.normalization import clean_text
from news.pages import HtmlElement, effective_base_url, parse_html_document
from news.parsing import discover_feed_links

NAME_MAX_CHARS = 120
DESCRIPTION_MAX_CHARS = 1000
URL_MAX_CHARS = 500
MAX_SECTION_LINKS = 6
_JSON_LD_MAX_CHARS = 200_000

_ORGANIZATION_TYPES = frozenset(
    {"organization", "corporation", "onlinebusiness", "researchorganization", "ngo"}
)
_TITLE_SEPARATORS = re.compile(r"\s*[|\u2014\u2013\u00b7\u2022\u00bb]\s*|\s+[-:]\s+|:\s+")
_GENERIC_TITLE_PARTS = frozenset(
    {"home", "homepage", "home page", "welcome", "official site", "official website"}
)
_SECTION_TEXT = re.compile(r"\b(?:blog|news|newsroom|press)\b", re.IGNORECASE)
_SECTION_SEGMENT = re.compile(r"^(?:blogs?|news|newsroom|press|press-releases?|pressroom)$")
_SECTION_TEXT_MAX_CHARS = 40

_TWITTER_HOSTS = frozenset({"twitter.com", "x.com", "mobile.twitter.com"})
_TWITTER_HANDLE = re.compile(r"^[A-Za-z0-9_]{1,15}$")
_TWITTER_RESERVED = frozenset(
    {"home", "i", "intent", "share", "hashtag", "search", "explore", "settings", "login", "tos"}
)
_GITHUB_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
_GITHUB_REPO = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
# First path segments of github.com that are GitHub's own pages, not accounts.
_GITHUB_RESERVED = frozenset(
    {
        "about", "apps", "collections", "contact", "customer-stories", "enterprise", "events",
        "explore", "features", "join", "login", "marketplace", "new", "notifications", "orgs",
        "pricing", "readme", "resources", "security", "settings", "signup", "site", "solutions",
        "sponsors", "team", "topics", "trending",
    }
)  # fmt: skip
_INSTAGRAM_HANDLE = re.compile(r"^[A-Za-z0-9_.]{1,30}$")
_INSTAGRAM_RESERVED = frozenset({"p", "reel", "reels", "explore", "accounts", "stories", "tv"})
_LINKEDIN_PAGE = re.compile(r"^/(company|showcase)/([A-Za-z0-9_.%-]{1,100})/?")
_PRESS_PATH = re.compile(r"/(press|newsroom|press-releases?|pressroom)(/|$)")
# Only phrases that settle the segment; anything less certain stays "other".
_SEGMENT_HINTS = (
    (
        re.compile(r"\b(LLMs?|large language models?|foundation models?)\b", re.I),
        Company.Segment.LLM_PROVIDER,
    ),
    (re.compile(r"\bresearch (lab|laboratory|institute)\b", re.I), Company.Segment.RESEARCH_LAB),
    (re.compile(r"\bMLOps\b", re.I), Company.Segment.MLOPS),
    (re.compile(r"\b(vector database|data platform)\b", re.I), Company.Segment.DATA_PLATFORM),
    (re.compile(r"\b(AI search|search engine)\b", re.I), Company.Segment.SEARCH_ENGINE),
    (
        re.compile(r"\b(GPU cloud|AI infrastructure|inference cloud)\b", re.I),
        Company.Segment.INFRASTRUCTURE,
    ),
)


@dataclass(frozen=True)
class HomepageFacts:
    name: str
    description: str = ""
    logo_url: str = ""
    twitter_handle: str = ""
    github_org: str = ""
    linkedin_url: str = ""
    instagram_handle: str = ""
    github_repos: list[str] = field(default_factory=list)  # repositories of github_org
    feed_links: list[str] = field(default_factory=list)
    section_links: list[str] = field(default_factory=list)  # blog/news/press pages


def read_homepage(content: bytes, *, url: str) -> HomepageFacts:
    """Everything discovery reads from the homepage fetched from ``url`` (after redirects)."""
    document = parse_html_document(content)
    if document is None:
        return HomepageFacts(name=_bare_host(url))
    base = effective_base_url(document, url)
    meta = _meta_values(document)
    organization = _json_ld_organization(document)
    hrefs = [href for anchor in document.iter("a") if (href := _absolute(anchor.get("href"), base))]
    github_org, github_repos = _github_account(hrefs)
    twitter = _first(_twitter_handle(href) for href in hrefs)
    return HomepageFacts(
        name=site_name(meta, organization, document_title(document), url),
        description=clean_text(
            meta.get("og:description")
            or meta.get("description")
            or meta.get("twitter:description")
            or _json_ld_text(organization, "description"),
            max_length=DESCRIPTION_MAX_CHARS,
        ),
        logo_url=_logo_url(document, meta, organization, base),
        twitter_handle=twitter or _twitter_handle_from_meta(meta.get("twitter:site", "")),
        github_org=github_org,
        linkedin_url=_first(_linkedin_url(href) for href in hrefs),
        instagram_handle=_first(_instagram_handle(href) for href in hrefs),
        github_repos=github_repos,
        feed_links=discover_feed_links(content, base_url=url),
        section_links=_section_links(document, base, url),
    )


def document_title(document: HtmlElement) -> str:
    title = document.find(".//title")
    return clean_text(str(title.text_content())) if title is not None else ""


def page_title(content: bytes) -> str:
    document = parse_html_document(content)
    return document_title(document) if document is not None else ""


def anchor_texts(content: bytes, *, base_url: str) -> dict[str, str]:
    """Canonical link URL -> its anchor text (the first non-empty one), for a listing page."""
    document = parse_html_document(content)
    if document is None:
        return {}
    base = effective_base_url(document, base_url)
    texts: dict[str, str] = {}
    for anchor in document.iter("a"):
        url = _absolute(anchor.get("href"), base)
        text = clean_text(anchor.text_content() or "", max_length=300)
        if url and text and url not in texts:
            texts[url] = text
    return texts


def guess_segment(text: str) -> str:
    """The segment of a company described by ``text``: "other" unless obvious."""
    hints = (segment for pattern, segment in _SEGMENT_HINTS if pattern.search(text))
    return next(hints, Company.Segment.OTHER)


def source_type_for(url: str) -> str:
    """Press releases under /press or /newsroom, else blog."""
    if _PRESS_PATH.search(urlsplit(url).path.lower()):
        return Source.SourceType.PRESS_RELEASE
    return Source.SourceType.BLOG


def github_release_feeds(repos: list[str]) -> list[tuple[str, str]]:
    """(releases feed URL, source name) for each "owner/repo"."""
    return [
        (url, f"{repo.split('/', 1)[1]} releases")
        for repo in repos
        if (url := github_releases_url(f"https://github.com/{repo}"))
    ]


# ---------------------------------------------------------------- name


def site_name(meta: dict[str, str], organization: dict[str, object], title: str, url: str) -> str:
    """og:site_name, application-name, the JSON-LD Organization's name, the page title
    without its tagline, and finally the host."""
    for candidate in (
        meta.get("og:site_name", ""),
        meta.get("application-name", ""),
        _json_ld_text(organization, "name"),
        clean_title(title, host=_bare_host(url)),
    ):
        name = clean_text(candidate, max_length=NAME_MAX_CHARS)
        if name:
            return name
    return _bare_host(url)


def clean_title(title: str, *, host: str) -> str:
    """ "Acme — AI for X" -> "Acme"; "Home | Acme" -> "Acme".

    The part that spells the host's first label wins; else the first part that is not a
    generic "Home" or "Welcome".
    """
    parts = [part for part in _TITLE_SEPARATORS.split(clean_text(title)) if part]
    parts = [part for part in parts if part.lower() not in _GENERIC_TITLE_PARTS]
    label = _compact(host.split(".", 1)[0])
    for part in parts:
        if label and _compact(part) == label:
            return part
    return parts[0] if parts else ""


def _compact(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


# ---------------------------------------------------------------- metadata


def _meta_values(document: HtmlElement) -> dict[str, str]:
    values: dict[str, str] = {}
    for element in document.iter("meta"):
        key = element.get("property") or element.get("name")
        content = (element.get("content") or "").strip()
        if key and content:
            values.setdefault(str(key).strip().lower(), content)
    return values


def _json_ld_organization(document: HtmlElement) -> dict[str, object]:
    for data in json_ld_blocks(document, max_chars=_JSON_LD_MAX_CHARS):
        for node in _json_ld_nodes(data):
            types = node.get("@type")
            names = types if isinstance(types, list) else [types]
            if any(
                isinstance(name, str) and name.rsplit("/", 1)[-1].lower() in _ORGANIZATION_TYPES
                for name in names
            ):
                return node
    return {}


def _json_ld_nodes(data: object) -> Iterator[dict[str, object]]:
    for root in data if isinstance(data, list) else [data]:
        if not isinstance(root, dict):
            continue
        graph = root.get("@graph")
        for node in graph if isinstance(graph, list) else [root]:
            if isinstance(node, dict):
                yield node
                if isinstance(publisher := node.get("publisher"), dict):
                    yield publisher


def _json_ld_text(node: dict[str, object], key: str) -> str:
    value = node.get(key)
    if isinstance(value, dict):
        value = value.get("url")
    return value if isinstance(value, str) else ""


def _logo_url(
    document: HtmlElement, meta: dict[str, str], organization: dict[str, object], base: str
) -> str:
    candidates = [
        meta.get("og:image"),
        meta.get("og:image:url"),
        _json_ld_text(organization, "logo"),
    ]
    icons: dict[str, str] = {}
    for link in document.iter("link"):
        rel = " ".join((link.get("rel") or "").lower().split())
        if rel in {"apple-touch-icon", "icon", "shortcut icon"}:
            icons.setdefault(rel, link.get("href") or "")
    candidates += [icons.get("apple-touch-icon"), icons.get("icon"), icons.get("shortcut icon")]
    for candidate in candidates:
        url = _absolute(candidate, base)
        if url and len(url) <= URL_MAX_CHARS:
            return url
    return ""


# ---------------------------------------------------------------- links


def _section_links(document: HtmlElement, base: str, homepage: str) -> list[str]:
    """Links on this site (or a subdomain: blog.acme.com) whose text or last path segment
    says blog, news or press, at most two segments deep so articles are left out."""
    found: list[str] = []
    home = canonical_url(homepage)
    for anchor in document.iter("a"):
        url = _absolute(anchor.get("href"), base)
        if url is None or url == home or url in found or not _on_site(url, homepage):
            continue
        segments = [part for part in urlsplit(url).path.lower().split("/") if part]
        text = " ".join((anchor.text_content() or "").split())
        says_section = bool(segments and _SECTION_SEGMENT.match(segments[-1])) or (
            len(text) <= _SECTION_TEXT_MAX_CHARS and bool(_SECTION_TEXT.search(text))
        )
        if says_section and len(segments) <= 2:
            found.append(url)
            if len(found) >= MAX_SECTION_LINKS:
                break
    return found


def _on_site(url: str, homepage: str) -> bool:
    # Ports count: 127.0.0.1:8001 is not the site served from 127.0.0.1:8000.
    if _port(url) != _port(homepage):
        return False
    host, site = _bare_host(url), _bare_host(homepage)
    return bool(site) and (host == site or host.endswith(f".{site}"))


def _port(url: str) -> int | None:
    parts = urlsplit(url)
    return parts.port or {"http": 80, "https": 443}.get(parts.scheme)


def _bare_host(url: str) -> str:
    return (urlsplit(url).hostname or "").rstrip(".").lower().removeprefix("www.")


def _absolute(href: str | None, base: str) -> str | None:
    value = (href or "").strip()
    if not value or value.startswith("#"):
        return None
    try:
        return canonical_url(urljoin(base, value))
    except ValueError:
        return None


def _first(values: Iterator[str]) -> str:
    return next((value for value in values if value), "")


def _path_segments(url: str) -> list[str]:
    return [part for part in urlsplit(url).path.split("/") if part]


def _twitter_handle(url: str) -> str:
    segments = _path_segments(url)
    if _bare_host(url) not in _TWITTER_HOSTS or not segments:
        return ""
    handle = segments[0].removeprefix("@")
    ok = _TWITTER_HANDLE.match(handle) and handle.lower() not in _TWITTER_RESERVED
    return handle if ok else ""


def _twitter_handle_from_meta(value: str) -> str:
    handle = value.strip().removeprefix("@")
    return handle if _TWITTER_HANDLE.match(handle) else ""


def _instagram_handle(url: str) -> str:
    segments = _path_segments(url)
    if _bare_host(url) != "instagram.com" or not segments:
        return ""
    handle = segments[0]
    ok = _INSTAGRAM_HANDLE.match(handle) and handle.lower() not in _INSTAGRAM_RESERVED
    return handle if ok else ""


def _linkedin_url(url: str) -> str:
    if not (_bare_host(url) == "linkedin.com" or _bare_host(url).endswith(".linkedin.com")):
        return ""
    match = _LINKEDIN_PAGE.match(urlsplit(url).path)
    return f"https://www.linkedin.com/{match.group(1)}/{match.group(2)}" if match else ""


def _github_account(hrefs: list[str]) -> tuple[str, list[str]]:
    """The account linked most often (ties: the first seen), and its linked repositories."""
    owners: Counter[str] = Counter()
    spellings: dict[str, str] = {}
    repos: dict[str, list[str]] = {}
    for href in hrefs:
        segments = _path_segments(href)
        if _bare_host(href) != "github.com" or not segments:
            continue
        owner = segments[0]
        if owner.lower() in _GITHUB_RESERVED or not _GITHUB_NAME.match(owner):
            continue
        key = owner.lower()
        owners[key] += 1
        spellings.setdefault(key, owner)
        repo = segments[1].removesuffix(".git") if len(segments) > 1 else ""
        linked = repos.setdefault(key, [])
        if repo and _GITHUB_REPO.match(repo) and f"{owner}/{repo}" not in linked:
            linked.append(f"{owner}/{repo}")
    if not owners:
        return "", []
    key = max(owners, key=lambda name: owners[name])  # max() keeps the first of equals
    return spellings[key], repos[key]
