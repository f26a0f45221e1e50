import factory
from django.utils import timezone

from competitors.models import Source
from competitors.tests.factories import CompanyFactory, SourceFactory
from news.models import NewsItem


class NewsItemFactory(factory.django.DjangoModelFactory[NewsItem]):
    class Meta:
        model = NewsItem

    title = factory.Sequence(lambda n: f"Acme ships model {n}")
    url = factory.Sequence(lambda n: f"https://acme.example.com/news/{n}")
    source = factory.SubFactory(SourceFactory)
    company = factory.SubFactory(CompanyFactory)
    source_type = Source.SourceType.BLOG
    published_at = factory.LazyFunction(timezone.now)
    summary = "A short summary."
