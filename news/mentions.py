"""Which tracked companies a news item mentions, and which one it is mainly about.

Pure: plain data in, plain data out. Build one ``CompanyMatcher`` from the catalogue and
reuse it for every item; building compiles all names and aliases into a single regular
expression shaped like a trie, so one pass over the text finds every mention whatever
the number of companies.

Names fall into four kinds, each with its own case rule:

- distinctive names ("OpenAI", "Hugging Face", "Databricks") match in any case;
- proper-noun names that are also words ("Mistral", "Gemini", "Claude", "Llama") must
  be capitalised;
- short all-capital acronyms that are words in lower case ("FAIR") must match exactly;
- company names that are everyday English words ("Runway", "Scale", "Together",
  "Replicate", "Character") must be capitalised, and a capitalised occurrence only
  counts on its own when it cannot be explained by capitalisation rules: not at the
  start of a sentence and not in a Title-Case headline. Otherwise it needs a
  disambiguator next to it ("Scale AI", "Runway ML", "Replicate's", "startup
  Together"), or another, unambiguous mention of the same company elsewhere in the item.

Multi-word aliases starting with such a word ("Together AI", "Command R") must be
capitalised, and their single-letter words must match exactly ("Command A", not
"command a fleet").
"""

from __future__ import annotations

import enum
import html
import re
import unicodedata
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from news.normalization import html_to_text

# Company names (or first words of names) that are everyday English words.
DEFAULT_AMBIGUOUS_WORDS = frozenset(
    {
        "runway",
        "scale",
        "together",
        "replicate",
        "character",
        "perplexity",
        "cohere",
        "inflection",
        "pi",
        "weave",
        "cog",
        "ray",
        "command",
        "comet",
        "sonar",
        "writer",
        "adept",
        "cursor",
        "lambda",
        "modal",
        "magic",
        "jasper",
        "notion",
        "glean",
        "harvey",
        "fireworks",
        "essential",
        "general",
        "apple",
        "amazon",
    }
)
# Names that are words too, but in news about AI read as the name whenever capitalised.
DEFAULT_PROPER_NOUNS = frozenset(
    {
        "mistral",
        "gemini",
        "gemma",
        "claude",
        "sora",
        "llama",
        "codex",
        "meta",
        "grok",
        "phi",
        "le chat",
        "transformers",
    }
)
# A name followed by one of these words is someone else: "Claude Shannon".
DEFAULT_NOT_FOLLOWED_BY: Mapping[str, frozenset[str]] = {
    "claude": frozenset({"shannon", "monet", "debussy", "levi-strauss", "bernard"}),
}
TITLE_WEIGHT = 2
# All-capital names up to this long are acronyms that match exactly ("FAIR").
MAX_EXACT_ACRONYM_CHARS = 5
MIN_NAME_CHARS = 2
# The text is scanned up to this length; enough for any article, and bounds the cost.
MAX_SCAN_CHARS = 500_000
# A line is a headline in Title Case when at least this share of its longer words start
# with a capital; capitals there say nothing about proper nouns.
TITLE_CASE_SHARE = 0.7
TITLE_CASE_MIN_WORDS = 3


class _Kind(enum.Enum):
    DISTINCTIVE = "distinctive"
    CAPITALISED = "capitalised"
    EXACT = "exact"
    AMBIGUOUS = "ambiguous"


@dataclass(frozen=True, slots=True)
class CompanyNames:
    """What the matcher needs to know about one company."""

    id: int
    name: str
    aliases: Sequence[str] = ()


@dataclass(frozen=True, slots=True)
class _Variant:
    company_id: int
    kind: _Kind
    written: str


# ---------------------------------------------------------------- text preparation

_MARKUP = re.compile(r"<[A-Za-z!/][^<>]{0,2000}>")
_TRANSLATION = str.maketrans(
    {
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u00b7": "-",
        "\u2019": "'",
        "\u02bc": "'",
        "\u00a0": " ",
    }
)


_CJK_CHARS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af"
# CJK text has no spaces, so "OpenAI发布" needs one put in for "OpenAI" to end at a word
# boundary.
_SCRIPT_CHANGE = re.compile(
    f"(?<=[{_CJK_CHARS}])(?=[^\\s{_CJK_CHARS}])|(?<=[^\\s{_CJK_CHARS}])(?=[{_CJK_CHARS}])"
)


def _prepare(text: str) -> str:
    text = text[:MAX_SCAN_CHARS]
    text = html_to_text(text) if _MARKUP.search(text) else html.unescape(text)
    if not text.isascii():
        text = _SCRIPT_CHANGE.sub(" ", unicodedata.normalize("NFKC", text))
    return text.translate(_TRANSLATION)


def _lower_same_length(text: str) -> str:
    """``text.lower()``, keeping every character at its index.

    A handful of characters lower-case to two ("İ"); those stay as they are, so that a
    match in the lower-cased text can be checked against the original's capitals.
    """
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(low if len(low := char.lower()) == 1 else char for char in text)


def _key(name: str) -> str:
    # Spaces and hyphens are optional between name parts, so they are not part of a key:
    # "GPT-4o", "GPT 4o" and "gpt4o" are one name.
    return _KEY_DROP.sub("", name.lower())


_KEY_DROP = re.compile(r"[\s\-]+")

# ---------------------------------------------------------------- pattern building

_NAME_PART = re.compile(r"\w+|\s+|.", re.UNICODE)
_SPACE_UNIT = r"(?:\s+|-)"
_HYPHEN_UNIT = r"[-\s]?"
_AMPERSAND_UNIT = r"\s*&\s*"


def _units(name: str) -> list[str]:
    """The regular-expression pieces one lower-cased name is matched with."""
    units: list[str] = []
    parts = _NAME_PART.findall(name.lower().strip())
    for index, part in enumerate(parts):
        if part.isspace():
            neighbours = parts[index - 1 : index] + parts[index + 1 : index + 2]
            if "&" not in neighbours:
                units.append(_SPACE_UNIT)
        elif part == "&":
            units.append(_AMPERSAND_UNIT)
        elif part == "-":
            units.append(_HYPHEN_UNIT)
        else:
            units.extend(re.escape(char) for char in part)
    return units


@dataclass(slots=True)
class _TrieNode:
    children: dict[str, _TrieNode] = field(default_factory=dict)
    terminal: bool = False


def _trie_pattern(node: _TrieNode) -> str:
    # Longer names are tried before a name ends here, so "Claude Code" wins over
    # "Claude"; a name ends only before a non-word character.
    branches = [unit + _trie_pattern(child) for unit, child in sorted(node.children.items())]
    if node.terminal:
        branches.append(r"(?!\w)")
    if len(branches) == 1:
        return branches[0]
    return "(?:" + "|".join(branches) + ")"


# ---------------------------------------------------------------- context checks

_SENTENCE_BREAKS = frozenset(".!?:;\u2026\n|\u2022>\u2014\u3002")
_OPENERS = " \t\"'\u201c\u2018\u00ab([*"
_WORDS = re.compile(r"[^\W\d_][\w'-]*", re.UNICODE)
# Right after an ambiguous name, these make it a company: "Scale AI", "Runway ML",
# "Replicate's", "Character.AI".
_DISAMBIGUATOR_AFTER = re.compile(
    r"(?:'s\b|\.ai\b|\s+(?:AI|ML|Labs?|Inc\b|Technologies|Corp\b|Ltd\b))"
)
_CUE_BEFORE = re.compile(
    r"\b(?:startup|start-up|company|firm|rival|competitor|lab|provider|unicorn|maker)\s+$",
    re.IGNORECASE,
)
_NEXT_WORD = re.compile(r"\s+([^\W\d_][\w-]*)")


def _is_sentence_start(text: str, start: int) -> bool:
    position = start
    while position > 0 and text[position - 1] in _OPENERS:
        position -= 1
    return position == 0 or text[position - 1] in _SENTENCE_BREAKS


def _is_title_case(line: str) -> bool:
    words = [word for word in _WORDS.findall(line) if len(word) >= 4]
    if len(words) < TITLE_CASE_MIN_WORDS:
        # Too short to tell; a short line is usually a heading.
        letters = [char for char in line if char.isalpha()]
        return bool(letters) and all(char.isupper() for char in letters)
    capitalised = sum(1 for word in words if word[0].isupper())
    return capitalised >= len(words) * TITLE_CASE_SHARE


# ---------------------------------------------------------------- matcher


@dataclass(frozen=True, slots=True)
class _Evidence:
    strong: int = 0
    weak: int = 0


class CompanyMatcher:
    """Finds company mentions in items. Build once, call ``find`` for each item."""

    def __init__(
        self,
        *,
        pattern: re.Pattern[str],
        variants: Mapping[str, Sequence[_Variant]],
        not_followed_by: Mapping[str, frozenset[str]],
    ) -> None:
        self._pattern = pattern
        self._variants = variants
        self._not_followed_by = not_followed_by

    @classmethod
    def build(
        cls,
        companies: Iterable[CompanyNames],
        *,
        ambiguous_words: Collection[str] = DEFAULT_AMBIGUOUS_WORDS,
        proper_nouns: Collection[str] = DEFAULT_PROPER_NOUNS,
        not_followed_by: Mapping[str, frozenset[str]] = DEFAULT_NOT_FOLLOWED_BY,
    ) -> CompanyMatcher:
        ambiguous = {word.lower() for word in ambiguous_words}
        proper = {word.lower() for word in proper_nouns}
        root = _TrieNode()
        variants: dict[str, list[_Variant]] = defaultdict(list)
        for company in companies:
            seen: set[str] = set()
            for written in (company.name, *company.aliases):
                written = " ".join(written.split())
                key = _key(written)
                if len(key) < MIN_NAME_CHARS or not any(char.isalnum() for char in key):
                    continue
                if key not in seen:
                    # "OpenAI" and "Open AI" share a key: one variant, two spellings.
                    seen.add(key)
                    kind = _kind_of(written, ambiguous, proper)
                    variants[key].append(_Variant(company.id, kind, written))
                node = root
                for unit in _units(written):
                    node = node.children.setdefault(unit, _TrieNode())
                node.terminal = True
        if not variants:
            # A pattern that never matches: no companies, no mentions.
            return cls(pattern=re.compile(r"(?!)"), variants={}, not_followed_by={})
        pattern = re.compile(r"(?<!\w)" + _trie_pattern(root))
        return cls(
            pattern=pattern,
            variants=dict(variants),
            not_followed_by={key.lower(): words for key, words in not_followed_by.items()},
        )

    def find(self, *, title: str, summary: str, text: str) -> dict[int, int]:
        """Company id → number of mentions; a mention in the title counts double.

        Companies whose only evidence is weak (an ambiguous name at the start of a
        sentence or in a Title-Case line) are left out.
        """
        evidence: dict[int, _Evidence] = {}
        for field_text, weight in ((title, TITLE_WEIGHT), (summary, 1), (text, 1)):
            if field_text:
                self._scan(_prepare(field_text), weight, evidence)
        return {
            company_id: found.strong + found.weak
            for company_id, found in sorted(evidence.items())
            if found.strong > 0
        }

    def _scan(self, text: str, weight: int, evidence: dict[int, _Evidence]) -> None:
        lowered = _lower_same_length(text)
        title_case_lines: dict[int, bool] = {}
        for match in self._pattern.finditer(lowered):
            start, end = match.span()
            key = _key(match.group())
            if self._vetoed(key, lowered, end):
                continue
            for variant in self._variants.get(key, ()):
                strength = self._strength(variant, text, start, end, title_case_lines)
                if strength is None:
                    continue
                found = evidence.get(variant.company_id, _Evidence())
                if strength:
                    found = _Evidence(found.strong + weight, found.weak)
                else:
                    found = _Evidence(found.strong, found.weak + weight)
                evidence[variant.company_id] = found

    def _vetoed(self, key: str, lowered: str, end: int) -> bool:
        vetoes = self._not_followed_by.get(key)
        if not vetoes:
            return False
        following = _NEXT_WORD.match(lowered, end)
        return following is not None and following.group(1) in vetoes

    def _strength(
        self,
        variant: _Variant,
        text: str,
        start: int,
        end: int,
        title_case_lines: dict[int, bool],
    ) -> bool | None:
        """True for a strong mention, False for a weak one, None for no mention."""
        found = text[start:end]
        if variant.kind is _Kind.DISTINCTIVE:
            return True
        if variant.kind is _Kind.EXACT:
            return _key_cased(found) == _key_cased(variant.written) or None
        if not found[0].isupper() or not _letters_agree(found, variant.written):
            return None
        if variant.kind is _Kind.CAPITALISED:
            return True
        if _DISAMBIGUATOR_AFTER.match(text, end) or _CUE_BEFORE.search(
            text, max(0, start - 40), start
        ):
            return True
        if _is_sentence_start(text, start):
            return False
        line_start = text.rfind("\n", 0, start) + 1
        if line_start not in title_case_lines:
            line_end = text.find("\n", end)
            line = text[line_start : line_end if line_end >= 0 else len(text)]
            title_case_lines[line_start] = _is_title_case(line)
        return not title_case_lines[line_start]


def _kind_of(written: str, ambiguous: set[str], proper: set[str]) -> _Kind:
    lowered = written.lower()
    words = lowered.split()
    if (
        written.isalpha()
        and written.isupper()
        and len(written) <= MAX_EXACT_ACRONYM_CHARS
        and lowered in ambiguous | proper | _COMMON_ACRONYM_WORDS
    ):
        return _Kind.EXACT
    if len(words) == 1 and lowered in ambiguous:
        return _Kind.AMBIGUOUS
    if lowered in proper or lowered in ambiguous or words[0] in ambiguous | proper:
        return _Kind.CAPITALISED
    return _Kind.DISTINCTIVE


# All-capital names that are also lower-case words: "FAIR" (Meta's lab), not "fair".
_COMMON_ACRONYM_WORDS = frozenset({"fair", "air", "sage", "hope", "open", "pal", "ace"})


def _key_cased(name: str) -> str:
    return _KEY_DROP.sub("", name)


def _letters_agree(found: str, written: str) -> bool:
    """Single-letter words keep their case: "Command A" is not "Command a"."""
    found_words = _KEY_SPLIT.split(found)
    written_words = _KEY_SPLIT.split(written)
    if len(found_words) != len(written_words):
        return True
    return all(
        found_word == written_word
        for found_word, written_word in zip(found_words, written_words, strict=True)
        if len(written_word) == 1 and written_word.isalpha()
    )


_KEY_SPLIT = re.compile(r"[\s\-]+")


def primary_company(*, source_company_id: int | None, mentions: Mapping[int, int]) -> int | None:
    """The company an item is mainly about.

    The source's own company when the source belongs to one; otherwise the most-mentioned
    company. A tie at the top means the item is about several companies equally, and no
    company is primary.
    """
    if source_company_id is not None:
        return source_company_id
    best = max(mentions.values(), default=0)
    if best <= 0:
        return None
    leaders = [company_id for company_id, count in mentions.items() if count == best]
    return leaders[0] if len(leaders) == 1 else None
