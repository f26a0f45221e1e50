import factory

from competitors.models import Company, Source


class CompanyFactory(factory.django.DjangoModelFactory[Company]):
    class Meta:
        model = Company
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Acme Labs {n}")
    slug = factory.Sequence(lambda n: f"acme-labs-{n}")
    website = factory.Sequence(lambda n: f"https://acme{n}.example.com")
    segment = Company.Segment.LLM_PROVIDER


class SourceFactory(factory.django.DjangoModelFactory[Source]):
    class Meta:
        model = Source

    company = factory.SubFactory(CompanyFactory)
    url = factory.Sequence(lambda n: f"https://acme.example.com/feed/{n}.xml")
    kind = Source.Kind.FEED
    source_type = Source.SourceType.BLOG
