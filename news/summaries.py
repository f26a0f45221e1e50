"""Extractive summaries for items whose feed gave none worth showing.

Pure: strings in, strings out. ``extractive_summary`` takes the first meaningful
sentences of an article, skipping the furniture that article text tends to start with
(cookie notices, share buttons, bylines, datelines, headings), and cuts at a sentence
boundary. ``is_usable_summary`` tells whether a feed's own summary is worth keeping.
"""

from __future__ import annotations

import difflib
import html
import re
import unicodedata
from collections.abc import Iterator

from news.normalization import html_to_text

DEFAULT_MAX_CHARS = 300
MIN_USABLE_SUMMARY_CHARS = 40
# A paragraph shorter than this, or with fewer words, is a heading or a caption.
MIN_PARAGRAPH_CHARS = 30
MIN_PARAGRAPH_WORDS = 4
# A paragraph without closing punctuation still counts when it is this long: feeds
# often drop the final full stop.
MIN_UNPUNCTUATED_WORDS = 10
MIN_UNPUNCTUATED_CHARS = 60
# Boilerplate is short; a long paragraph that happens to say "cookies" is content.
MAX_BOILERPLATE_CHARS = 300
# Only the start of the text is examined: the summary comes from there, and this keeps
# the cost flat for very long articles.
SCAN_CHARS = 20_000

# ---------------------------------------------------------------- text preparation


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


_MARKUP = re.compile(r"<[A-Za-z!/][^<>]{0,2000}>")
# Control characters, lone surrogates, and invisible characters that only make equal
# strings differ.
_CONTROL_CHARS = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\u200b\u2060\ufeff\u00ad]"
)
_HORIZONTAL_SPACE = re.compile(r"[^\S\n]+")
_LIST_MARKER = re.compile(r"^(?:[-*\u2022\u25aa\u2013\u2014>#]+|\d{1,2}[.)])\s+")
# "SAN FRANCISCO, March 3, 2025 /PRNewswire/ -- OpenAI today ..."
_DATELINE = re.compile(
    r"^[A-Z][A-Z.'\- ]{1,40}(?:,\s*[A-Z][A-Za-z.\- ]{1,30})?"
    r"(?:,\s*[A-Z][a-z]{2,8}\.?\s+\d{1,2}(?:,\s*\d{4})?)?"
    r"\s*(?:/[^/\n]{2,40}/)?\s*(?:--|\u2014|\u2013)\s+"
)


def _plain_text(text: str) -> str:
    text = text[:SCAN_CHARS]
    text = html_to_text(text) if _MARKUP.search(text) else html.unescape(text)
    text = unicodedata.normalize("NFC", _CONTROL_CHARS.sub("", text))
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _paragraphs(text: str) -> list[str]:
    paragraphs = []
    for raw_line in text.split("\n"):
        line = _HORIZONTAL_SPACE.sub(" ", raw_line).strip()
        line = _LIST_MARKER.sub("", line)
        if line:
            paragraphs.append(line)
    return paragraphs


# ---------------------------------------------------------------- boilerplate

# Lines that start like page furniture. Only short lines are tested against these, so a
# real sentence such as "Share prices rose after ..." is not thrown away.
_FURNITURE = re.compile(
    r"""^(?:
        share(?:\s+(?:this(?:\s+\w+)?|on\s+\w+|via\s+\w+|article|post|story))?\s*[:|!]?\s*$
      | (?:tweet|email|print|copy\s+link|save|bookmark)\b\s*$
      | (?:facebook|twitter|linkedin|reddit|whatsapp|telegram|x)\s*(?:[|/\u00b7,]|$)
      | authors?\s*:
      | (?:read\s+more|continue\s+reading|read\s+next|see\s+also|related(?:\s+\w+)?\s*:)
      | listen\s+to\s+(?:this|the)\s+(?:article|story|episode|podcast)
      | \d+\s*(?:min(?:ute)?s?|m)\.?\s+read\b
      | (?:reading\s+time|estimated\s+reading)
      | (?:image|photo|photograph|illustration|video|credit|source|caption|picture)s?
        (?:\s+(?:credit|courtesy|source))?\s*:
      | (?:getty\s+images|ap\s+photo|shutterstock)\b
      | skip\s+to\b | jump\s+to\b | table\s+of\s+contents | contents\s*$ | menu\s*$ | home\s*$
      | advertisement | sponsored\b | (?:tags?|categories|topics?|filed\s+under)\s*:
      | (?:subscribe|sign\s+up|join\s+our|get\s+the\s+latest)\b
      | all\s+rights\s+reserved | \u00a9 | copyright\b
      | (?:поделиться|читайте\s+также|читать\s+также|подписывайтесь|реклама)
      | (?:автор|фото|источник)\s*:
    )""",
    re.IGNORECASE | re.VERBOSE,
)
MAX_FURNITURE_CHARS = 120
# "By Jane Doe", "Posted by Jane Doe | March 3": case matters, or "By the end of the year,
# ..." would go too.
_BYLINE = re.compile(
    r"^(?:(?:Written|Posted|Published|Reported|Reporting|Words|Photos?|Story)\s+)?"
    r"(?:[Bb]y|BY)\s+(?:[^\W\d_][^\W\d_.'\-]*[.'\-]?\s*){1,4}(?:$|[,|\u00b7\u2022/]|and\s)"
)
_COOKIE = re.compile(r"\bcookies?\b|куки|cookie-?файл", re.IGNORECASE)
_COOKIE_CONTEXT = re.compile(
    r"\b(?:accept|consent|polic(?:y|ies)|settings|preferences|we\s+use|uses|manage|reject)\b"
    r"|использу",
    re.IGNORECASE,
)
_NEWSLETTER = re.compile(
    r"\b(?:newsletters?|unsubscribe|subscribe\s+(?:now|today|here|for\s+free|to\s+(?:our|the)))\b",
    re.IGNORECASE,
)
_READING_TIME = re.compile(r"\b\d+\s*(?:min(?:ute)?s?|m)\.?\s+read\b", re.IGNORECASE)
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_DATE_WORDS = _word_set(
    """
    jan january feb february mar march apr april may jun june jul july aug august sep
    sept september oct october nov november dec december mon monday tue tues tuesday wed
    wednesday thu thur thurs thursday fri friday sat saturday sun sunday am pm utc gmt et
    pt pst pdt est edt cet cest bst ist msk updated published posted on at by last
    modified min mins minute minutes read st nd rd th today yesterday ago hour hours
    января февраля марта апреля мая июня июля августа сентября октября ноября декабря
    года обновлено опубликовано мин чтения сегодня вчера
    """
) | {"г", "в"}  # noqa: RUF001 - Cyrillic words, not Latin look-alikes


def _is_boilerplate(line: str) -> bool:
    if len(line) > MAX_BOILERPLATE_CHARS:
        return False
    if len(line) <= MAX_FURNITURE_CHARS and (_FURNITURE.match(line) or _BYLINE.match(line)):
        return True
    if _COOKIE.search(line) and _COOKIE_CONTEXT.search(line):
        return True
    if _NEWSLETTER.search(line) and len(line) < 160:
        return True
    if _READING_TIME.search(line) and len(line) < 80:
        return True
    return _is_date_only(line)


def _is_date_only(line: str) -> bool:
    words = _WORD.findall(line.lower())
    return bool(words) and all(word.isdigit() or word in _DATE_WORDS for word in words)


def _is_breadcrumb(line: str) -> bool:
    parts = re.split(r"\s+[>/\u203a\u00bb|]\s+", line)
    return len(parts) >= 3 and all(len(part.split()) <= 4 for part in parts)


def _is_meaningful(paragraph: str) -> bool:
    if _is_boilerplate(paragraph) or _is_breadcrumb(paragraph):
        return False
    words = len(paragraph.split())
    if _has_cjk(paragraph):
        # CJK prose has no spaces between words; count characters instead.
        words = max(words, len(paragraph) // 2)
    if _ends_sentence(paragraph):
        return len(paragraph) >= MIN_PARAGRAPH_CHARS and words >= MIN_PARAGRAPH_WORDS
    return len(paragraph) >= MIN_UNPUNCTUATED_CHARS and words >= MIN_UNPUNCTUATED_WORDS


_CJK = re.compile("[\u3040-\u9fff\uac00-\ud7af]")


def _has_cjk(text: str) -> bool:
    return _CJK.search(text) is not None


_CLOSERS = "\"'\u201d\u2019\u00bb)]"
_TERMINATORS = ".!?\u2026\u3002\uff01\uff1f"


def _ends_sentence(text: str) -> bool:
    stripped = text.rstrip(_CLOSERS + " ")
    return bool(stripped) and stripped[-1] in _TERMINATORS


# ---------------------------------------------------------------- sentences

# A candidate boundary: terminal punctuation, optional closing quotes or brackets, then
# whitespace. CJK terminators need no whitespace after them.
_BOUNDARY = re.compile(
    "(?:[.!?\u2026]+[\"'\u201d\u2019\u00bb)\\]]*(?=\\s)|[\u3002\uff01\uff1f]+[\u300d\u300f\uff09]*)"
)
# Never a sentence end: titles before a name, Latin abbreviations, months before a day.
_FIXED_ABBREVIATIONS = _word_set(
    """
    mr mrs ms dr prof sr jr st mt gen gov sen rep lt col capt sgt rev hon fr
    e.g i.e cf vs approx no nos vol fig figs dept est ca appx ref refs eq
    jan feb mar apr jun jul aug sep sept oct nov dec
    """
) | _word_set("т.е т.д т.п г гг им др см ул рис тыс млн млрд руб долл")  # noqa: RUF001
# A sentence end only when a typical sentence opener follows: "Acme Inc. The company"
# ends a sentence, "Acme Inc. CEO Jane Doe" and "the U.S. President" do not.
_SOFT_ABBREVIATIONS = _word_set("inc ltd corp co llc plc gmbh ag sa bv etc al")
_INITIALISM = re.compile(r"^(?:[a-z]\.)+[a-z]$")
_SENTENCE_OPENERS = _word_set(
    """
    the a an it its this that these those there here we our they their he she his her i
    in on at for from by with without as after before while when since during until but
    and or so yet still also however meanwhile today now last earlier later next then
    according both each every many most some other another if what why how where who
    one two three four five six seven eight nine ten
    """
)


def _sentences(paragraph: str) -> Iterator[str]:
    # Lazy: a summary needs only the first few sentences of a long paragraph.
    start = 0
    for match in _BOUNDARY.finditer(paragraph):
        if _is_sentence_end(paragraph, match):
            sentence = paragraph[start : match.end()].strip()
            if sentence:
                yield sentence
            start = match.end()
    rest = paragraph[start:].strip()
    if rest:
        yield rest


# How far around a full stop to look for the words on either side.
_NEIGHBOURHOOD_CHARS = 80


def _is_sentence_end(paragraph: str, match: re.Match[str]) -> bool:
    punctuation = match.group()
    following = paragraph[match.end() : match.end() + _NEIGHBOURHOOD_CHARS].lstrip()
    if not following:
        return True
    if punctuation[0] in "\u3002\uff01\uff1f":
        return True
    next_word = following.split(maxsplit=1)[0]
    first = next_word.lstrip("\"'\u201c\u2018\u00ab([")[:1]
    if first and first.islower():
        return False
    if punctuation.rstrip(_CLOSERS) != ".":
        return True
    before = paragraph[max(0, match.start() - _NEIGHBOURHOOD_CHARS) : match.start()]
    word = before.rsplit(maxsplit=1)[-1].lstrip("\"'\u201c\u2018\u00ab([")
    lowered = word.lower()
    if lowered in _FIXED_ABBREVIATIONS:
        return False
    if len(word) == 1 and word.isalpha() and word.isupper():
        # An initial, as in "J. R. R. Tolkien".
        return False
    if lowered in _SOFT_ABBREVIATIONS or _INITIALISM.match(lowered):
        opener = next_word.strip("\"'\u201c\u2018\u00ab([,").lower()
        return opener in _SENTENCE_OPENERS
    return True


# ---------------------------------------------------------------- summary


def extractive_summary(text: str, *, max_chars: int = DEFAULT_MAX_CHARS) -> str:
    """The first meaningful sentences of ``text``, at most ``max_chars`` long.

    Whole sentences are taken while they fit. When even the first sentence is longer than
    the allowance it is cut at a clause or word boundary and ends with "…". Returns an
    empty string when the text holds nothing that reads like prose.
    """
    if max_chars <= 0:
        return ""
    paragraphs = _paragraphs(_plain_text(text))
    meaningful = [paragraph for paragraph in paragraphs if _is_meaningful(paragraph)]
    if not meaningful:
        # Release notes and short teasers: no proper paragraph, but some text is better
        # than none as long as it is not boilerplate.
        fallback = "; ".join(
            paragraph
            for paragraph in paragraphs
            if not _is_boilerplate(paragraph) and len(paragraph.split()) >= 2
        )
        return _cut(fallback, max_chars) if fallback else ""
    meaningful[0] = _DATELINE.sub("", meaningful[0], count=1)
    summary = ""
    for paragraph in meaningful:
        for sentence in _sentences(paragraph):
            if _is_boilerplate(sentence):
                continue
            joined = _join(summary, sentence)
            if len(joined) > max_chars:
                return summary or _cut(sentence, max_chars)
            summary = joined
    return summary


def _join(summary: str, sentence: str) -> str:
    if not summary:
        return sentence
    # CJK sentences follow each other without a space.
    separator = "" if summary[-1] in "\u3002\uff01\uff1f" else " "
    return summary + separator + sentence


_CLAUSE_BREAK = re.compile(r"[,;:\u2013\u2014]\s|\s[-\u2013\u2014]\s")


def _cut(text: str, max_chars: int) -> str:
    if len(text) <= max_chars:
        return text
    budget = text[: max_chars - 1]
    clause_ends = [match.start() for match in _CLAUSE_BREAK.finditer(budget)]
    if clause_ends and clause_ends[-1] >= max_chars * 0.6:
        cut = budget[: clause_ends[-1]]
    else:
        space = budget.rfind(" ")
        # One unbroken run (CJK prose, a URL): cutting mid-run beats returning little.
        cut = budget[:space] if space >= max_chars * 0.5 else budget
    return cut.rstrip(" ,;:-\u2013\u2014([{\"'") + "\u2026"


# ---------------------------------------------------------------- usability

_FEED_TRAILERS = re.compile(
    r"(?:the\s+post\s+.{1,400}?\s+appeared\s+first\s+on\s+.{1,200}?\.?\s*$"
    r"|(?:continue\s+reading|read\s+more|read\s+the\s+full\s+(?:story|article)|comments)"
    r"\s*(?:\W{0,6})$"
    r"|\[(?:\u2026|\.\.\.)\]\s*$)",
    re.IGNORECASE | re.DOTALL,
)
_NON_WORD = re.compile(r"[\W_]+")
_ELLIPSIS_END = re.compile(r"(?:\u2026|\.{3})\s*$")
# A title plus a short tag such as "| TechCrunch" or "- OpenAI" is still just the title.
MAX_TITLE_SUFFIX_CHARS = 25
NEAR_TITLE_RATIO = 0.9
MAX_COMPARED_CHARS = 1_000


def is_usable_summary(summary: str, *, title: str) -> bool:
    """Whether a feed's summary says more than the title does.

    False when the summary is empty or short, repeats the title (exactly, nearly, with a
    site name appended, or cut off with an ellipsis), or is only a feed trailer such as
    "The post … appeared first on …" or "Continue reading".
    """
    text = _plain_one_line(summary)
    for _ in range(3):
        stripped = _FEED_TRAILERS.sub("", text).strip()
        if stripped == text:
            break
        text = stripped
    if len(text) < MIN_USABLE_SUMMARY_CHARS:
        return False
    comparable_summary = _comparable(_ELLIPSIS_END.sub("", text))
    comparable_title = _comparable(_plain_one_line(title))
    if not comparable_summary:
        return False
    if not comparable_title:
        return True
    if comparable_title.startswith(comparable_summary):
        return False
    if comparable_summary.startswith(comparable_title):
        return len(comparable_summary) - len(comparable_title) > MAX_TITLE_SUFFIX_CHARS
    longest = max(len(comparable_summary), len(comparable_title))
    if abs(len(comparable_summary) - len(comparable_title)) > longest * (1 - NEAR_TITLE_RATIO):
        return True
    # The comparison is quadratic; a title is never this long, so the cap costs nothing.
    matcher = difflib.SequenceMatcher(
        None,
        comparable_summary[:MAX_COMPARED_CHARS],
        comparable_title[:MAX_COMPARED_CHARS],
        autojunk=False,
    )
    return matcher.ratio() < NEAR_TITLE_RATIO


def _plain_one_line(text: str) -> str:
    return " ".join(_plain_text(text).split())


def _comparable(text: str) -> str:
    return _NON_WORD.sub(" ", text.casefold()).strip()
