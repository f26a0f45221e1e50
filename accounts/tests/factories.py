import factory

from accounts.models import User

DEFAULT_PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"analyst{n}@example.com")
    full_name = factory.Faker("name")
    is_verified = True
    password = factory.django.Password(DEFAULT_PASSWORD)
