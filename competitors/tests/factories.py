import factory

from competitors.models import Company, SavedComparison, Source


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


class SavedComparisonFactory(factory.django.DjangoModelFactory[SavedComparison]):
    class Meta:
        model = SavedComparison
        skip_postgeneration_save = True

    user = factory.SubFactory("accounts.tests.factories.UserFactory")
    name = factory.Sequence(lambda n: f"Comparison {n}")
    days = 30

    @factory.post_generation
    def companies(self, create, extracted, **kwargs):
        # Two fresh companies unless given: a comparison needs at least two.
        if create:
            self.companies.set(extracted or [CompanyFactory(), CompanyFactory()])
