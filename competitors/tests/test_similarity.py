import math
from datetime import timedelta

import pytest
from django.utils import timezone

from competitors.models import Company, Source
from competitors.similarity import activity_similarity, cosine, similar_companies
from competitors.tests.factories import CompanyFactory, SourceFactory
from news.categories import Category
from news.tests.factories import NewsItemFactory

pytestmark = pytest.mark.django_db

LLM = Company.Segment.LLM_PROVIDER
BLOG = Source.SourceType.BLOG
NEWS_SITE = Source.SourceType.NEWS_SITE
PRESS = Source.SourceType.PRESS_RELEASE


def _items(company, category, source_type, count, *, days_ago=1):
    published_at = timezone.now() - timedelta(days=days_ago)
    for _ in range(count):
        NewsItemFactory(
            company=company,
            source=None,
            category=category,
            source_type=source_type,
            published_at=published_at,
        )


def _company(name, segment=LLM, *, active=True):
    return CompanyFactory(
        name=name, slug=name.lower().replace(" ", "-"), segment=segment, active=active
    )


@pytest.fixture
def anthropic():
    """The company compared, and others whose components are worked out by hand.

    Anthropic: 8 items — model release 4, API update 2, research paper 2; blog 6,
    news site 2.
    """
    company = _company("Anthropic")
    _items(company, Category.MODEL_RELEASE, BLOG, 4)
    _items(company, Category.API_UPDATE, BLOG, 2)
    _items(company, Category.RESEARCH_PAPER, NEWS_SITE, 2)

    # Model release 4, API update 4, all on the blog; one more item outside the window.
    for name in ("OpenAI", "Aleph Alpha"):
        other = _company(name)
        _items(other, Category.MODEL_RELEASE, BLOG, 4)
        _items(other, Category.API_UPDATE, BLOG, 4)
    _items(Company.objects.get(name="OpenAI"), Category.MODEL_RELEASE, BLOG, 1, days_ago=100)

    # No items: its sources stand for its source mix.
    mistral = _company("Mistral AI")
    SourceFactory(company=mistral, source_type=BLOG)
    SourceFactory(company=mistral, source_type=Source.SourceType.GITHUB)

    pinecone = _company("Pinecone", Company.Segment.INFRASTRUCTURE)
    _items(pinecone, Category.RESEARCH_PAPER, NEWS_SITE, 1)
    _items(pinecone, "", NEWS_SITE, 1)

    _items(_company("Reka"), Category.PARTNERSHIP, PRESS, 8)
    _items(_company("Hugging Face", Company.Segment.FRAMEWORK), Category.FUNDING_NEWS, BLOG, 1)
    _items(_company("Runway", Company.Segment.GENERATIVE_AI), Category.PARTNERSHIP, PRESS, 8)

    # Left out: nothing to compare, a similarity of 0, inactive.
    _company("Dormant")
    zero = _company("Zero Labs", Company.Segment.GENERATIVE_AI)
    SourceFactory(company=zero, source_type=Source.SourceType.REDDIT)
    _items(_company("Inactive Co", active=False), Category.MODEL_RELEASE, BLOG, 8)
    return company


def _result(similar):
    return [(entry.company.name, entry.similarity) for entry in similar]


def test_ordering_and_similarity(anthropic):
    similar = similar_companies(company=anthropic, limit=10)

    openai = 0.5 * math.sqrt(3) / 2 + 0.2 * 6 / math.sqrt(40) + 0.15 + 0.15
    mistral = 0.2 * 6 / math.sqrt(80) + 0.15
    pinecone = 0.5 * 2 / math.sqrt(48) + 0.2 * 2 / math.sqrt(40) + 0.15 * 0.5
    hugging_face = 0.2 * 6 / math.sqrt(40) + 0.15 * math.log(2) / math.log(9)
    assert _result(similar) == [
        ("Aleph Alpha", pytest.approx(openai)),  # ties go by name
        ("OpenAI", pytest.approx(openai)),
        ("Reka", pytest.approx(0.3)),
        ("Mistral AI", pytest.approx(mistral)),
        ("Pinecone", pytest.approx(pinecone)),
        ("Hugging Face", pytest.approx(hugging_face)),
        ("Runway", pytest.approx(0.15)),
    ]
    assert openai == pytest.approx(0.922749, abs=1e-6)


def test_components(anthropic):
    by_name = {
        entry.company.name: entry for entry in similar_companies(company=anthropic, limit=10)
    }

    assert by_name["OpenAI"].components == pytest.approx(
        {"category": math.sqrt(3) / 2, "source": 6 / math.sqrt(40), "activity": 1.0, "segment": 1.0}
    )
    # Source rows (blog 1, GitHub 1) against Anthropic's items (blog 6, news site 2).
    assert by_name["Mistral AI"].components == pytest.approx(
        {"category": 0.0, "source": 6 / math.sqrt(80), "activity": 0.0, "segment": 1.0}
    )
    # 8 items against 2: 1 - (ln 9 - ln 3) / ln 9.
    assert by_name["Pinecone"].components == pytest.approx(
        {
            "category": 2 / math.sqrt(48),
            "source": 2 / math.sqrt(40),
            "activity": 0.5,
            "segment": 0.0,
        }
    )
    assert by_name["Runway"].components == pytest.approx(
        {"category": 0.0, "source": 0.0, "activity": 1.0, "segment": 0.0}
    )


def test_shared_categories_and_reasons(anthropic):
    by_name = {
        entry.company.name: entry for entry in similar_companies(company=anthropic, limit=10)
    }

    summary = {name: (entry.shared_categories, entry.reason) for name, entry in by_name.items()}
    assert summary == {
        # Model release: 4/8 + 4/8; API update: 2/8 + 4/8.
        "OpenAI": (["model_release", "api_update"], "Both focus on Model release and API update"),
        "Aleph Alpha": (
            ["model_release", "api_update"],
            "Both focus on Model release and API update",
        ),
        # "Other" is never a focus.
        "Pinecone": (["research_paper"], "Both focus on Research paper"),
        "Reka": ([], "Same segment and similar activity"),
        "Mistral AI": ([], "Same segment"),
        "Hugging Face": ([], "Similar mix of sources"),
        "Runway": ([], "Similar activity level"),
    }


def test_default_limit_and_never_the_company_itself(anthropic):
    similar = similar_companies(company=anthropic)

    assert [entry.company.name for entry in similar] == [
        "Aleph Alpha",
        "OpenAI",
        "Reka",
        "Mistral AI",
        "Pinecone",
    ]
    assert [entry.company.name for entry in similar_companies(company=anthropic, limit=1)] == [
        "Aleph Alpha"
    ]


def test_the_window_follows_days(anthropic):
    _items(Company.objects.get(name="Reka"), Category.MODEL_RELEASE, BLOG, 8, days_ago=20)

    by_name = {
        entry.company.name: entry
        for entry in similar_companies(company=anthropic, days=10, limit=10)
    }
    assert by_name["Reka"].components["activity"] == 1.0

    by_name = {
        entry.company.name: entry for entry in similar_companies(company=anthropic, limit=10)
    }
    # 8 items against 16: 1 - (ln 17 - ln 9) / ln 17.
    assert by_name["Reka"].components["activity"] == pytest.approx(math.log(9) / math.log(17))


def test_a_company_without_items_is_compared_by_its_sources_and_segment(anthropic):
    mistral = Company.objects.get(name="Mistral AI")

    by_name = {entry.company.name: entry for entry in similar_companies(company=mistral, limit=10)}

    assert by_name["Anthropic"].components == pytest.approx(
        {"category": 0.0, "source": 6 / math.sqrt(80), "activity": 0.0, "segment": 1.0}
    )
    assert "Mistral AI" not in by_name


def test_unknown_segment_is_never_the_same():
    first = _company("First", Company.Segment.OTHER)
    second = _company("Second", Company.Segment.OTHER)
    _items(first, Category.MODEL_RELEASE, BLOG, 1)
    _items(second, Category.PRICING_CHANGE, PRESS, 1)

    (entry,) = similar_companies(company=first)

    assert entry.company == second
    assert entry.components == {"category": 0.0, "source": 0.0, "activity": 1.0, "segment": 0.0}
    assert entry.reason == "Similar activity level"


def test_three_queries_whatever_the_number_of_companies(anthropic, django_assert_num_queries):
    with django_assert_num_queries(3):
        similar_companies(company=anthropic)
    for index in range(5):
        _items(_company(f"Extra {index}"), Category.MODEL_RELEASE, BLOG, 2)
    with django_assert_num_queries(3):
        similar_companies(company=anthropic)


def test_cosine_and_activity_similarity():
    keys = ("a", "b")
    assert cosine({"a": 1}, {"a": 3}, keys) == pytest.approx(1.0)
    assert cosine({"a": 1}, {"b": 3}, keys) == 0.0
    assert cosine({}, {"a": 1}, keys) == 0.0
    assert activity_similarity(0, 0) == 1.0
    assert activity_similarity(0, 1) == pytest.approx(1 - math.log(2))
    assert activity_similarity(10, 0) == 0.0
    assert activity_similarity(99, 9) == pytest.approx(0.5)
