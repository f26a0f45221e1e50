"""Read HTML pages: article links on a listing page, and the feeds a page advertises.

No network and no ORM. Links come back absolute, canonical and in page order, so a
caller can diff them against what it already stored.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.html  # type: ignore[import-untyped]
from lxml import etree

from news.canonical_urls import canonical_url, is_same_site
from news.normalization import decode_markup

try:
    from lxml.cssselect import CSSSelector  # type: ignore[import-untyped]
except ImportError:  # cssselect is optional; a common subset of CSS is translated below
    CSSSelector = None

# Bigger pages are cut rather than refused: the links that matter come first, and a
# listing page this large is a page of junk anyway.
MAX_HTML_CHARS = 5_000_000

HtmlElement = Any  # lxml ships no type information

_MARKUP = re.compile(r"<[A-Za-z!]")
_MARKUP_SNIFF_CHARS = 65_536


def parse_html_document(
    content: str | bytes, *, max_chars: int = MAX_HTML_CHARS
) -> HtmlElement | None:
    """Parse a whole HTML document with lxml; ``None`` when there is nothing to parse."""
    text = decode_markup(content)[:max_chars]
    # lxml wraps bare text in <html><body><p>, and trafilatura would then "extract" a
    # binary blob or a lone URL as an article.
    if not _MARKUP.search(text, 0, _MARKUP_SNIFF_CHARS):
        return None
    try:
        return lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError):
        return None


def effective_base_url(document: HtmlElement, page_url: str) -> str:
    """``page_url`` adjusted by the document's ``<base href>``, when it has a usable one."""
    for base in document.iter("base"):
        href: str = (base.get("href") or "").strip()
        if href:
            resolved = urljoin(page_url, href)
            if urlsplit(resolved).scheme in {"http", "https"}:
                return resolved
        break
    return page_url


# ---------------------------------------------------------------- feed discovery

_FEED_MEDIA_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/feed+json",
        "application/json",
        "application/x-rss+xml",
        "application/x-atom+xml",
    }
)


def discover_feed_links(html: str | bytes, *, base_url: str) -> list[str]:
    """Feeds advertised with ``<link rel="alternate" type="…">``, in page order.

    Comment feeds (WordPress adds one per post) are left out: they are not news.
    Feeds may live on another host (feedburner, a CDN), so no same-site filter applies.
    """
    document = parse_html_document(html)
    if document is None:
        return []
    base = effective_base_url(document, base_url)
    found: list[str] = []
    for link in document.iter("link"):
        rel_tokens = (link.get("rel") or "").lower().split()
        media_type = (link.get("type") or "").split(";", 1)[0].strip().lower()
        if "alternate" not in rel_tokens or media_type not in _FEED_MEDIA_TYPES:
            continue
        title = (link.get("title") or "").lower()
        url = _absolute_http_url(link.get("href"), base)
        if url is None or "comments" in title or "/comments/" in urlsplit(url).path:
            continue
        if url not in found:
            found.append(url)
    return found


# ---------------------------------------------------------------- article links

# Path segments that name an index, an account page or a machine-readable view.
_EXCLUDED_SEGMENTS = frozenset(
    {
        "tag",
        "tags",
        "topic",
        "topics",
        "category",
        "categories",
        "author",
        "authors",
        "page",
        "feed",
        "feeds",
        "rss",
        "atom",
        "login",
        "log-in",
        "signin",
        "sign-in",
        "signup",
        "sign-up",
        "register",
        "logout",
        "account",
        "search",
        "subscribe",
        "cart",
        "wp-login.php",
        "wp-admin",
        "cdn-cgi",
    }
)
_EXCLUDED_QUERY_KEYS = frozenset({"page", "paged", "replytocom", "s", "q", "tag", "category"})
_NON_HTML_EXTENSIONS = re.compile(
    r"\.(?:jpe?g|png|gif|webp|avif|svg|ico|css|js|mjs|json|xml|rss|atom|zip|gz|tgz|pdf|"
    r"mp3|mp4|webm|mov|woff2?|ttf|eot|exe|dmg)$",
    re.IGNORECASE,
)
_UNLINKABLE_PREFIXES = ("#", "mailto:", "tel:", "javascript:", "data:", "sms:")

_YEAR = re.compile(r"^(?:199\d|20\d\d)$")
_MONTH_OR_DAY = re.compile(r"^\d{1,2}$")
_DATE_IN_SEGMENT = re.compile(
    r"(?:^|\D)(?:199\d|20\d\d)-?(?:0[1-9]|1[0-2])-?(?:[0-2]\d|3[01])(?:\D|$)"
)
_NUMERIC_ID = re.compile(r"^\d{3,}$")

# Substrings of class/id that mark the content area, and whole name parts ("post-card"
# has the parts "post" and "card") that mark one item in a list of posts.
_CONTENT_HINTS = ("post", "article", "entry", "card", "news", "blog")
_ITEM_NAME_PARTS = frozenset(
    {"post", "posts", "entry", "entries", "card", "article", "teaser", "story"}
)
_NAVIGATION_NAME_PARTS = frozenset(
    {"nav", "navbar", "navigation", "menu", "breadcrumb", "breadcrumbs", "pagination", "pager"}
)
_CHROME_NAME_PARTS = frozenset({"header", "footer", "masthead"})
_NAVIGATION_ROLES = frozenset({"navigation", "menu", "menubar"})
_CHROME_ROLES = frozenset({"banner", "contentinfo"})
_NAME_PART_SEPARATORS = re.compile(r"[\s_-]+")


def extract_article_links(
    html: str | bytes,
    *,
    base_url: str,
    css_selector: str | None = None,
    limit: int = 50,
) -> list[str]:
    """Links from a listing page to articles on the same site, in page order.

    With ``css_selector``, links inside (or equal to) the matched elements are taken as
    the source's configuration says, and only address-based filters apply: off-site,
    the listing itself, fragments, mailto/javascript, tag/category/author/page/feed/login
    pages and static files. Without it, links in nav, page header and page footer are
    ignored, the path must look like an article (deeper than the listing, or with a date,
    slug or numeric id), and links inside ``<article>``/``<main>``/post-like containers
    win over the rest of the page when there are any.

    Raises ``ValueError`` for a selector this module cannot evaluate, or when
    ``base_url`` is not an http(s) URL.
    """
    select = compile_css_selector(css_selector) if css_selector else None
    document = parse_html_document(html)
    if document is None:
        return []
    page_url = canonical_url(base_url)
    base = effective_base_url(document, page_url)
    if select is not None:
        anchors = _anchors_within(select(document))
        urls = [
            url for anchor in anchors if (url := _article_url(anchor, base, page_url)) is not None
        ]
        return _first_unique(urls, limit)
    candidates = list(_heuristic_candidates(document, base, page_url))
    in_content = [candidate.url for candidate in candidates if candidate.in_content]
    return _first_unique(in_content or [candidate.url for candidate in candidates], limit)


@dataclass(frozen=True)
class _Candidate:
    url: str
    in_content: bool


def _heuristic_candidates(document: HtmlElement, base: str, page_url: str) -> Iterator[_Candidate]:
    listing_segments = _segments(page_url)
    for anchor in document.iter("a"):
        url = _article_url(anchor, base, page_url)
        if url is None or not _path_looks_like_article(url, listing_segments):
            continue
        placement = _placement(anchor)
        if placement is not None:
            yield _Candidate(url=url, in_content=placement == "content")


def _placement(anchor: HtmlElement) -> str | None:
    """ "content", "page", or ``None`` for links in navigation and page header/footer."""
    # A <header> or <footer> inside an <article> card holds that card's title and
    # metadata links, so it is chrome only when no item element encloses it.
    in_chrome = False
    in_content = False
    for ancestor in anchor.iterancestors():
        tag = ancestor.tag if isinstance(ancestor.tag, str) else ""
        if tag in {"body", "html"}:
            break  # WordPress puts "single-post" and "blog" on <body>: they say nothing
        role = (ancestor.get("role") or "").lower()
        names = f"{ancestor.get('class') or ''} {ancestor.get('id') or ''}".lower()
        name_parts = set(_NAME_PART_SEPARATORS.split(names))
        if tag == "nav" or role in _NAVIGATION_ROLES or name_parts & _NAVIGATION_NAME_PARTS:
            return None
        if tag in {"header", "footer"} or role in _CHROME_ROLES or name_parts & _CHROME_NAME_PARTS:
            in_chrome = True
        elif tag == "article" or name_parts & _ITEM_NAME_PARTS:
            in_chrome = False
            in_content = True
        elif not in_chrome and (
            tag == "main" or role == "main" or any(hint in names for hint in _CONTENT_HINTS)
        ):
            in_content = True
    if in_chrome:
        return None
    return "content" if in_content else "page"


def _article_url(anchor: HtmlElement, base: str, page_url: str) -> str | None:
    url = _absolute_http_url(anchor.get("href"), base)
    if url is None or not is_same_site(url, page_url):
        return None
    if _same_page(url, page_url):
        return None
    parts = urlsplit(url)
    segments = [segment.lower() for segment in parts.path.split("/") if segment]
    if any(segment in _EXCLUDED_SEGMENTS for segment in segments):
        return None
    if segments and _NON_HTML_EXTENSIONS.search(segments[-1]):
        return None
    query_keys = {pair.partition("=")[0].lower() for pair in parts.query.split("&") if pair}
    if query_keys & _EXCLUDED_QUERY_KEYS:
        return None
    return url


def _path_looks_like_article(url: str, listing_segments: list[str]) -> bool:
    segments = _segments(url)
    if not segments or _is_date_archive(segments):
        return False
    # Depth alone proves nothing below a home page, where "/about" is one level down too.
    if listing_segments and len(segments) > len(listing_segments):
        return True
    last = segments[-1]
    return bool(
        _DATE_IN_SEGMENT.search(last)
        or any(_YEAR.match(segment) for segment in segments)
        or _NUMERIC_ID.match(last)
        or last.count("-") + last.count("_") >= 2
    )


def _is_date_archive(segments: list[str]) -> bool:
    # /2024/ and /2024/05/ list a month's posts; /2024/05/some-post is a post.
    tail = segments[-3:]
    first_year = next((index for index, part in enumerate(tail) if _YEAR.match(part)), None)
    if first_year is None:
        return False
    return all(_MONTH_OR_DAY.match(part) for part in tail[first_year + 1 :])


def _segments(url: str) -> list[str]:
    return [segment for segment in urlsplit(url).path.lower().split("/") if segment]


def _same_page(url: str, page_url: str) -> bool:
    first, second = urlsplit(url), urlsplit(page_url)
    return (
        is_same_site(url, page_url)
        and first.path.rstrip("/") == second.path.rstrip("/")
        and first.query == second.query
    )


def _absolute_http_url(href: str | None, base: str) -> str | None:
    value = (href or "").strip()
    if not value or value.lower().startswith(_UNLINKABLE_PREFIXES):
        return None
    try:
        return canonical_url(value, base_url=base)
    except ValueError:
        return None


def _anchors_within(elements: Iterable[HtmlElement]) -> Iterator[HtmlElement]:
    for element in elements:
        if element.tag == "a":
            yield element
        else:
            yield from element.iterdescendants("a")


def _first_unique(urls: Iterable[str], limit: int) -> list[str]:
    unique: list[str] = []
    for url in urls:
        if url not in unique:
            unique.append(url)
            if len(unique) >= limit:
                break
    return unique


# ---------------------------------------------------------------- CSS selectors


def compile_css_selector(selector: str) -> Callable[[HtmlElement], list[HtmlElement]]:
    """A callable returning the elements of a document that match ``selector``.

    Uses cssselect (full CSS 3) when installed. Without it, a common subset is
    translated to XPath: type, universal, ``.class``, ``#id``, attribute selectors
    (``[a]``, ``=``, ``~=``, ``^=``, ``$=``, ``*=``), descendant and child combinators
    and selector lists. Raises ``ValueError`` for anything else.
    """
    if CSSSelector is not None:
        try:
            compiled = CSSSelector(selector)
        except Exception as error:
            raise ValueError(f"Invalid CSS selector {selector!r}: {error}") from error
        return lambda document: list(compiled(document))
    expression = etree.XPath(css_to_xpath(selector))
    return lambda document: list(expression(document))


_CSS_TOKEN = re.compile(
    r"""
    (?P<space>\s*>\s*|\s*,\s*|\s+)
    | (?P<type>\*|[A-Za-z][A-Za-z0-9-]*)
    | (?P<class>\.-?[_A-Za-z][\w-]*)
    | (?P<id>\#-?[_A-Za-z][\w-]*)
    | \[\s*(?P<attribute>[A-Za-z_][\w:-]*)\s*
        (?:(?P<operator>[~^$*]?=)\s*(?P<value>"[^"]*"|'[^']*'|[\w-]+)\s*)?\]
    """,
    re.VERBOSE,
)


def css_to_xpath(selector: str) -> str:
    """Translate the supported CSS subset (see ``compile_css_selector``) to XPath 1.0."""
    groups: list[str] = []
    steps: list[str] = []
    axis = "descendant-or-self::"
    step_tag = ""
    predicates: list[str] = []

    def close_step() -> None:
        nonlocal step_tag, predicates
        if step_tag or predicates:
            steps.append(f"{axis}{step_tag or '*'}" + "".join(f"[{p}]" for p in predicates))
        step_tag, predicates = "", []

    position = 0
    text = selector.strip()
    if not text:
        raise ValueError("Empty CSS selector")
    while position < len(text):
        match = _CSS_TOKEN.match(text, position)
        if match is None:
            raise ValueError(
                f"Unsupported CSS selector {selector!r} near {text[position : position + 20]!r}"
            )
        position = match.end()
        kind = match.lastgroup if match.group("attribute") is None else "attribute"
        if kind == "space":
            combinator = match.group("space").strip()
            if not (step_tag or predicates):
                raise ValueError(f"Unsupported CSS selector {selector!r}: dangling combinator")
            close_step()
            if combinator == ",":
                groups.append("/".join(steps))
                steps, axis = [], "descendant-or-self::"
            else:
                axis = "child::" if combinator == ">" else "descendant::"
        elif kind == "type":
            if step_tag or predicates:
                raise ValueError(f"Unsupported CSS selector {selector!r}: misplaced type")
            step_tag = match.group("type").lower()
        elif kind == "class":
            predicates.append(_word_in_attribute("class", match.group("class")[1:]))
        elif kind == "id":
            predicates.append(f"@id={_xpath_literal(match.group('id')[1:])}")
        else:
            predicates.append(_attribute_predicate(match))
    if not (step_tag or predicates):
        raise ValueError(f"Unsupported CSS selector {selector!r}: dangling combinator")
    close_step()
    groups.append("/".join(steps))
    return " | ".join(groups)


def _attribute_predicate(match: re.Match[str]) -> str:
    name = match.group("attribute").lower()
    operator = match.group("operator")
    if operator is None:
        return f"@{name}"
    value = match.group("value")
    if value[:1] in {'"', "'"}:
        value = value[1:-1]
    literal = _xpath_literal(value)
    if operator == "=":
        return f"@{name}={literal}"
    if operator == "~=":
        return _word_in_attribute(name, value)
    if operator == "^=":
        return f"starts-with(@{name}, {literal})"
    if operator == "*=":
        return f"contains(@{name}, {literal})"
    return f"substring(@{name}, string-length(@{name}) - string-length({literal}) + 1) = {literal}"


def _word_in_attribute(name: str, word: str) -> str:
    return f"contains(concat(' ', normalize-space(@{name}), ' '), {_xpath_literal(f' {word} ')})"


def _xpath_literal(value: str) -> str:
    if "'" not in value:
        return f"'{value}'"
    if '"' not in value:
        return f'"{value}"'
    raise ValueError(f"CSS selector value mixes both quote characters: {value!r}")
