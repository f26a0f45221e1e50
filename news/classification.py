"""Rule-based classification of news items into the 15 categories.

Scoring
=======
Text is cleaned first: HTML tags are dropped, entities decoded, the text is
NFKC-normalised and case-folded, and Cyrillic "yo" is read as "ye". Only the first
MAX_TITLE_CHARS of the title and MAX_SUMMARY_CHARS of the summary are read: the
topic of an announcement is in its lead, and the caps bound the cost of
100 KB inputs.

A rule matches at most once per field, however often its pattern occurs, so a
long summary cannot outvote its title by repetition:

- ``word``: one whole token; a trailing ``*`` matches every token starting
  with the stem (``acquir*``, ``инвестиц*``).
- ``phrase``: consecutive tokens, so "series b" matches "Series-B" too.
- ``regex``: a ``regex`` pattern searched in the cleaned text, with a time
  limit per search. A search that times out is logged and counts as no match;
  after REGEX_TRIP_AFTER time-outs the rule is skipped until the rules reload.

A match in the title adds ``weight * TITLE_FACTOR``, one in the summary
``weight * SUMMARY_FACTOR``; a rule whose field is "both" can add both. A rule
with a source type counts only for items of that type, and one with a source
type and no pattern adds its weight to every item of that type (a source-type
bonus). Negative weights express "not this category".

The winner is the category with the highest score; ties go to the category
listed first in ``Category``. A winner scoring below the threshold
(``PriorityWeights.classification_threshold``) leaves the item uncategorised,
shown as "Other", rather than mislabelled.

Caching
=======
Rules are compiled once per process and reused until they change. Saving or
deleting a rule or the weights bumps a version number in the Django cache
(after the transaction commits); each process compares its compiled set's
version with the shared one at most every VERSION_RECHECK_SECONDS.
"""

from __future__ import annotations

import html
import logging
import math
import re
import threading
import time
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import regex
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from news.categories import Category

logger = logging.getLogger(__name__)

TITLE_FACTOR = 2.0
SUMMARY_FACTOR = 1.0
DEFAULT_THRESHOLD = 2.0

MAX_TITLE_CHARS = 500
MAX_SUMMARY_CHARS = 2000

MAX_PATTERN_LENGTH = 200
MAX_PHRASE_TOKENS = 8
MIN_STEM_LENGTH = 3

# Wall-clock, so it must absorb a busy machine: ingestion runs many threads that
# share one interpreter lock, and a 20 ms budget tripped on healthy rules there.
# Hostile patterns are refused when saved; this only stops what slips through.
REGEX_TIMEOUT_SECONDS = 1.0
REGEX_TRIP_AFTER = 3
# Validation runs each new pattern against these inputs; one that cannot finish
# within REGEX_PROBE_TIMEOUT_SECONDS on any of them is refused as too slow.
REGEX_PROBE_TIMEOUT_SECONDS = 0.05
REGEX_PROBES = (
    "a" * 3000 + "!",
    " " * 3000 + "!",
    "ab " * 1000 + "!",
    "1" * 3000 + "x",
    "a1-" * 1000 + "\n",
)

RULES_VERSION_CACHE_KEY = "news:classification-rules:version"
VERSION_RECHECK_SECONDS = 1.0

CATEGORY_ORDER: tuple[str, ...] = tuple(Category.values)

KIND_WORD = "word"
KIND_PHRASE = "phrase"
KIND_REGEX = "regex"
FIELD_TITLE = "title"
FIELD_SUMMARY = "summary"
FIELD_BOTH = "both"

# Russian text often writes "yo" (U+0451) as "ye" (U+0435); rules and text both use "ye".
_YO, _YE = "\u0451", "\u0435"
_TOKEN = re.compile(r"\w+")
# Bounded so a text full of "<" cannot make tag stripping quadratic.
_TAG = re.compile(r"<[^<>]{0,1000}>")
_WORD_PATTERN = re.compile(r"\w+\*?")


# ---------------------------------------------------------------- text


def clean_text(text: str, *, limit: int) -> str:
    """Text as rules see it: no tags or entities, normalised, case-folded."""
    if not text:
        return ""
    # Entities may hide tags ("&lt;b&gt;"), so they are decoded before stripping;
    # the slack before the final cut leaves room for the markup being removed.
    text = html.unescape(text[: limit * 4])
    text = _TAG.sub(" ", text)
    text = unicodedata.normalize("NFKC", text).casefold().replace(_YO, _YE)
    return text[:limit]


def tokenize(text: str) -> list[str]:
    return _TOKEN.findall(text)


def normalize_term(term: str) -> str:
    """A word or phrase pattern as it is matched against cleaned text."""
    return unicodedata.normalize("NFKC", term).casefold().replace(_YO, _YE).strip()


# ---------------------------------------------------------------- validation


def _regex_structure_problem(pattern: str) -> StrOrPromise | None:
    """Why `pattern` risks catastrophic backtracking, or None.

    Conservative by design: a repeated group may contain neither a quantifier
    nor an alternation (``(a+)+``, ``(a|aa)*``, ``(\\w+\\s?){2,}``), and
    backreferences are refused. Keyword rules never need these.
    """
    stack: list[list[bool]] = []  # [contains a quantifier, contains an alternation]
    in_class = False
    i, length = 0, len(pattern)
    while i < length:
        char = pattern[i]
        if char == "\\":
            following = pattern[i + 1 : i + 2]
            if (following.isdigit() and following != "0") or following in ("g", "k"):
                return _("backreferences could make matching slow")
            i += 2
            continue
        if in_class:
            if char == "]":
                in_class = False
            i += 1
            continue
        if char == "[":
            in_class = True
            # A "]" straight after "[" or "[^" is a literal, not the end.
            i += 1
            if pattern[i : i + 1] == "^":
                i += 1
            if pattern[i : i + 1] == "]":
                i += 1
            continue
        if char == "(":
            if pattern.startswith("(?P=", i) or pattern.startswith("(?P>", i):
                return _("backreferences could make matching slow")
            if pattern.startswith("(?R)", i) or pattern.startswith("(?&", i):
                return _("recursion could make matching slow")
            stack.append([False, False])
            i += 2 if pattern[i + 1 : i + 2] == "?" else 1
            continue
        if char == ")":
            group = stack.pop() if stack else [False, False]
            repeats, width = _quantifier_at(pattern, i + 1)
            if repeats and (group[0] or group[1]):
                return _(
                    "a repeated group containing a quantifier or an alternation, "
                    "such as (a+)+ or (a|aa)*, can backtrack catastrophically"
                )
            if stack:
                stack[-1][0] = stack[-1][0] or group[0] or width > 0
                stack[-1][1] = stack[-1][1] or group[1]
            i += 1 + width
            continue
        if char == "|":
            if stack:
                stack[-1][1] = True
            i += 1
            continue
        if char == "{" and _FUZZY.match(pattern, i):
            return _("fuzzy matching could make matching slow")
        _repeats, width = _quantifier_at(pattern, i)
        if width:
            if stack:
                stack[-1][0] = True
            i += width
            continue
        i += 1
    return None


_BRACES = re.compile(r"\{(\d*)(,?)(\d*)\}")
# The regex module's fuzzy constraints, e.g. "{e<=2}" or "{i<=1,d<=1}".
_FUZZY = re.compile(r"\{[^{}]{0,100}[eids][^{}]{0,100}\}")


def _quantifier_at(pattern: str, index: int) -> tuple[bool, int]:
    """(repeats more than once, characters taken) for a quantifier at `index`, if any.

    A lazy or possessive suffix ("+?", "*+") is part of the quantifier.
    """
    char = pattern[index : index + 1]
    if char in ("*", "+"):
        repeats, width = True, 1
    elif char == "?":
        repeats, width = False, 1
    elif char == "{" and (braces := _BRACES.match(pattern, index)):
        low, comma, high = braces.groups()
        if not (low or high):
            return False, 0
        repeats = bool(comma and not high) or int(high or low or "0") > 1
        width = braces.end() - index
    else:
        return False, 0
    if pattern[index + width : index + width + 1] in ("?", "+"):
        width += 1
    return repeats, width


def compile_regex(pattern: str) -> regex.Pattern[str]:
    """Compile a rule's pattern to run against cleaned (case-folded) text.

    IGNORECASE is only set when the pattern has upper-case letters: the text is
    already lower case, and the flag makes every search about twice as slow.
    """
    pattern = pattern.replace(_YO, _YE).replace(_YO.upper(), _YE.upper())
    flags = regex.UNICODE
    if any(char.isupper() for char in pattern):
        flags |= regex.IGNORECASE
    return regex.compile(pattern, flags)


def validate_rule_pattern(*, pattern: str, kind: str) -> None:
    """Raise ValidationError unless `pattern` is a safe, useful pattern of `kind`."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise ValidationError(
            _("Patterns are limited to %(limit)d characters."),
            code="too_long",
            params={"limit": MAX_PATTERN_LENGTH},
        )
    if not pattern.strip():
        raise ValidationError(_("The pattern is empty."), code="empty")
    if kind == KIND_WORD:
        term = normalize_term(pattern)
        if not _WORD_PATTERN.fullmatch(term):
            raise ValidationError(
                _("A word is letters and digits only, optionally ending in * for a stem."),
                code="not_a_word",
            )
        if term.endswith("*") and len(term) - 1 < MIN_STEM_LENGTH:
            raise ValidationError(
                _("A stem needs at least %(limit)d characters before the *."),
                code="short_stem",
                params={"limit": MIN_STEM_LENGTH},
            )
    elif kind == KIND_PHRASE:
        tokens = tokenize(normalize_term(pattern))
        if not tokens:
            raise ValidationError(_("A phrase needs at least one word."), code="no_words")
        if len(tokens) > MAX_PHRASE_TOKENS:
            raise ValidationError(
                _("A phrase has at most %(limit)d words."),
                code="too_many_words",
                params={"limit": MAX_PHRASE_TOKENS},
            )
    elif kind == KIND_REGEX:
        _validate_regex(pattern)
    else:
        raise ValidationError(_("Unknown pattern kind."), code="unknown_kind")


def _validate_regex(pattern: str) -> None:
    problem = _regex_structure_problem(pattern)
    if problem:
        raise ValidationError(
            _("This regular expression is not allowed: %(problem)s."),
            code="slow_regex",
            params={"problem": problem},
        )
    try:
        compiled = compile_regex(pattern)
    except (regex.error, OverflowError, RecursionError, ValueError) as error:
        raise ValidationError(
            _("This is not a valid regular expression: %(error)s."),
            code="invalid_regex",
            params={"error": error},
        ) from error
    for probe in REGEX_PROBES:
        try:
            compiled.search(probe, timeout=REGEX_PROBE_TIMEOUT_SECONDS)
        except TimeoutError as error:
            raise ValidationError(
                _("This regular expression is too slow on long inputs."),
                code="slow_regex",
            ) from error
    # An empty match anywhere means the rule fires on (nearly) every item.
    if any(
        (match := compiled.search(sample, timeout=REGEX_PROBE_TIMEOUT_SECONDS)) is not None
        and not match.group()
        for sample in ("", "x", "OpenAI announces a new model today, 2025.")
    ):
        raise ValidationError(
            _("This regular expression matches empty text, so it would match every item."),
            code="matches_empty",
        )


# ---------------------------------------------------------------- compiled rules


@dataclass(frozen=True)
class RuleSpec:
    """One rule as the compiler needs it; the loader builds these from the database."""

    category: str
    pattern: str
    kind: str = KIND_WORD
    field: str = FIELD_BOTH
    weight: float = 1.0
    source_type: str = ""
    rule_id: int | None = None


# eq=False: hashing by identity, as two rules may carry identical values.
@dataclass(frozen=True, eq=False)
class _Rule:
    category_index: int
    weight: float
    source_type: str
    rule_id: int | None
    label: str


@dataclass
class _FieldIndex:
    words: dict[str, list[_Rule]] = field(default_factory=lambda: defaultdict(list))
    # stem length -> stem -> rules; a token is looked up once per distinct length.
    stems: dict[int, dict[str, list[_Rule]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list))
    )
    # first token -> (remaining tokens, rule)
    phrases: dict[str, list[tuple[tuple[str, ...], _Rule]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    regexes: list[tuple[regex.Pattern[str], _Rule]] = field(default_factory=list)
    # The first MIN_STEM_LENGTH characters of every stem: most tokens start
    # differently and skip the per-length stem lookups altogether.
    stem_heads: frozenset[str] = frozenset()

    def freeze(self) -> None:
        # Plain dicts, so lookups of absent keys cannot insert empty entries.
        self.words = dict(self.words)
        self.stems = {length: dict(table) for length, table in sorted(self.stems.items())}
        self.stem_heads = frozenset(
            stem[:MIN_STEM_LENGTH] for table in self.stems.values() for stem in table
        )
        self.phrases = dict(self.phrases)


@dataclass
class CompiledRuleSet:
    """Rules ready to match. Immutable apart from the time-out counts of regex rules."""

    title: _FieldIndex
    summary: _FieldIndex
    source_bonuses: dict[str, list[_Rule]]
    threshold: float
    version: int | None = None
    rule_count: int = 0
    skipped: tuple[str, ...] = ()
    timeouts: dict[_Rule, int] = field(default_factory=dict)


def compile_rule_set(
    specs: Iterable[RuleSpec], *, threshold: float = DEFAULT_THRESHOLD, version: int | None = None
) -> CompiledRuleSet:
    """Compile rules into lookup tables. A rule that fails to compile is skipped and
    logged: rules normally pass validation in admin, but rows written some other
    way must not break classification."""
    title, summary = _FieldIndex(), _FieldIndex()
    bonuses: dict[str, list[_Rule]] = defaultdict(list)
    skipped: list[str] = []
    count = 0
    for spec in specs:
        problem = _spec_problem(spec)
        if problem:
            logger.warning("Classification rule %s skipped: %s", spec.rule_id, problem)
            skipped.append(f"{spec.rule_id}: {problem}")
            continue
        rule = _Rule(
            category_index=CATEGORY_ORDER.index(spec.category),
            weight=float(spec.weight),
            source_type=spec.source_type,
            rule_id=spec.rule_id,
            label=f"{spec.category}:{spec.kind}:{spec.pattern}",
        )
        if not spec.pattern.strip():
            bonuses[spec.source_type].append(rule)
            count += 1
            continue
        indexes = {
            FIELD_TITLE: (title,),
            FIELD_SUMMARY: (summary,),
            FIELD_BOTH: (title, summary),
        }[spec.field]
        try:
            _add_rule(indexes, spec, rule)
        except (ValidationError, regex.error, OverflowError, RecursionError, ValueError) as error:
            reason = "; ".join(error.messages) if isinstance(error, ValidationError) else str(error)
            logger.warning("Classification rule %s skipped: %s", rule.label, reason)
            skipped.append(f"{spec.rule_id}: {reason}")
            continue
        count += 1
    title.freeze()
    summary.freeze()
    return CompiledRuleSet(
        title=title,
        summary=summary,
        source_bonuses=dict(bonuses),
        threshold=threshold,
        version=version,
        rule_count=count,
        skipped=tuple(skipped),
    )


def _spec_problem(spec: RuleSpec) -> str | None:
    if spec.category not in CATEGORY_ORDER:
        return f"unknown category {spec.category!r}"
    if spec.field not in (FIELD_TITLE, FIELD_SUMMARY, FIELD_BOTH):
        return f"unknown field {spec.field!r}"
    if not math.isfinite(spec.weight):
        return f"weight {spec.weight} is not a finite number"
    if not spec.pattern.strip() and not spec.source_type:
        return "empty pattern without a source type"
    return None


def _add_rule(indexes: Sequence[_FieldIndex], spec: RuleSpec, rule: _Rule) -> None:
    if spec.kind == KIND_REGEX:
        # Structure only: the probe runs belong to admin validation, not to every reload.
        problem = _regex_structure_problem(spec.pattern)
        if problem or len(spec.pattern) > MAX_PATTERN_LENGTH:
            raise ValueError(str(problem or "pattern too long"))
        compiled = compile_regex(spec.pattern)
        for index in indexes:
            index.regexes.append((compiled, rule))
        return
    validate_rule_pattern(pattern=spec.pattern, kind=spec.kind)
    term = normalize_term(spec.pattern)
    if spec.kind == KIND_WORD and term.endswith("*"):
        stem = term[:-1]
        for index in indexes:
            index.stems[len(stem)][stem].append(rule)
    elif spec.kind == KIND_WORD:
        for index in indexes:
            index.words[term].append(rule)
    else:
        first, *rest = tokenize(term)
        for index in indexes:
            if rest:
                index.phrases[first].append((tuple(rest), rule))
            else:
                index.words[first].append(rule)


# ---------------------------------------------------------------- matching


@dataclass(frozen=True)
class Classification:
    category: str | None
    score: float
    scores: dict[str, float]


def _term_hits(index: _FieldIndex, tokens: Sequence[str], hits: set[_Rule]) -> None:
    words, stems, phrases, heads = index.words, index.stems, index.phrases, index.stem_heads
    token_count = len(tokens)
    for position, token in enumerate(tokens):
        matched = words.get(token)
        if matched:
            hits.update(matched)
        if token[:MIN_STEM_LENGTH] in heads:
            for length, table in stems.items():
                if length > len(token):
                    break
                matched = table.get(token[:length])
                if matched:
                    hits.update(matched)
        candidates = phrases.get(token)
        if candidates:
            for rest, rule in candidates:
                end = position + 1 + len(rest)
                if end <= token_count and tuple(tokens[position + 1 : end]) == rest:
                    hits.add(rule)


def _regex_hits(
    rules: CompiledRuleSet, index: _FieldIndex, text: str, source_type: str, hits: set[_Rule]
) -> None:
    if not text:
        return
    for pattern, rule in index.regexes:
        if rule.source_type and rule.source_type != source_type:
            continue
        if rules.timeouts.get(rule, 0) >= REGEX_TRIP_AFTER:
            continue
        try:
            if pattern.search(text, timeout=REGEX_TIMEOUT_SECONDS):
                hits.add(rule)
        except TimeoutError:
            rules.timeouts[rule] = rules.timeouts.get(rule, 0) + 1
            logger.warning(
                "Classification rule %s (id %s) timed out after %.0f ms and was skipped",
                rule.label,
                rule.rule_id,
                REGEX_TIMEOUT_SECONDS * 1000,
                extra={"rule_id": rule.rule_id},
            )
            if rules.timeouts[rule] == REGEX_TRIP_AFTER:
                logger.error(
                    "Classification rule %s (id %s) is disabled until the rules reload, "
                    "after %d time-outs; fix or deactivate it in admin",
                    rule.label,
                    rule.rule_id,
                    REGEX_TRIP_AFTER,
                    extra={"rule_id": rule.rule_id},
                )


def classify_with(
    rules: CompiledRuleSet, *, title: str, summary: str, source_type: str
) -> Classification:
    """Classify one item with a compiled rule set; pure apart from time-out counts."""
    title_text = clean_text(title, limit=MAX_TITLE_CHARS)
    summary_text = clean_text(summary, limit=MAX_SUMMARY_CHARS)
    title_hits: set[_Rule] = set()
    summary_hits: set[_Rule] = set()
    _term_hits(rules.title, tokenize(title_text), title_hits)
    _term_hits(rules.summary, tokenize(summary_text), summary_hits)
    _regex_hits(rules, rules.title, title_text, source_type, title_hits)
    _regex_hits(rules, rules.summary, summary_text, source_type, summary_hits)

    totals = [0.0] * len(CATEGORY_ORDER)
    for hits, factor in ((title_hits, TITLE_FACTOR), (summary_hits, SUMMARY_FACTOR)):
        for rule in hits:
            if not rule.source_type or rule.source_type == source_type:
                totals[rule.category_index] += rule.weight * factor
    for rule in rules.source_bonuses.get(source_type, ()):
        totals[rule.category_index] += rule.weight

    scores = {CATEGORY_ORDER[index]: round(total, 4) for index, total in enumerate(totals) if total}
    # max() keeps the first of equal scores, which is the earlier category.
    best_index = max(range(len(totals)), key=totals.__getitem__)
    best = totals[best_index]
    if best < rules.threshold or best <= 0:
        return Classification(category=None, score=round(max(best, 0.0), 4), scores=scores)
    return Classification(category=CATEGORY_ORDER[best_index], score=round(best, 4), scores=scores)


def classify(
    *,
    title: str,
    summary: str,
    source_type: str,
    rules: CompiledRuleSet | None = None,
) -> Classification:
    """Classify one item with `rules`, or with the current rules from the database.

    For a batch, fetch ``current_rule_set()`` once and pass it as `rules`.
    """
    return classify_with(
        rules if rules is not None else current_rule_set(),
        title=title,
        summary=summary,
        source_type=source_type,
    )


# ---------------------------------------------------------------- loading and caching


def rules_version() -> int:
    """The shared version of the rules, created on first use."""
    version = cache.get(RULES_VERSION_CACHE_KEY)
    if version is None:
        # A new, unique starting value: after a cache flush no process can take
        # its old compiled rules for current ones.
        cache.add(RULES_VERSION_CACHE_KEY, time.time_ns(), timeout=None)
        version = cache.get(RULES_VERSION_CACHE_KEY)
    return int(version)


def rules_changed() -> None:
    """Make every process recompile its rules. Call after any write to rules or weights
    that bypasses the model signals (queryset.update, bulk_create, raw SQL)."""
    try:
        cache.incr(RULES_VERSION_CACHE_KEY)
    except ValueError:
        cache.set(RULES_VERSION_CACHE_KEY, time.time_ns(), timeout=None)
    _local.forget()


def rule_set_load(*, version: int | None = None) -> CompiledRuleSet:
    """Compile the active rules and the threshold from the database."""
    # Imported here: news.models imports this module for validation and signals.
    from news.models import ClassificationRule, PriorityWeights

    rows = ClassificationRule.objects.filter(active=True).order_by("id")
    specs = [
        RuleSpec(
            category=row.category,
            pattern=row.pattern,
            kind=row.kind,
            field=row.field,
            weight=row.weight,
            source_type=row.source_type,
            rule_id=row.pk,
        )
        for row in rows
    ]
    threshold = PriorityWeights.load().classification_threshold
    return compile_rule_set(specs, threshold=threshold, version=version)


class _LocalRuleSet:
    """This process's compiled rules. Threads may race to compile after a change;
    the last one wins and every result is valid, so no lock is held while compiling."""

    def __init__(self) -> None:
        self.rules: CompiledRuleSet | None = None
        self.checked_at = 0.0
        self.lock = threading.Lock()

    def forget(self) -> None:
        with self.lock:
            self.rules = None
            self.checked_at = 0.0


_local = _LocalRuleSet()


def current_rule_set(*, max_staleness: float = VERSION_RECHECK_SECONDS) -> CompiledRuleSet:
    """The compiled rules, recompiled when the shared version has moved on.

    The shared version is read at most every `max_staleness` seconds, so a batch
    of thousands of items costs one cache round trip per second, not per item.
    """
    now = time.monotonic()
    with _local.lock:
        rules, checked_at = _local.rules, _local.checked_at
    if rules is not None and now - checked_at < max_staleness:
        return rules
    version = rules_version()
    if rules is None or rules.version != version:
        rules = rule_set_load(version=version)
    with _local.lock:
        _local.rules, _local.checked_at = rules, now
    return rules


# ---------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class Evaluation:
    total: int
    correct: int
    accuracy: float
    macro_f1: float
    per_category_f1: dict[str, float]
    mistakes: list[tuple[str, str | None, str | None]]

    def report(self) -> str:
        lines = [
            f"items: {self.total}, correct: {self.correct}",
            f"accuracy: {self.accuracy:.3f}",
            f"macro-F1: {self.macro_f1:.3f}",
            *(f"  F1 {label}: {value:.3f}" for label, value in self.per_category_f1.items()),
        ]
        return "\n".join(lines)


def evaluate(
    examples: Iterable[dict[str, str | None]], *, rules: CompiledRuleSet | None = None
) -> Evaluation:
    """Accuracy and macro-F1 of the classifier on labelled examples.

    Each example has "title", "summary", "source_type" and "expected" (a
    category or None). Macro-F1 averages F1 over the 15 categories plus
    "uncategorised", counting only labels that occur as expected or predicted.
    """
    rules = rules if rules is not None else current_rule_set()
    true_positive: dict[str | None, int] = defaultdict(int)
    false_positive: dict[str | None, int] = defaultdict(int)
    false_negative: dict[str | None, int] = defaultdict(int)
    mistakes: list[tuple[str, str | None, str | None]] = []
    total = correct = 0
    for example in examples:
        expected = example.get("expected") or None
        predicted = classify_with(
            rules,
            title=example.get("title") or "",
            summary=example.get("summary") or "",
            source_type=example.get("source_type") or "",
        ).category
        total += 1
        if predicted == expected:
            correct += 1
            true_positive[expected] += 1
        else:
            false_positive[predicted] += 1
            false_negative[expected] += 1
            mistakes.append((example.get("title") or "", expected, predicted))
    labels = set(true_positive) | set(false_positive) | set(false_negative)
    per_label: dict[str, float] = {}
    for label in labels:
        tp, fp, fn = true_positive[label], false_positive[label], false_negative[label]
        denominator = 2 * tp + fp + fn
        per_label[label or "uncategorised"] = 2 * tp / denominator if denominator else 0.0
    return Evaluation(
        total=total,
        correct=correct,
        accuracy=correct / total if total else 0.0,
        macro_f1=sum(per_label.values()) / len(per_label) if per_label else 0.0,
        per_category_f1=dict(sorted(per_label.items())),
        mistakes=mistakes,
    )


def category_of(title: str, summary: str, source_type: str) -> str | None:
    """The category of one text, for callers that want a plain function (discovery previews)."""
    return classify(title=title, summary=summary, source_type=source_type).category
