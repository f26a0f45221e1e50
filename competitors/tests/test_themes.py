import zoneinfo
from datetime import date, datetime

import pytest

from competitors.activity import Period
from competitors.tests.factories import CompanyFactory
from competitors.themes import theme_key, themes_for
from news.tests.factories import NewsItemFactory

pytestmark = pytest.mark.django_db

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")  # UTC+1 in winter, +2 from 30 March 2025
MARCH = Period(date_from=date(2025, 3, 1), date_to=date(2025, 3, 31), tz=BERLIN)


def _at(day, hour=12, minute=0, second=0, month=3):
    return datetime(2025, month, day, hour, minute, second, tzinfo=BERLIN)


def _item(company, keywords, *, priority=0.5, published_at=None, title=None):
    return NewsItemFactory(
        company=company,
        source=None,
        keywords=keywords,
        priority_score=priority,
        published_at=published_at or _at(10),
        **({"title": title} if title else {}),
    )


@pytest.fixture
def landscape():
    anthropic = CompanyFactory(name="Anthropic", slug="anthropic", aliases=["Claude"])
    openai = CompanyFactory(name="OpenAI", slug="openai", aliases=["ChatGPT"])
    mistral = CompanyFactory(name="Mistral AI", slug="mistral-ai", aliases=[])
    # Not compared, but its names are still no theme.
    CompanyFactory(name="Google DeepMind", slug="google-deepmind", aliases=["Gemini"])

    # Every excluded term appears in at least two items of one company, so it would be
    # a unique theme if it were not excluded.
    items = {
        # "agents" is part of "ai agents" in the same item; "openai" is another
        # company, "claude" an alias, "2025" a number, "the" a stop word.
        "a1": _item(
            anthropic,
            ["ai agents", "agents", "openai", "claude", "system prompt", "2025", "the"],
            priority=0.9,
            published_at=_at(10),
        ),
        "a2": _item(
            anthropic,
            ["ai agent", "openai", "claude", "system prompts", "2025", "the"],
            priority=0.5,
            published_at=_at(12),
        ),
        # The names of a company that is not compared are no themes either.
        "a3": _item(
            anthropic,
            ["prompt caching", "safety", "gemini", "deepmind", "google-deepmind"],
            priority=0.3,
            published_at=_at(5),
        ),
        "a4": _item(
            anthropic,
            ["prompt caching", "gemini", "deepmind", "google deepmind"],
            priority=0.2,
            published_at=_at(6),
        ),
        "a5": _item(anthropic, ["function calling", "function"], priority=0.4, published_at=_at(7)),
        # "anthropic claude" and "openai models" are names (and a generic word) only.
        "o1": _item(
            openai,
            ["ai agent", "chatgpt", "anthropic claude", "openai models"],
            priority=0.8,
            published_at=_at(11),
        ),
        "o2": _item(
            openai,
            ["function calling", "reasoning", "chatgpt", "anthropic claude"],
            priority=0.6,
            published_at=_at(8),
        ),
        "o3": _item(openai, ["reasoning", "openai model"], priority=0.7, published_at=_at(9)),
        # The period's first instant is in; the instant before it and the first instant
        # after the period are out.
        "o4": _item(openai, ["reasoning"], priority=0.1, published_at=_at(1, 0, month=3)),
        "o5": _item(openai, ["reasoning"], priority=0.9, published_at=_at(1, 0, month=4)),
        "o6": _item(openai, ["reasoning"], priority=0.9, published_at=_at(28, 23, 59, 59, month=2)),
        # "open source" is generic words only.
        "m1": _item(mistral, ["ai agents", "open source"], priority=0.2, published_at=_at(15)),
        "m2": _item(mistral, ["safety", "open source"], priority=0.2, published_at=_at(16)),
    }
    return [anthropic, openai, mistral], items


def _summary(themes):
    return [(theme.key, theme.counts, theme.items) for theme in themes]


def test_shared_and_unique_themes(landscape):
    companies, _ = landscape

    themes = themes_for(companies=companies, period=MARCH)

    assert themes.period == MARCH
    assert _summary(themes.shared) == [
        ("ai agent", {"anthropic": 2, "openai": 1, "mistral-ai": 1}, 4),
        ("function calling", {"anthropic": 1, "openai": 1}, 2),
        ("safety", {"anthropic": 1, "mistral-ai": 1}, 2),
    ]
    assert themes.shared[0].companies == ["anthropic", "openai", "mistral-ai"]
    assert {slug: _summary(unique) for slug, unique in themes.unique.items()} == {
        "anthropic": [
            ("prompt caching", {"anthropic": 2}, 2),
            ("system prompt", {"anthropic": 2}, 2),
        ],
        "openai": [("reasoning", {"openai": 3}, 3)],
        "mistral-ai": [],
    }


def test_examples_are_spread_over_companies_then_by_priority(landscape):
    companies, items = landscape

    themes = themes_for(companies=companies, period=MARCH)

    # Without spreading, Anthropic's second item (priority 0.5) would beat Mistral's (0.2).
    agent = themes.shared[0]
    assert [example.id for example in agent.examples] == [
        items["a1"].pk,
        items["o1"].pk,
        items["m1"].pk,
    ]
    assert [example.company_slug for example in agent.examples] == [
        "anthropic",
        "openai",
        "mistral-ai",
    ]
    first = agent.examples[0]
    assert (first.title, first.url, first.published_at) == (
        items["a1"].title,
        items["a1"].url,
        _at(10),
    )
    reasoning = themes.unique["openai"][0]
    assert [example.id for example in reasoning.examples] == [
        items["o3"].pk,
        items["o2"].pk,
        items["o4"].pk,
    ]


def test_equal_priority_examples_are_newest_first():
    company = CompanyFactory(name="Cohere", slug="cohere")
    older = _item(company, ["rerank"], priority=0.5, published_at=_at(3))
    newer = _item(company, ["rerank"], priority=0.5, published_at=_at(4))

    (theme,) = themes_for(companies=[company], period=MARCH).unique["cohere"]

    assert [example.id for example in theme.examples] == [newer.pk, older.pk]


def test_label_is_the_most_common_form_ties_going_to_the_key(landscape):
    companies, _ = landscape
    cohere = CompanyFactory(name="Cohere", slug="cohere")
    _item(cohere, ["evals"])
    _item(cohere, ["evals"])
    _item(cohere, ["eval"])

    themes = themes_for(companies=[*companies, cohere], period=MARCH)

    (evals,) = themes.unique["cohere"]
    assert (evals.key, evals.label, evals.items) == ("eval", "evals", 3)
    # "ai agents" and "ai agent" are both stored twice.
    assert themes.shared[0].label == "ai agent"
    assert themes.unique["anthropic"][1].label == "system prompt"


def test_limit_applies_to_each_list(landscape):
    companies, _ = landscape

    themes = themes_for(companies=companies, period=MARCH, limit=1)

    assert [theme.key for theme in themes.shared] == ["ai agent"]
    assert [theme.key for theme in themes.unique["anthropic"]] == ["prompt caching"]
    assert [theme.key for theme in themes.unique["openai"]] == ["reasoning"]


def test_a_word_inside_a_phrase_of_the_same_item_counts_for_the_phrase_only():
    company = CompanyFactory(name="Cohere", slug="cohere")
    _item(company, ["function calling", "function"])
    _item(company, ["function calling", "functions"])
    _item(company, ["function"])
    _item(company, ["functions"])
    # Nested phrases: "command r" is inside "command r plus" (not a name here).
    _item(company, ["command r plus", "command r"])
    _item(company, ["command r plus"])

    themes = themes_for(companies=[company], period=MARCH)

    assert _summary(themes.unique["cohere"]) == [
        ("command r plus", {"cohere": 2}, 2),
        ("function", {"cohere": 2}, 2),
        ("function calling", {"cohere": 2}, 2),
    ]


def test_a_theme_of_one_item_is_not_unique():
    company = CompanyFactory(name="Cohere", slug="cohere")
    other = CompanyFactory(name="Reka", slug="reka")
    _item(company, ["rerank"])
    _item(company, ["embedding"])
    _item(company, ["embeddings"])

    themes = themes_for(companies=[company, other], period=MARCH)

    assert themes.shared == []
    assert [theme.key for theme in themes.unique["cohere"]] == ["embedding"]
    assert themes.unique["reka"] == []


def test_an_item_counts_once_per_theme():
    company = CompanyFactory(name="Cohere", slug="cohere")
    _item(company, ["embeddings", "embedding", "Embedding"])
    _item(company, ["embedding"])

    (theme,) = themes_for(companies=[company], period=MARCH).unique["cohere"]

    assert (theme.key, theme.items, theme.counts) == ("embedding", 2, {"cohere": 2})


def test_three_queries_whatever_the_number_of_companies(landscape, django_assert_num_queries):
    companies, _ = landscape
    more = [CompanyFactory(name=f"Extra {n}", slug=f"extra-{n}") for n in range(2)]
    for company in more:
        _item(company, ["ai agent", "reasoning"])

    # The keywords, the company names, the examples' titles and links.
    with django_assert_num_queries(3):
        themes_for(companies=companies[:2], period=MARCH)
    with django_assert_num_queries(3):
        themes_for(companies=[*companies, *more], period=MARCH)


def test_no_companies_means_no_themes_and_no_queries(django_assert_num_queries):
    with django_assert_num_queries(0):
        themes = themes_for(companies=[], period=MARCH)
    assert (themes.shared, themes.unique) == ([], {})


@pytest.mark.parametrize(
    ("term", "key"),
    [
        ("agents", "agent"),
        ("AI  Agents", "ai agent"),
        ("system prompts", "system prompt"),
        ("function calling", "function calling"),
        ("claude 3.5", "claude 3.5"),
        ("windows", "windows"),  # the extractor's invariant words stay as they are
        ("the", None),
        ("announcements", None),  # a news stop word, in the plural
        ("2025", None),
        ("3.5", None),
        ("ai", None),  # generic on its own ...
        ("ai safety", "ai safety"),  # ... but not in a phrase
        ("open source", None),
        ("new agent", None),  # a phrase never starts or ends with a stop word
        ("", None),
    ],
)
def test_theme_key(term, key):
    assert theme_key(term) == key


# ---------------------------------------------------------------- cache


def _shared_keys(themes):
    return [theme.key for theme in themes.shared]


def test_cached_themes_are_read_again_only_when_the_items_change(django_assert_num_queries):
    from django.utils import timezone

    from competitors.themes import themes_cached
    from news.models import NewsItem

    acme = CompanyFactory(name="Acme", slug="acme-cache")
    beta = CompanyFactory(name="Beta", slug="beta-cache")
    _item(acme, ["reasoning"])
    _item(beta, ["reasoning"])
    first = themes_cached(companies=[acme, beta], period=MARCH)
    assert _shared_keys(first) == ["reasoning"]

    # Nothing changed: the state of the items is all it reads.
    with django_assert_num_queries(1):
        again = themes_cached(companies=[acme, beta], period=MARCH)
    assert again == first

    # A new item is seen at once.
    _item(acme, ["vision"])
    _item(beta, ["vision"])
    assert set(_shared_keys(themes_cached(companies=[acme, beta], period=MARCH))) == {
        "reasoning",
        "vision",
    }

    # So is an item analysed again with other keywords.
    item = NewsItem.objects.filter(company=acme, keywords=["vision"]).get()
    NewsItem.objects.filter(pk=item.pk).update(keywords=["audio"], analysed_at=timezone.now())
    assert _shared_keys(themes_cached(companies=[acme, beta], period=MARCH)) == ["reasoning"]

    # And another period is another entry.
    april = Period(date_from=date(2025, 4, 1), date_to=date(2025, 4, 30), tz=BERLIN)
    assert themes_cached(companies=[acme, beta], period=april).shared == []
