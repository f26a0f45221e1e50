"""Themes the chosen companies talk about over a period, built from item keywords.

Keywords are already extracted per item (news/keywords.py); this module only cleans
and groups them. The rules (see docs/insights.md, "Themes"):

- a keyword is normalised to its theme key: lower-case, spaces collapsed, every word
  folded to the singular, so "agents" and "agent" are one theme even when extracted by
  different versions of the extractor;
- stop words, pure numbers and generic words alone are dropped, and so are the names,
  slugs and aliases of *every* company (not only the item's own), with phrases made of
  nothing but company names and generic words;
- within one item, a term that is part of a longer term of the same item counts for
  the longer one only ("function" next to "function calling");
- an item counts once per theme.

Three queries whatever the number of companies or items: the items' keywords (capped
at ``MAX_ITEMS`` most recent), the names of all companies, and the titles and links of
the examples shown.
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from django.core.cache import cache
from django.db.models import Count, Max

from competitors.activity import Period
from competitors.models import Company
from news.keywords import GENERIC_WORDS, STOP_WORDS, singular

# The extractor's own name and number rules, so that a theme is cleaned exactly as the
# item's keywords were when extracted.
from news.keywords import exclusions as keyword_exclusions
from news.keywords import is_number as is_number_term
from news.models import NewsItem

DEFAULT_LIMIT = 15
EXAMPLES = 3
# Unique themes need this many items: one item is an anecdote, not a theme.
MIN_UNIQUE_ITEMS = 2
# Items read per call, newest first. Bounds memory and time on a long period of very
# busy companies; older items past the cap do not contribute.
MAX_ITEMS = 5_000
# How long themes_cached keeps a result; its key changes with the items anyway.
CACHE_SECONDS = 300


@dataclass(frozen=True)
class ThemeExample:
    id: int
    title: str
    url: str
    company_slug: str
    published_at: datetime


@dataclass(frozen=True)
class Theme:
    key: str  # normalised term
    label: str  # the form shown: the most common stored form
    counts: dict[str, int]  # company slug -> items with the theme, by count desc
    items: int  # items with the theme, all companies
    examples: list[ThemeExample]  # up to 3, priority desc then newest

    @property
    def companies(self) -> list[str]:
        return list(self.counts)


@dataclass(frozen=True)
class Themes:
    period: Period
    shared: list[Theme]  # in >= 2 of the companies
    unique: dict[str, list[Theme]]  # company slug -> themes only it has (>= 2 items)


class _Item(NamedTuple):
    id: int
    company_id: int
    published_at: datetime
    # Smaller ranks first: priority desc, then newest, then the highest id.
    rank: tuple[float, float, int]


@dataclass
class _Tally:
    items: list[_Item] = field(default_factory=list)
    forms: Counter[str] = field(default_factory=Counter)
    per_company: Counter[int] = field(default_factory=Counter)


def themes_for(
    *, companies: Sequence[Company], period: Period, limit: int = DEFAULT_LIMIT
) -> Themes:
    """Shared and unique themes of ``companies`` over ``period``.

    ``shared``: themes of at least two companies, by number of companies, then items,
    then key. ``unique``: for every company (in the given order), themes no other of
    the chosen companies has, with at least ``MIN_UNIQUE_ITEMS`` items, by items then
    key. Each list holds at most ``limit`` themes.
    """
    chosen = list({company.pk: company for company in companies}.values())
    slugs = {company.pk: company.slug for company in chosen}
    if not chosen or limit <= 0:
        return Themes(period=period, shared=[], unique={slug: [] for slug in slugs.values()})

    resolve = _Resolver(_company_names())
    tallies: dict[str, _Tally] = defaultdict(_Tally)
    for item, keywords in _items(company_ids=list(slugs), period=period):
        for key, form in _item_themes(keywords, resolve).items():
            tally = tallies[key]
            tally.items.append(item)
            tally.forms[form] += 1
            tally.per_company[item.company_id] += 1

    # Thousands of keys, a few dozen shown: rank on the counts, build only the winners.
    shared_keys = sorted(
        (key for key, tally in tallies.items() if len(tally.per_company) >= 2),
        key=lambda key: (-len(tallies[key].per_company), -len(tallies[key].items), key),
    )[:limit]
    unique_keys: dict[int, list[str]] = {pk: [] for pk in slugs}
    for key in sorted(tallies, key=lambda key: (-len(tallies[key].items), key)):
        tally = tallies[key]
        if len(tally.per_company) == 1 and len(tally.items) >= MIN_UNIQUE_ITEMS:
            keys_of_company = unique_keys[next(iter(tally.per_company))]
            if len(keys_of_company) < limit:
                keys_of_company.append(key)
    shown = [*shared_keys, *(key for keys in unique_keys.values() for key in keys)]
    picks = {key: _example_items(tallies[key].items) for key in shown}
    examples = _examples(picks, slugs)
    order = {company.pk: index for index, company in enumerate(chosen)}

    def theme(key: str) -> Theme:
        return _theme(key, tallies[key], slugs, order, examples[key])

    return Themes(
        period=period,
        shared=[theme(key) for key in shared_keys],
        unique={slugs[pk]: [theme(key) for key in keys] for pk, keys in unique_keys.items()},
    )


def themes_cached(
    *, companies: Sequence[Company], period: Period, limit: int = DEFAULT_LIMIT
) -> Themes:
    """``themes_for``, kept in the cache for ``CACHE_SECONDS``.

    Its key names the companies (by slug, which the result holds), the period with its
    zone, the limit, and the state of their items in the period (how many, the newest
    id, the last analysis), so a new, deleted or re-analysed item gives a new key at
    once. Checking that state is one aggregate, a small fraction of what the themes
    cost. A company added or renamed elsewhere changes which terms are names only when
    the entry expires.
    """
    ids = sorted({company.pk for company in companies})
    if not ids or limit <= 0:
        return themes_for(companies=companies, period=period, limit=limit)
    state = NewsItem.objects.filter(
        company_id__in=ids, published_at__gte=period.start, published_at__lt=period.end
    ).aggregate(count=Count("pk"), newest=Max("pk"), analysed=Max("analysed_at"))
    analysed = state["analysed"].isoformat() if state["analysed"] else "-"
    key = ":".join(
        [
            "themes",
            ",".join(sorted({company.slug for company in companies})),
            period.start.isoformat(),
            period.end.isoformat(),
            str(limit),
            f"{state['count']}.{state['newest']}.{analysed}",
        ]
    )
    themes = cache.get(key)
    if not isinstance(themes, Themes):
        themes = themes_for(companies=companies, period=period, limit=limit)
        cache.set(key, themes, CACHE_SECONDS)
    return themes


def _items(*, company_ids: list[int], period: Period) -> Iterable[tuple[_Item, list[str]]]:
    rows = (
        NewsItem.objects.filter(
            company_id__in=company_ids,
            published_at__gte=period.start,
            published_at__lt=period.end,
        )
        .order_by("-published_at", "-id")
        # Titles and links only for the few examples shown, read afterwards.
        .values_list("id", "company_id", "published_at", "priority_score", "keywords")[:MAX_ITEMS]
    )
    for item_id, company_id, published_at, priority, keywords in rows:
        rank = (-priority, -published_at.timestamp(), -item_id)
        item = _Item(item_id, company_id, published_at, rank)
        yield item, keywords if isinstance(keywords, list) else []


@dataclass(frozen=True)
class _Names:
    whole: frozenset[str]  # full names as terms: "google deepmind", "mistral ai"
    words: frozenset[str]  # words that on their own stand for a company: "deepmind"


def _company_names() -> _Names:
    written: list[str] = []
    for name, slug, aliases in Company.objects.values_list("name", "slug", "aliases"):
        written += [name, slug, slug.replace("-", " ")]
        if isinstance(aliases, list):
            written += [alias for alias in aliases if isinstance(alias, str)]
    whole, words = keyword_exclusions(written)
    single = {term for term in whole if " " not in term}
    return _Names(whole=frozenset(whole), words=frozenset(words | single))


def theme_key(term: str) -> str | None:
    """The theme a stored keyword belongs to, or None when it is not a theme on its own
    (stop word, number, generic word). Company names are checked separately."""
    words = [singular(word) for word in term.lower().split()]
    if not words or _stop(words[0]) or _stop(words[-1]):
        return None
    if all(_stop(word) or is_number_term(word) or word in GENERIC_WORDS for word in words):
        return None
    return " ".join(words)


def _stop(word: str) -> bool:
    return word in STOP_WORDS or singular(word) in STOP_WORDS


def _is_company_name(key: str, names: _Names) -> bool:
    if key in names.whole:
        return True
    remaining = [word for word in key.split(" ") if word not in GENERIC_WORDS]
    return bool(remaining) and all(word in names.words for word in remaining)


class _Resolver:
    """Stored keyword -> (theme key, shown form), or None when it is no theme; the
    same few hundred keywords recur across thousands of items, so each is worked out
    once per call."""

    def __init__(self, names: _Names) -> None:
        self.names = names
        self.known: dict[str, tuple[str, str] | None] = {}

    def __call__(self, keyword: str) -> tuple[str, str] | None:
        try:
            return self.known[keyword]
        except KeyError:
            pass
        form = " ".join(keyword.lower().split())
        key = theme_key(form)
        resolved = (
            (key, form) if key is not None and not _is_company_name(key, self.names) else None
        )
        self.known[keyword] = resolved
        return resolved


def _item_themes(keywords: Iterable[object], resolve: _Resolver) -> dict[str, str]:
    """Theme key -> the form the item shows it in, each theme once."""
    found: dict[str, str] = {}
    for keyword in keywords:
        if not isinstance(keyword, str):
            continue
        resolved = resolve(keyword)
        if resolved is not None and resolved[0] not in found:
            found[resolved[0]] = resolved[1]
    # Only a phrase can hold another term.
    phrases = [f" {key} " for key in found if " " in key]
    if not phrases:
        return found
    return {
        key: form
        for key, form in found.items()
        if not any(f" {key} " in phrase and phrase != f" {key} " for phrase in phrases)
    }


def _theme(
    key: str,
    tally: _Tally,
    slugs: dict[int, str],
    order: dict[int, int],
    examples: list[ThemeExample],
) -> Theme:
    per_company = tally.per_company
    ranked_companies = sorted(per_company, key=lambda pk: (-per_company[pk], order[pk]))
    # Ties between forms go to the key itself, then to the first alphabetically.
    label = min(tally.forms, key=lambda form: (-tally.forms[form], form != key, form))
    return Theme(
        key=key,
        label=label,
        counts={slugs[pk]: per_company[pk] for pk in ranked_companies},
        items=len(tally.items),
        examples=examples,
    )


def _example_items(items: list[_Item]) -> list[_Item]:
    """The best items, but first the best item of each company, so that a shared theme
    shows how different companies approach it."""
    best: dict[int, _Item] = {}
    for item in items:
        current = best.get(item.company_id)
        if current is None or item.rank < current.rank:
            best[item.company_id] = item
    chosen = {item.id: item for item in sorted(best.values(), key=_rank)[:EXAMPLES]}
    # At most EXAMPLES of the best 2 * EXAMPLES are chosen already: enough to fill up.
    for item in heapq.nsmallest(2 * EXAMPLES, items, key=_rank):
        if len(chosen) >= EXAMPLES:
            break
        chosen.setdefault(item.id, item)
    return sorted(chosen.values(), key=_rank)


def _examples(
    picks: dict[str, list[_Item]], slugs: dict[int, str]
) -> dict[str, list[ThemeExample]]:
    """The picked items of each theme with their titles and links: one query for all."""
    ids = {item.id for items in picks.values() for item in items}
    rows = NewsItem.objects.filter(pk__in=ids).values_list("pk", "title", "url") if ids else []
    details = {pk: (title, url) for pk, title, url in rows}
    return {
        key: [
            ThemeExample(
                id=item.id,
                title=details[item.id][0],
                url=details[item.id][1],
                company_slug=slugs[item.company_id],
                published_at=item.published_at,
            )
            for item in items
            if item.id in details  # deleted meanwhile
        ]
        for key, items in picks.items()
    }


def _rank(item: _Item) -> tuple[float, float, int]:
    return item.rank
