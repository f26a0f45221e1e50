"""Near-duplicate detection: which items tell the same story.

Pure: plain data in, plain data out. Each item gets a ``fingerprint`` when it is stored:
a MinHash signature of the normalised terms of its title and summary, a short list of
32-bit integers that is stable across processes and JSON-serialisable. Fingerprints
estimate how much two items' wording overlaps without either text at hand.

``same_story`` decides for a pair, and favours precision: two items are one story only
when they were published within 72 hours of each other, do not name different companies,
do not disagree on the model versions or money amounts in their headlines ("GPT-5" is not
"GPT-4.1", "o3" is not "o3-pro", "$2B" is not "$6B"), and share enough distinctive
wording. ``best_match`` picks the best such partner among recent items.
"""

from __future__ import annotations

import functools
import hashlib
import math
import operator
import re
import struct
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from news.keywords import STOP_WORDS, singular
from news.normalization import clean_text, html_to_text

FINGERPRINT_SIZE = 64
STORY_WINDOW = timedelta(hours=72)
# Below this estimated overlap two items are not compared any further.
CANDIDATE_SIMILARITY = 0.05
# The decision threshold on the match score (see ``story_similarity``), chosen on
# news/tests/data/story_pairs.jsonl for precision first.
SAME_STORY_THRESHOLD = 0.23
# Summaries longer than this are cut: the opening says what the story is, and the cost
# of a fingerprint stays flat for pathological inputs.
MAX_SUMMARY_CHARS = 1_000
MAX_TITLE_CHARS = 500

# ---------------------------------------------------------------- MinHash

_VALUE_MASK = 0xFFFFFFFF
# The signature of an empty text is this value throughout; two such signatures are not
# similar, since neither says anything.
_EMPTY = _VALUE_MASK
# Each of the signature's hash functions is one 32-bit slice of a term's SHAKE-128
# output, read little-endian: every process and every machine computes the same values,
# and one digest per term replaces 64 modular multiplications in Python.
_SIGNATURE = struct.Struct(f"<{FINGERPRINT_SIZE}I")


def _term_hashes(term: str) -> tuple[int, ...]:
    digest = hashlib.shake_128(term.encode("utf-8", "surrogatepass")).digest(_SIGNATURE.size)
    return _SIGNATURE.unpack(digest)


def minhash(terms: Iterable[str]) -> list[int]:
    """The MinHash signature of a set of terms (all ``_EMPTY`` for no terms)."""
    rows = [_term_hashes(term) for term in set(terms)]
    if not rows:
        return [_EMPTY] * FINGERPRINT_SIZE
    return list(map(min, zip(*rows, strict=True)))


def similarity(a: Sequence[int], b: Sequence[int]) -> float:
    """Estimated Jaccard similarity of the term sets behind two fingerprints, 0.0 to 1.0.

    Fingerprints of different lengths (made with other settings) or of empty texts are
    not comparable and score 0.0.
    """
    if len(a) != len(b) or not a or _is_empty(a) or _is_empty(b):
        return 0.0
    matches: int = sum(map(operator.eq, a, b))
    return matches / len(a)


def _is_empty(signature: Sequence[int]) -> bool:
    return all(value == _EMPTY for value in signature)


# ---------------------------------------------------------------- terms

_TOKEN = re.compile(r"[^\W_]+(?:[-.'][^\W_]+)*")
_CJK_CHARS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af"
_CJK_RUN = re.compile(f"[{_CJK_CHARS}]+")
_SCRIPT_CHANGE = re.compile(
    f"(?<=[{_CJK_CHARS}])(?=[^\\s{_CJK_CHARS}])|(?<=[^\\s{_CJK_CHARS}])(?=[{_CJK_CHARS}])"
)
_CYRILLIC = re.compile("[\u0400-\u04ff]")
_LETTERS = re.compile(r"[^\W\d_][\w'-]*")
_TRANSLATION = str.maketrans(
    {
        "\u2010": "-",
        "\u2011": "-",
        "\u2013": "-",
        "\u2019": "'",
        "\u2018": "'",
        "\u00b7": "-",
        "\u00a0": " ",
    }
)
# Weight of a distinctive term (a name, a version, an amount) against an ordinary word:
# sharing "XetHub" or "$6.6B" says far more than sharing "funding".
DISTINCTIVE_WEIGHT = 4
# Russian words are cut to a fixed stem: crude, but it lets "модель", "модели" and
# "моделью" agree, which is all matching needs.
CYRILLIC_STEM_CHARS = 5
# Words too common in AI news to say anything about which story an item tells.
_COMMON_WORDS = frozenset(
    {
        "ai",
        "model",
        "new",
        "company",
        "startup",
        "today",
        "week",
        "user",
        "developer",
        "feature",
        "tool",
        "product",
        "version",
        "available",
        "first",
        "latest",
        "make",
        "now",
        "lets",
        "let",
        "can",
        "will",
        "also",
        "more",
        "year",
    }
)
# Names in nearly every AI news item. They are capitalised like any name, but sharing
# one says little about sharing a story, so they weigh as ordinary words.
_UBIQUITOUS_NAMES = frozenset(
    {
        "openai",
        "anthropic",
        "google",
        "deepmind",
        "meta",
        "microsoft",
        "amazon",
        "aws",
        "apple",
        "nvidia",
        "chatgpt",
        "claude",
        "gemini",
        "gpt",
        "llm",
        "llms",
        "api",
        "apis",
        "ceo",
        "cto",
        "gpu",
        "gpus",
        "us",
        "uk",
        "eu",
        "i",
    }
)
_ENGLISH_SUFFIXES = ("ing", "ed", "es", "e")
# Parameter counts and other units ("70B", "128K", "10x", "24h") are shared facts but say
# nothing about which model a headline is about.
_UNIT = re.compile(r"^\d+(?:\.\d+)?(?:[kmbtxhd]|gb|tb|gw|mw|bn|st|nd|rd|th|s|fps|p|%)$")
_VERSION_NUMBER = re.compile(r"^\d{1,2}(?:\.\d{1,2}){0,2}$")
_DOTTED_VERSION = re.compile(r"^v?(\d+(?:\.\d+)+)$")


def _stem(word: str) -> str:
    """A crude stem: enough for "launches", "launched" and "launching" to agree."""
    word = singular(word)
    for suffix in _ENGLISH_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def _plain(text: str, max_chars: int) -> str:
    # Twice the allowance before cleaning, since markup and entities shrink.
    text = text[: max_chars * 2]
    if _MARKUP.search(text):
        text = html_to_text(text)
    return clean_text(text, max_length=max_chars)


_MARKUP = re.compile(r"<[A-Za-z!/][^<>]{0,2000}>")


def _capitals_are_uninformative(text: str) -> bool:
    """A Title-Case or all-capitals line, where a capital says nothing about names."""
    words: list[str] = [word for word in _LETTERS.findall(text) if len(word) >= 4]
    if len(words) < 3:
        return False
    capitalised = sum(word[0].isupper() for word in words)
    shouting = sum(word.isupper() for word in words)
    return capitalised >= len(words) * 0.7 or shouting >= len(words) * 0.5


def _is_sentence_start(text: str, start: int) -> bool:
    position = start
    while position > 0 and text[position - 1] in _OPENERS:
        position -= 1
    return position == 0 or text[position - 1] in _SENTENCE_BREAKS


_OPENERS = " \t\n\"'\u201c(\u00ab["
_SENTENCE_BREAKS = frozenset(".!?:;|\u2014")


# ---------------------------------------------------------------- amounts

_MONEY = re.compile(
    r"([$€£¥])\s?(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:[.,]\d+)?)"
    r"\s?(k|m|mn|mln|million|b|bn|billion|t|tn|trillion)?\b",
    re.IGNORECASE,
)
_THOUSANDS = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
_MULTIPLIERS = {
    "": 1.0,
    "k": 1e3,
    "m": 1e6,
    "mn": 1e6,
    "mln": 1e6,
    "million": 1e6,
    "b": 1e9,
    "bn": 1e9,
    "billion": 1e9,
    "t": 1e12,
    "tn": 1e12,
    "trillion": 1e12,
}
# "valued at $157 billion", "valuation hits $9B", "a $157B post-money valuation": the
# amount is a valuation, not a round, and only amounts in the same role contradict.
_VALUATION_BEFORE = re.compile(r"(?:valu\w*|worth)\W+(?:\w+\W+){0,2}$", re.IGNORECASE)
_VALUATION_AFTER = re.compile(r"\s*(?:post-money\s+|pre-money\s+)?valuation", re.IGNORECASE)
# Two amounts in the same currency and role are the same figure when this close:
# "$6.6B" and "$6.6 billion", or rounding in a rewrite.
AMOUNT_TOLERANCE = 0.02


@dataclass(frozen=True, slots=True)
class _Amount:
    role: str
    currency: str
    value: float

    @property
    def term(self) -> str:
        return f"{self.currency}{self.value:.3g}"


def _amounts(text: str) -> list[_Amount]:
    amounts = []
    for match in _MONEY.finditer(text):
        currency, number, unit = match.groups()
        # "$1,500" is fifteen hundred; "€1,5 млрд" is one and a half.
        number = number.replace(",", "") if _THOUSANDS.match(number) else number.replace(",", ".")
        value = float(number) * _MULTIPLIERS[(unit or "").lower()]
        before = text[max(0, match.start() - 40) : match.start()]
        valuation = _VALUATION_BEFORE.search(before) or _VALUATION_AFTER.match(text, match.end())
        amounts.append(_Amount("valuation" if valuation else "amount", currency, value))
    return amounts


# ---------------------------------------------------------------- analysis


@dataclass(slots=True)
class _TextFacts:
    # Term → weight; the highest weight seen wins.
    weights: dict[str, int]
    # Model names and versions in order of appearance: "gpt4o", "o3pro", "1.30.0", and
    # {"claude3.5", "3.5"} for "Claude 3.5".
    models: list[frozenset[str]]
    amounts: list[_Amount]


def _facts(text: str) -> _TextFacts:
    text = unicodedata.normalize("NFKC", text).translate(_TRANSLATION)
    # "发布DeepSeek-V3模型": Latin names inside CJK text become tokens of their own.
    text = _SCRIPT_CHANGE.sub(" ", text)
    facts = _TextFacts(weights={}, models=[], amounts=_amounts(text))
    for amount in facts.amounts:
        _add(facts, amount.term, DISTINCTIVE_WEIGHT)
    # Amounts are terms of their own; their digits must not come back as other terms.
    text = _MONEY.sub(" ", text)
    uninformative = _capitals_are_uninformative(text)
    previous: re.Match[str] | None = None
    for match in _TOKEN.finditer(text):
        _add_token(facts, text, match, previous, uninformative)
        previous = match
    return facts


def _add(facts: _TextFacts, term: str, weight: int) -> None:
    if facts.weights.get(term, 0) < weight:
        facts.weights[term] = weight


def _add_token(
    facts: _TextFacts,
    text: str,
    match: re.Match[str],
    previous: re.Match[str] | None,
    capitals_uninformative: bool,
) -> None:
    word = _word(match.group())
    if word is None:
        return
    if word.cjk_terms:
        for term in word.cjk_terms:
            _add(facts, term, 1)
        return
    if word.is_number:
        _add_number(facts, text, word.term, match, previous)
        return
    # A name: "OpenAI", "XetHub" and "MCP" by their capitals inside, "Comet" by a capital
    # where a plain word would have none.
    distinctive = (
        word.may_be_name
        and not capitals_uninformative
        and (word.inner_capitals or not _is_sentence_start(text, match.start()))
    )
    _add(facts, word.term, DISTINCTIVE_WEIGHT if distinctive else 1)


@dataclass(frozen=True, slots=True)
class _Word:
    term: str
    cjk_terms: tuple[str, ...] = ()
    is_number: bool = False
    # Capitalised, and not one of the names every AI story mentions.
    may_be_name: bool = False
    inner_capitals: bool = False


# What a word stands for depends on the word alone; where it stands (a sentence start,
# the word before a version number) is decided by the caller. Words repeat across
# items, so the answers are remembered.
@functools.lru_cache(maxsize=65_536)
def _word(raw: str) -> _Word | None:
    if raw.lower().endswith("'s"):
        raw = raw[:-2]
    if "'" in raw:
        return None
    lowered = raw.casefold()
    if _CJK_RUN.match(lowered):
        return _Word(term=lowered, cjk_terms=tuple(_cjk_terms(lowered)))
    if any(char.isdigit() for char in lowered):
        return _Word(term=lowered, is_number=True)
    if len(lowered) < 2 or lowered in STOP_WORDS:
        return None
    if _CYRILLIC.search(lowered):
        term = lowered[:CYRILLIC_STEM_CHARS]
    else:
        if singular(lowered) in _COMMON_WORDS:
            return None
        term = _stem(lowered)
        if term in STOP_WORDS:
            return None
    inner_capitals = any(char.isupper() for char in raw[1:])
    return _Word(
        term=term,
        may_be_name=lowered not in _UBIQUITOUS_NAMES and (inner_capitals or raw[0].isupper()),
        inner_capitals=inner_capitals,
    )


def _add_number(
    facts: _TextFacts,
    text: str,
    lowered: str,
    match: re.Match[str],
    previous: re.Match[str] | None,
) -> None:
    key = lowered.replace("-", "").rstrip(".")
    # "v0.1.0" and "0.1.0" are one version; "V7" stays a name.
    key = _DOTTED_VERSION.sub(r"\1", key)
    if _UNIT.match(key):
        _add(facts, key, 1)
        return
    if not _VERSION_NUMBER.match(key):
        # A name with digits in it: "GPT-4o", "o3-pro", "R1", "gpt-oss-120b", "V3.1".
        if not key.isdigit():
            facts.models.append(frozenset({key}))
            _add(facts, key, DISTINCTIVE_WEIGHT)
        else:
            _add(facts, key, 1)
        return
    # A bare version number names a model with the word before it: "Claude 3.5",
    # "Llama 4", "Stable Diffusion 3". Dotted ones ("3.5", "0.1.0") are versions anyway.
    if (
        previous is not None
        and previous.end() + 1 == match.start()
        and text[previous.end()] == " "
        and previous.group()[0].isupper()
        and previous.group().casefold() not in STOP_WORDS
        and not any(char.isdigit() for char in previous.group())
    ):
        name = previous.group().casefold() + key
        facts.models.append(frozenset({name, key}))
        _add(facts, name, DISTINCTIVE_WEIGHT)
        _add(facts, key, DISTINCTIVE_WEIGHT)
    elif "." in key:
        facts.models.append(frozenset({key}))
        _add(facts, key, DISTINCTIVE_WEIGHT)
    else:
        _add(facts, key, 1)


def _cjk_terms(run: str) -> list[str]:
    # No spaces between CJK words: overlapping character pairs stand in for words.
    return [run[index : index + 2] for index in range(max(len(run) - 1, 1))]


@dataclass(frozen=True, slots=True)
class _Analysis:
    # Term → weight over title and summary together.
    weights: Mapping[str, int]
    title_models: frozenset[str]
    # The first model the headline names: what the story is about.
    title_lead: frozenset[str]
    title_amounts: frozenset[_Amount]


@functools.lru_cache(maxsize=4096)
def _analyse(title: str, summary: str) -> _Analysis:
    in_title = _facts(_plain(title, MAX_TITLE_CHARS))
    in_summary = _facts(_plain(summary, MAX_SUMMARY_CHARS))
    weights = dict(in_summary.weights)
    for term, weight in in_title.weights.items():
        weights[term] = max(weight, weights.get(term, 0))
    return _Analysis(
        weights=weights,
        title_models=frozenset(key for group in in_title.models for key in group),
        title_lead=in_title.models[0] if in_title.models else frozenset(),
        title_amounts=frozenset(in_title.amounts),
    )


def _weighted_jaccard(a: Mapping[str, int], b: Mapping[str, int]) -> float:
    shared = sum(min(weight, b[term]) for term, weight in a.items() if term in b)
    total = sum(a.values()) + sum(b.values()) - shared
    return shared / total if total else 0.0


def fingerprint(*, title: str, summary: str) -> list[int]:
    """A 64-integer MinHash signature of an item's title and summary."""
    # Plain terms, not weighted copies: the signature only pre-filters candidates
    # (the decision uses the exact weighted overlap), and a quarter of the terms
    # makes it four times cheaper to compute at ingestion.
    return minhash(_analyse(title, summary).weights)


# ---------------------------------------------------------------- contradictions


def _models_conflict(a: _Analysis, b: _Analysis) -> bool:
    """The headlines name different models or versions: "GPT-5" and "GPT-4.1", "o3" and
    "o3-pro", or a story led by "Mistral Large 2" and one led by "Llama 3.1".

    Each headline's first model must appear in the other headline; the rest may differ
    ("Claude 3.5 Sonnet beats GPT-4o" is still the Claude 3.5 Sonnet story).
    """
    if not a.title_models or not b.title_models:
        return False
    return not (a.title_lead & b.title_models and b.title_lead & a.title_models)


def _amounts_conflict(a: _Analysis, b: _Analysis) -> bool:
    """The headlines state amounts in the same role and currency, and none agree."""
    for role, currency in {(amount.role, amount.currency) for amount in a.title_amounts}:
        left = [x.value for x in a.title_amounts if (x.role, x.currency) == (role, currency)]
        right = [x.value for x in b.title_amounts if (x.role, x.currency) == (role, currency)]
        if right and not any(
            math.isclose(x, y, rel_tol=AMOUNT_TOLERANCE) for x in left for y in right
        ):
            return True
    return False


# ---------------------------------------------------------------- decisions


@dataclass(frozen=True, slots=True)
class StoryText:
    """What story clustering needs to know about one item."""

    title: str
    summary: str
    fingerprint: Sequence[int]
    published_at: datetime
    # Companies the item mentions; empty when unknown.
    company_ids: frozenset[int] = frozenset()

    @classmethod
    def from_text(
        cls,
        *,
        title: str,
        summary: str,
        published_at: datetime,
        company_ids: Iterable[int] = (),
    ) -> StoryText:
        return cls(
            title=title,
            summary=summary,
            fingerprint=fingerprint(title=title, summary=summary),
            published_at=published_at,
            company_ids=frozenset(company_ids),
        )


def story_similarity(a: StoryText, b: StoryText) -> float:
    """How much two items' wording overlaps, 0.0 to 1.0, ignoring the guards.

    The weighted Jaccard similarity of the terms of their titles and summaries, where
    names, versions and amounts weigh more than ordinary words. Exact, where comparing
    fingerprints only estimates it.
    """
    return _weighted_jaccard(
        _analyse(a.title, a.summary).weights, _analyse(b.title, b.summary).weights
    )


def _match_score(a: StoryText, b: StoryText) -> float | None:
    """The pair's score when it passes every guard, else None."""
    if abs(a.published_at - b.published_at) > STORY_WINDOW:
        return None
    if a.company_ids and b.company_ids and not a.company_ids & b.company_ids:
        return None
    # The fingerprints' estimate is cheap and rules out most pairs before any text is
    # analysed; it is too noisy to decide the close ones.
    if similarity(a.fingerprint, b.fingerprint) < CANDIDATE_SIMILARITY:
        return None
    left = _analyse(a.title, a.summary)
    right = _analyse(b.title, b.summary)
    if _models_conflict(left, right) or _amounts_conflict(left, right):
        return None
    return _weighted_jaccard(left.weights, right.weights)


def same_story(*, a: StoryText, b: StoryText) -> bool:
    """Whether two items tell the same story."""
    score = _match_score(a, b)
    return score is not None and score >= SAME_STORY_THRESHOLD


def best_match(candidate: StoryText, others: Sequence[StoryText]) -> int | None:
    """Index in ``others`` of the item that best shares ``candidate``'s story, if any.

    Ties go to the earliest index, so the result does not depend on anything but order.
    """
    best_index: int | None = None
    best_score = 0.0
    for index, other in enumerate(others):
        score = _match_score(candidate, other)
        if score is None or score < SAME_STORY_THRESHOLD:
            continue
        if best_index is None or score > best_score:
            best_index, best_score = index, score
    return best_index
