import pytest

from competitors.models import Company, Source
from competitors.services import catalogue_load, company_upsert, source_pause, source_reactivate
from competitors.tests.factories import SourceFactory

pytestmark = pytest.mark.django_db

PREVIOUS_SYSTEM_COMPANIES = [
    "OpenAI",
    "Anthropic",
    "Google DeepMind",
    "Meta AI",
    "Mistral AI",
    "Cohere",
    "Hugging Face",
    "Stability AI",
    "Perplexity AI",
    "Character.AI",
    "Runway",
    "Midjourney",
    "Scale AI",
    "Replicate",
    "Anyscale",
    "LangChain",
    "Weights & Biases",
    "Databricks",
    "Together AI",
    "Inflection AI",
]


def test_catalogue_holds_the_twenty_companies_with_official_sources():
    report = catalogue_load()
    assert report.created >= 20
    names = set(Company.objects.values_list("name", flat=True))
    assert set(PREVIOUS_SYSTEM_COMPANIES) <= names
    for company in Company.objects.filter(name__in=PREVIOUS_SYSTEM_COMPANIES):
        assert company.website.startswith("https://")
        assert company.segment != Company.Segment.OTHER
        assert company.aliases
        assert company.sources.exists(), company.name
    kinds = set(Source.objects.values_list("kind", flat=True))
    assert kinds == {Source.Kind.FEED, Source.Kind.HTML, Source.Kind.GITHUB_RELEASES}
    for url in Source.objects.filter(kind=Source.Kind.GITHUB_RELEASES).values_list(
        "url", flat=True
    ):
        assert url.startswith("https://github.com/")
        assert url.endswith("/releases.atom")


def test_catalogue_load_is_idempotent_and_keeps_operator_edits():
    catalogue_load()
    counts = (Company.objects.count(), Source.objects.count())
    openai = Company.objects.get(name="OpenAI")
    openai.description = "Edited by an operator"
    openai.save()

    report = catalogue_load()
    assert (report.created, report.sources_created) == (0, 0)
    assert (Company.objects.count(), Source.objects.count()) == counts
    openai.refresh_from_db()
    assert openai.description == "Edited by an operator"


def test_company_upsert_matches_names_case_insensitively():
    company, outcome = company_upsert(name="Example AI", values={"website": "https://ex.ai"})
    assert outcome == "created"
    assert company.slug == "example-ai"
    again, outcome = company_upsert(name="EXAMPLE ai", values={"website": "https://ex.ai"})
    assert (again.pk, outcome) == (company.pk, "unchanged")
    _, outcome = company_upsert(name="example ai", values={"website": "https://example.ai"})
    assert outcome == "updated"


def test_company_upsert_rejects_unknown_fields():
    with pytest.raises(ValueError, match="unknown company fields"):
        company_upsert(name="X", values={"ceo": "someone"})


def test_pause_and_reactivate():
    source = SourceFactory(consecutive_failures=12, status=Source.Status.ERROR)
    source_reactivate(source=source)
    source.refresh_from_db()
    assert source.status == Source.Status.ACTIVE
    assert source.consecutive_failures == 0
    assert source.next_fetch_at is not None
    source_pause(source=source)
    source.refresh_from_db()
    assert source.status == Source.Status.PAUSED


def test_a_company_never_gets_a_slug_that_shadows_a_page():
    company, _ = company_upsert(name="Add", values={})
    assert company.slug == "add-2"
