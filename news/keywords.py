"""Top keywords of a news item, shown as chips and used as filters.

Pure: strings in, a list of strings out. Terms are lower-cased, English plurals are
folded into the singular so that "agents" and "agent" filter alike, and the company
names the caller passes in ``exclude`` never come back (they have their own filter).

Scoring is deliberately simple and explainable: a term in the title is worth more than
one in the body, body counts are damped so that a long article does not drown its own
headline, and two-word terms ("function calling", "claude 3.5") win over the single
words they are made of.
"""

from __future__ import annotations

import functools
import html
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

from news.normalization import html_to_text

DEFAULT_LIMIT = 8
TITLE_WEIGHT = 3.0
# Title occurrences past this many add nothing: a headline that repeats a word is not
# twice as much about it.
MAX_TITLE_OCCURRENCES = 2
# Phrases are more specific than their words, so they win a tie against them.
PHRASE_BOOST = 1.5
# A two-word phrase must occur this often (title and body together) to count as a term
# rather than two chance neighbours; product names such as "Claude 3.5" need once.
MIN_PHRASE_OCCURRENCES = 2
# Keywords come from the start of very long texts only: the tail rarely changes the top
# terms and the cost stays bounded.
MAX_TEXT_CHARS = 50_000
MAX_TERM_CHARS = 40
MAX_HYPHEN_PARTS = 3


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# ---------------------------------------------------------------- word lists

ENGLISH_STOP_WORDS = _word_set(
    """
    a about above across after again against all almost along already also although
    always am among an and another any anybody anyone anything anyway are around as at
    away back be became because become becomes been before behind being below beside
    besides between beyond both but by can cannot could did do does doing done down
    during each either else enough etc even ever every everyone everything few for from
    further get gets getting got had has have having he hence her here hers herself him
    himself his how however i if in inside instead into is it its itself just least less
    let lets like likely made make makes making many may maybe me meanwhile might mine
    more moreover most mostly much must my myself near nearly neither never nevertheless
    next no nobody none nor not nothing now of off often on once one only onto or other
    others otherwise our ours ourselves out over own per perhaps please quite rather
    really s same say says said see seen she should since so some somebody someone
    something sometimes soon still such than that the their theirs them themselves then
    there thereby therefore these they this those though through throughout thus to
    together too toward towards under unless unlike until up upon us use used uses using
    very via was way we well were what whatever when whenever where whereas wherever
    whether which while who whoever whole whom whose why will with within without would
    yet you your yours yourself yourselves
    zero two three four five six seven eight nine ten eleven twelve hundred thousand
    million billion trillion first second third last dozen half
    mr mrs ms dr vs e.g i.e
    """
)
# Words every AI news item uses. They break phrases like stop words do, so they never
# start or end a keyword.
NEWS_STOP_WORDS = _word_set(
    """
    announce announced announces announcing announcement announcements launch launched
    launches launching release released releases releasing introduce introduced
    introduces introducing unveil unveiled unveils unveiling debut debuts debuted
    roll rolls rolled rolling rollout reveal revealed reveals share shared shares
    today yesterday tomorrow tonight week weeks month months year years day days
    monday tuesday wednesday thursday friday saturday sunday january february march april
    june july august september october november december
    news latest update updated updates report reported reports according including
    include includes included available availability now recently early earlier later
    percent inc ltd corp llc co blog post posts article read click here link
    http https www com html said says told tell thing things lot lots ways part set
    based big bigger biggest good great really able want wants wanted need needs needed
    know known going come comes came take takes took give gives gave find found show
    shows showed look looks looked keep kept put puts try tries tried call called calls
    mean means seem seems seemed become becomes became begin begins began start starts
    started continue continues continued plan plans planned expect expects expected
    new newer newest more most next previous former current currently
    bring brings brought add adds added improve improves improved offer offers offered
    allow allows allowed enable enables enabled provide provides provided help helps
    helped power powers powered boost boosts boosted faster slower cheaper larger
    smaller higher lower longer shorter stronger easier harder
    """
)
# Too broad to be a keyword on their own in AI news, but fine inside a phrase:
# "reasoning model", "ai agent", "open source".
GENERIC_WORDS = _word_set(
    """
    ai artificial intelligence model system tool feature product service platform
    data user customer developer version support team work help build use make better
    best large small high low open source general custom free paid full real world
    company startup firm business people technology tech industry market way time
    access option level result benefit capability performance application app solution
    experience approach process information number example case type kind lab
    state-of-the-art
    модель модели моделей моделью ии искусственный интеллект
    """
)
RUSSIAN_STOP_WORDS = _word_set(
    """
    и в во не что он на я с со как а то все всё она так его но да ты к у же вы за бы по
    только ее её мне было вот от меня еще ещё нет о об из ему теперь когда даже ну ли
    если уже или ни быть был была были будет будут него до вас нибудь опять уж вам ведь
    там потом себя ничего ей может могут они тут где есть надо ней для мы тебя их чем сам
    сама само чтоб чтобы без будто чего раз тоже себе под ж тогда кто этот эта это эти
    того этого этой этом этим тем том потому какой какая какие совсем ним здесь один одна
    почти мой моя мое наш наша наше ваш сейчас куда зачем всех всем никогда можно нужно
    при наконец два две три об другой другие хоть после над больше меньше тот та те через
    нас про всего них много разве свою свой своей своих перед иногда лучше чуть нельзя
    такой такая такие им более менее всегда конечно всю между также который которая
    которое которые которых которым котором однако очень лишь пока либо именно где-то
    компания компании компанию сообщила сообщил сообщили заявил заявила заявили
    представила представил представили объявила объявил новый новая новое новые новых
    новую новой новым новыми
    году года годы сегодня вчера завтра неделе месяц процентов млн млрд тыс
    """  # noqa: RUF001 - Cyrillic words, not look-alikes of Latin ones
)
STOP_WORDS = ENGLISH_STOP_WORDS | NEWS_STOP_WORDS | RUSSIAN_STOP_WORDS

# ---------------------------------------------------------------- plurals

# Words ending in "s" that are not plurals, or whose plural the rules below get wrong.
_INVARIANT = _word_set(
    """
    news series species means headquarters kubernetes ios macos windows chaos kudos
    cosmos canvas atlas alias bias gas saas paas iaas maas dns css aws sms gps os
    analysis basis thesis synthesis diagnosis hypothesis crisis axis emphasis
    status bonus campus focus corpus virus plus bus census consensus nexus opus
    versus radius genius apparatus stimulus surplus
    robotics analytics physics economics ethics graphics mathematics politics
    logistics optics genomics electronics semantics dynamics mechanics statistics
    linguistics diagnostics aesthetics forensics informatics bioinformatics
    less unless across always perhaps whereas afterwards towards sometimes yes this
    thus his hers its was has does is as us
    """
)
_IRREGULAR = {
    "gpus": "gpu",
    "cpus": "cpu",
    "tpus": "tpu",
    "npus": "npu",
    "children": "child",
    "people": "people",
    "men": "man",
    "women": "woman",
    "indices": "index",
    "matrices": "matrix",
    "vertices": "vertex",
    "analyses": "analysis",
    "hypotheses": "hypothesis",
    "theses": "thesis",
    "crises": "crisis",
    "criteria": "criterion",
    "phenomena": "phenomenon",
    "caches": "cache",
    "niches": "niche",
    "cliches": "cliche",
    "movies": "movie",
    "cookies": "cookie",
    "selfies": "selfie",
    "rookies": "rookie",
    "zombies": "zombie",
    "lives": "life",
    "knives": "knife",
    "wives": "wife",
    "halves": "half",
    "shelves": "shelf",
}
_LATIN_WORD = re.compile(r"^[a-z]+(?:-[a-z]+)*$")


@functools.lru_cache(maxsize=65_536)
def singular(word: str) -> str:
    """The singular of a lower-case English word, by simple suffix rules.

    Only Latin words are touched; the last part of a hyphenated word is the one that
    changes ("large-language-models" → "large-language-model"). Words it cannot be sure
    about are returned as they are.
    """
    if not _LATIN_WORD.match(word):
        return word
    head, _, last = word.rpartition("-")
    changed = _singular_word(last)
    return f"{head}-{changed}" if head else changed


def _singular_word(word: str) -> str:
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if len(word) <= 3 or word in _INVARIANT or not word.endswith("s"):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes", "zzes")):
        return word[:-2]
    if word.endswith(("ss", "us", "is")):
        return word
    return word[:-1]


# ---------------------------------------------------------------- tokens

_MARKUP = re.compile(r"<[A-Za-z!/][^<>]{0,2000}>")
# Bounded, so a long run of letters without an "@" is not retried from every position.
_URL_OR_EMAIL = re.compile(
    r"(?:https?://|www\.)\S+|(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}\.[\w.-]{1,200}",
    re.IGNORECASE,
)
# A word, with inner hyphens, dots, apostrophes or ampersands kept: "gpt-4o", "3.5",
# "openai's", "w&b", "node.js".
_TOKEN = re.compile(r"[^\W_]+(?:[-.'&][^\W_]+)*")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})
_DASHES = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-"})
# Numbers with optional units: "2025", "3.5", "1,000", "10x", "$2b" (the $ is dropped by
# the tokeniser), "1st", "1990s".
_NUMBER_LIKE = re.compile(r"^v?\d[\d.,]*(?:[kmbx]|bn|st|nd|rd|th|s|am|pm)?$")
# Version numbers that make a product name with the words before: "Claude 3.5",
# "Mistral Large 2".
_VERSION = re.compile(r"^\d{1,2}(?:\.\d{1,2}){0,2}$")
_INITIALISM = re.compile(r"^(?:[a-z]\.)+[a-z]?$")
_SENTENCE_GAP = re.compile(r"[.!?:;\n]")
# Runs of CJK characters are whole phrases (there are no spaces to split words on);
# only short runs are plausibly single words.
_CJK = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
MAX_CJK_TERM_CHARS = 4
# At most this many capitalised words before a version number form a product name.
MAX_NAME_WORDS = 2


class _Token(NamedTuple):
    term: str
    # The word as written began with a capital letter: "Claude 3.5" is a product,
    # "chapter 3" is not.
    capitalised: bool
    # Nothing but spaces separates it from the previous token, so they may form a phrase
    # ("OpenAI's model" does not: a possessive ends a phrase).
    joined_to_previous: bool
    # Capitalised where a lower-case word would not be: evidence of a name.
    name_like: bool


def _prepare(text: str) -> str:
    text = text[:MAX_TEXT_CHARS]
    text = html_to_text(text) if _MARKUP.search(text) else html.unescape(text)
    text = unicodedata.normalize("NFKC", text).translate(_APOSTROPHES).translate(_DASHES)
    return _URL_OR_EMAIL.sub(" \n ", text)


# Words repeat across items far more than they vary, so what a word stands for is
# remembered (see ``_word``).
def _tokens(text: str) -> Iterator[_Token | None]:
    """Normalised tokens; stop words and other non-terms come out as None, a phrase break."""
    previous_end = 0
    previous_possessive = False
    prepared = _prepare(text)
    for match in _TOKEN.finditer(prepared):
        start, end = match.span()
        gap = prepared[previous_end:start]
        previous_end = end
        term, possessive, capitalised = _word(match.group())
        if term is None:
            previous_possessive = False
            yield None
            continue
        sentence_start = start == 0 or bool(_SENTENCE_GAP.search(gap))
        yield _Token(
            term,
            capitalised,
            not previous_possessive and not gap.strip(),
            capitalised and not sentence_start,
        )
        previous_possessive = possessive


@functools.lru_cache(maxsize=65_536)
def _word(raw: str) -> tuple[str | None, bool, bool]:
    """The term a word stands for, whether it is possessive, and whether it is capitalised."""
    possessive = raw.lower().endswith("'s")
    return _normalise(raw[:-2] if possessive else raw), possessive, raw[0].isupper()


def _normalise(raw: str) -> str | None:
    word = raw.lower().strip(".-&")
    if "'" in word or len(word) > MAX_TERM_CHARS or (len(word) < 2 and not word.isdigit()):
        # Contractions ("don't", "we're") are stop words; very long runs are not words;
        # single digits stay for product names such as "Llama 4".
        return None
    if word in STOP_WORDS or singular(word) in STOP_WORDS or _INITIALISM.match(word):
        return None
    if _CJK.search(word) and len(word) > MAX_CJK_TERM_CHARS:
        return None
    if word.count("-") >= MAX_HYPHEN_PARTS and not _has_digit(word):
        # "state-of-the-art", "end-to-end-encrypted": phrases, not names.
        return None
    return word


def _shown_forms(tokens: Iterable[_Token | None]) -> dict[str, str]:
    """How each word is shown: as its singular, unless it is a name that looks plural.

    "agents" becomes "agent", but "Databricks", capitalised mid-sentence and never
    written in lower case nor without its "s", stays as it is.
    """
    seen: set[str] = set()
    in_lower_case: set[str] = set()
    as_name: set[str] = set()
    for token in tokens:
        if token is None:
            continue
        seen.add(token.term)
        if not token.capitalised:
            in_lower_case.add(token.term)
        elif token.name_like:
            as_name.add(token.term)
    forms = {}
    for term in seen:
        single = singular(term)
        looks_like_a_name = (
            term in as_name
            and term not in in_lower_case
            and single not in seen
            and term not in _IRREGULAR
        )
        forms[term] = term if looks_like_a_name else single
    return forms


def _shown(tokens: list[_Token | None], forms: dict[str, str]) -> list[_Token | None]:
    return [
        token
        if token is None or forms[token.term] == token.term
        else token._replace(term=forms[token.term])
        for token in tokens
    ]


def _has_digit(word: str) -> bool:
    return any(char.isdigit() for char in word)


@functools.lru_cache(maxsize=65_536)
def is_number(term: str) -> bool:
    return bool(_NUMBER_LIKE.match(term))


# ---------------------------------------------------------------- counting


@dataclass(slots=True)
class _Counts:
    # Single words and phrases alike, keyed by the term as shown ("context window").
    terms: Counter[str]
    phrases: set[str]
    # Phrases that are a name and a version number ("claude 3.5"): kept even when seen
    # once, since they are names rather than chance neighbours.
    product_names: set[str]


def _count(tokens: Iterable[_Token | None]) -> _Counts:
    counts = _Counts(terms=Counter(), phrases=set(), product_names=set())
    run: list[_Token] = []
    for token in tokens:
        if token is None:
            run = []
            continue
        if not token.joined_to_previous:
            run = []
        number = is_number(token.term)
        if not number and token.term not in GENERIC_WORDS:
            counts.terms[token.term] += 1
        if run:
            if number:
                _count_product_name(counts, run, token)
            else:
                _count_bigram(counts, run[-1], token)
        run.append(token)
    return counts


def _count_product_name(counts: _Counts, run: list[_Token], version: _Token) -> None:
    if not _VERSION.match(version.term):
        return
    name: list[str] = []
    for token in reversed(run[-MAX_NAME_WORDS:]):
        if is_number(token.term) or not (token.capitalised or _has_digit(token.term)):
            break
        name.insert(0, token.term)
    while name and name[0] in GENERIC_WORDS:
        name.pop(0)
    if name:
        term = " ".join([*name, version.term])
        counts.terms[term] += 1
        counts.phrases.add(term)
        counts.product_names.add(term)


def _count_bigram(counts: _Counts, first: _Token, second: _Token) -> None:
    if is_number(first.term):
        return
    if first.term in GENERIC_WORDS and second.term in GENERIC_WORDS:
        return
    term = f"{first.term} {second.term}"
    counts.terms[term] += 1
    counts.phrases.add(term)


# ---------------------------------------------------------------- extraction


def extract_keywords(
    *, title: str, text: str, limit: int = DEFAULT_LIMIT, exclude: Iterable[str] = ()
) -> list[str]:
    """The ``limit`` best keywords of an item, best first.

    Ordered by score, then alphabetically, so the same input always gives the same list.
    Terms equal to a name in ``exclude`` (or to one word of a multi-word name, such as
    "deepmind" for "Google DeepMind") are left out.
    """
    if limit <= 0:
        return []
    title_tokens = list(_tokens(title))
    body_tokens = list(_tokens(text))
    forms = _shown_forms(title_tokens + body_tokens)
    in_title = _count(_shown(title_tokens, forms))
    in_body = _count(_shown(body_tokens, forms))
    excluded, excluded_words = exclusions(exclude)

    totals = in_title.terms + in_body.terms
    kept_phrases = {
        phrase
        for phrase in in_title.phrases | in_body.phrases
        if totals[phrase] >= MIN_PHRASE_OCCURRENCES
        or phrase in in_title.product_names
        or phrase in in_body.product_names
    }
    title_counts = _credit_phrases(in_title.terms, kept_phrases)
    body_counts = _credit_phrases(in_body.terms, kept_phrases)

    scores: dict[str, float] = {}
    for term in title_counts.keys() | body_counts.keys():
        is_phrase = " " in term
        if is_phrase and term not in kept_phrases:
            continue
        if term in excluded or _names_only(term, excluded, excluded_words):
            continue
        score = _score(title_counts[term], body_counts[term])
        if score > 0:
            scores[term] = score * (PHRASE_BOOST if is_phrase else 1.0)
    ranked = sorted(scores.items(), key=lambda item: (-round(item[1], 6), item[0]))
    return [term for term, _ in ranked[:limit]]


def _credit_phrases(counts: Counter[str], phrases: set[str]) -> Counter[str]:
    """Counts where a word or shorter phrase inside a kept phrase counts for the phrase.

    Longest phrases go first, and each passes on only what is left of its own count, so a
    word inside nested phrases ("mistral" in "mistral large" in "mistral large 2") is not
    discounted twice.
    """
    credited = Counter(counts)
    for phrase in sorted(phrases, key=lambda phrase: (-phrase.count(" "), phrase)):
        own = credited[phrase]
        if own <= 0:
            continue
        words = phrase.split(" ")
        for size in range(1, len(words)):
            for start in range(len(words) - size + 1):
                credited[" ".join(words[start : start + size])] -= own
    return credited


def _score(title_count: int, body_count: int) -> float:
    score = TITLE_WEIGHT * min(max(title_count, 0), MAX_TITLE_OCCURRENCES)
    if body_count > 0:
        score += 1.0 + math.log(body_count)
    return score


def exclusions(names: Iterable[str]) -> tuple[set[str], set[str]]:
    """Excluded terms: whole names, and the words of names longer than one word.

    Both as written and in the singular, since a name may be shown either way.
    """
    whole: set[str] = set()
    words: set[str] = set()
    for name in names:
        terms = [token.term for token in _tokens(name) if token is not None]
        if not terms:
            continue
        for spelling in (terms, [singular(term) for term in terms]):
            whole.add(" ".join(spelling))
            if len(spelling) > 1:
                words.update(term for term in spelling if term not in GENERIC_WORDS)
    return whole, words


def _names_only(term: str, excluded: set[str], excluded_words: set[str]) -> bool:
    """A company name, possibly with generic words: "deepmind", "mistral ai"."""
    remaining = [word for word in term.split(" ") if word not in GENERIC_WORDS]
    if not remaining:
        return False
    return " ".join(remaining) in excluded or all(word in excluded_words for word in remaining)
