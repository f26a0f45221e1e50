"""Text cleaning, document decoding and date normalisation.

Everything here is pure: strings in, strings (or datetimes) out, with no network and no ORM.
Feed parsing, listing pages and article extraction all funnel their output through these
functions, so stored items look the same whichever route they arrived by.
"""

from __future__ import annotations

import html
import re
import time
import unicodedata
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import lxml.html  # type: ignore[import-untyped]
from lxml import etree

# ---------------------------------------------------------------- plain text

_BLOCK_TAGS = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "caption",
        "dd",
        "details",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tr",
        "ul",
    }
)
_CELL_TAGS = frozenset({"td", "th"})
_INVISIBLE_TAGS = frozenset(
    {"script", "style", "template", "noscript", "head", "title", "svg", "math", "iframe"}
)
# C0/C1 controls other than tab, newline and carriage return; lone surrogates, which cannot
# be encoded; and zero-width or formatting characters that only make equal strings differ.
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_INVISIBLE_CHARS = re.compile("[\u00ad\u200b\u2060\ufeff]")
_HORIZONTAL_SPACE = re.compile(r"[^\S\n]+")
_ANY_SPACE = re.compile(r"\s+")


def html_to_text(html_fragment: str) -> str:
    """Plain text of an HTML fragment or document: one line per block element.

    Script, style and similar invisible content is left out; runs of whitespace inside a
    line collapse to one space and empty lines disappear.
    """
    root = _parse_fragment(html_fragment)
    if root is None:
        return ""
    pieces: list[str] = []
    invisible_depth = 0
    preformatted_depth = 0
    for event, element in etree.iterwalk(root, events=("start", "end")):
        tag = element.tag if isinstance(element.tag, str) else ""
        if event == "start":
            if tag in _INVISIBLE_TAGS:
                invisible_depth += 1
            if invisible_depth:
                continue
            if tag == "pre":
                preformatted_depth += 1
            if tag in _BLOCK_TAGS or tag == "br":
                pieces.append("\n")
            elif tag in _CELL_TAGS:
                pieces.append(" ")
            if tag == "img" and element.get("alt"):
                pieces.append(f" {element.get('alt')} ")
            if element.text and tag:
                pieces.append(_layout_text(element.text, preformatted_depth > 0))
            continue
        if tag in _INVISIBLE_TAGS:
            invisible_depth -= 1
        elif not invisible_depth:
            if tag in _BLOCK_TAGS:
                pieces.append("\n")
            if tag == "pre":
                preformatted_depth -= 1
        if element.tail and not invisible_depth and element is not root:
            pieces.append(_layout_text(element.tail, preformatted_depth > 0))
    lines = (_HORIZONTAL_SPACE.sub(" ", line).strip() for line in "".join(pieces).split("\n"))
    return "\n".join(line for line in lines if line)


def _layout_text(text: str, preformatted: bool) -> str:
    text = _INVISIBLE_CHARS.sub("", text)
    return text if preformatted else _ANY_SPACE.sub(" ", text)


def _parse_fragment(markup: str) -> etree._Element | None:
    markup = strip_unencodable(markup)
    if not markup.strip():
        return None
    try:
        return lxml.html.fragment_fromstring(markup, create_parent="div")
    except (etree.ParserError, ValueError):
        return None


def strip_unencodable(text: str) -> str:
    # lxml refuses strings with NUL bytes, most control characters or lone surrogates.
    return _CONTROL_CHARS.sub("", text)


_TAG = re.compile(r"</?([A-Za-z][A-Za-z0-9]*)[^<>]*>")
_SPACED_TAGS = _BLOCK_TAGS | _CELL_TAGS | {"br"}
# Latin terminators need a following space ("3.5" is not a sentence end); the CJK full
# stop and full-width marks do not, since CJK prose has no spaces.
_SENTENCE_END = re.compile("[.!?\u2026](?=\\s|$)|[\u3002\uff01\uff1f]")
_TRAILING_PUNCTUATION = " \t,;:([{\"'\u00ab\u2013\u2014-"
_MAX_UNESCAPE_ROUNDS = 3


def clean_text(text: str, *, max_length: int | None = None) -> str:
    """One line of plain text for titles, authors and summaries.

    Unescapes entities (also double-escaped ones such as ``&amp;amp;``), strips tags,
    removes control and zero-width characters, normalises to NFC and collapses whitespace.
    With ``max_length`` the result is at most that long: cut after the last sentence when
    one ends late enough in the allowance, else at the last word boundary with "…"
    appended. Text without spaces (CJK) is cut mid-run, also with "…".
    """
    cleaned = strip_unencodable(text)
    # Feeds escape titles zero, one or two times; each round peels one layer of markup or
    # escaping, and the cap keeps legitimately literal text such as "&amp;lt;" from being
    # peeled forever.
    for _ in range(_MAX_UNESCAPE_ROUNDS):
        peeled = html.unescape(_strip_tags(cleaned))
        if peeled == cleaned:
            break
        cleaned = peeled
    cleaned = strip_unencodable(cleaned)
    cleaned = _INVISIBLE_CHARS.sub("", unicodedata.normalize("NFC", cleaned))
    cleaned = _ANY_SPACE.sub(" ", cleaned).strip()
    if max_length is not None and len(cleaned) > max_length:
        return truncate_text(cleaned, max_length)
    return cleaned


def truncate_text(text: str, max_length: int) -> str:
    """Shorten ``text`` to at most ``max_length`` characters at a sensible boundary."""
    if len(text) <= max_length:
        return text
    if max_length < 2:
        return text[:max_length]
    # One character past the allowance, so the lookahead can tell "3." (mid-number)
    # from "end." (sentence) right at the limit.
    window = text[: max_length + 1]
    sentence_ends = [
        match.end() for match in _SENTENCE_END.finditer(window) if match.end() <= max_length
    ]
    sentence_end = sentence_ends[-1] if sentence_ends else 0
    if sentence_end >= max_length * 0.6:
        return window[:sentence_end].rstrip()
    budget = window[: max_length - 1]
    word_end = budget.rfind(" ") if text[max_length - 1] != " " else max_length - 1
    # Without a space in the back half the text is one long token (a URL, CJK prose):
    # cutting mid-token beats dropping half the allowance.
    cut = budget[:word_end] if word_end >= max_length * 0.5 else budget
    return cut.rstrip(_TRAILING_PUNCTUATION) + "…"


def _strip_tags(text: str) -> str:
    if "<" not in text:
        return text
    return _TAG.sub(_tag_replacement, _strip_comments(text))


def _tag_replacement(match: re.Match[str]) -> str:
    # "<b>Office hours</b>: ask" must not become "Office hours : ask", but "<p>a</p><p>b</p>"
    # must not become "ab".
    return " " if match.group(1).lower() in _SPACED_TAGS else ""


def _strip_comments(text: str) -> str:
    # A hand-rolled scan: a lazy ".*?" regex goes quadratic on many unclosed "<!--".
    pieces = []
    position = 0
    while (start := text.find("<!--", position)) != -1:
        pieces.append(text[position:start])
        end = text.find("-->", start + 4)
        if end == -1:
            position = len(text)
            break
        position = end + 3
    pieces.append(text[position:])
    return "".join(pieces)


# ---------------------------------------------------------------- documents

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)
_LATIN1_LABELS = frozenset({"iso-8859-1", "iso8859-1", "latin1", "latin-1", "us-ascii", "ascii"})
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


def decode_markup(content: str | bytes) -> str:
    """Decode an HTML document the way a browser would, never failing.

    Order: byte-order mark, ``<meta charset>`` in the first 4 KB, strict UTF-8, then
    Windows-1252 (what browsers assume for legacy pages); a declaration that the bytes
    contradict is skipped. Bytes undecodable even as Windows-1252 become U+FFFD, and
    control characters no parser accepts are dropped.
    """
    text = content if isinstance(content, str) else _decode_bytes(content)
    # lxml rejects str input that still carries an XML encoding declaration (XHTML pages)
    # or a single stray NUL byte.
    return strip_unencodable(_XML_DECLARATION.sub("", text, count=1))


def _decode_bytes(content: bytes) -> str:
    for bom, encoding in _BOMS:
        if content.startswith(bom):
            return content[len(bom) :].decode(encoding, errors="replace")
    candidates = ["utf-8", "cp1252"]
    declared = _META_CHARSET.search(content[:4096])
    if declared:
        name = declared.group(1).decode("ascii").lower()
        # Browsers read every Latin-1 label as Windows-1252 (WHATWG Encoding standard).
        candidates.insert(0, "cp1252" if name in _LATIN1_LABELS else name)
    for encoding in candidates:
        try:
            return content.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue  # an unknown label or a lying declaration: try the next guess
    return content.decode("cp1252", errors="replace")


# ---------------------------------------------------------------- dates

EARLIEST_PLAUSIBLE_DATE = datetime(1995, 1, 1, tzinfo=UTC)
FUTURE_TOLERANCE = timedelta(days=2)
_DateValue = time.struct_time | datetime | str | None


def to_utc_datetime(value: _DateValue, *, now: datetime | None = None) -> datetime | None:
    """An aware UTC datetime from a feedparser struct_time, a datetime or a date string.

    Strings may be ISO 8601 or RFC 822. Values without a zone are taken as UTC (that is how
    feedparser reports its parsed dates). Returns ``None`` for anything unparseable, before
    1995, or more than two days ahead of ``now``: a wrong date sorts an item into the wrong
    digest, while a missing one merely falls back to the time we first saw it.
    """
    parsed = _parse_date_value(value)
    if parsed is None:
        return None
    parsed = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    # Not django.utils.timezone.now(): this module must work without configured settings
    # (scripts, benchmarks), and the comparison needs an aware value whatever USE_TZ says.
    current = now or datetime.now(tz=UTC)
    if parsed < EARLIEST_PLAUSIBLE_DATE or parsed > current + FUTURE_TOLERANCE:
        return None
    return parsed


def _parse_date_value(value: _DateValue) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    if isinstance(value, time.struct_time):
        try:
            return datetime(*value[:6], tzinfo=UTC)
        except (TypeError, ValueError, OverflowError):
            return None
    return _parse_date_string(value)


def _parse_date_string(value: str) -> datetime | None:
    text = value.strip()
    if not text or len(text) > 100:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
