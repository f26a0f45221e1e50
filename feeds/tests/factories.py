import factory

from accounts.tests.factories import UserFactory
from feeds.models import FeedToken
from feeds.services import KEY_PREFIX, SHOWN_PREFIX_LENGTH, hash_secret


class FeedTokenFactory(factory.django.DjangoModelFactory[FeedToken]):
    """A feed token whose secret is known: pass `secret=` or read the default pattern."""

    class Meta:
        model = FeedToken

    class Params:
        secret = factory.Sequence(lambda n: f"{KEY_PREFIX}test-secret-{n:08d}")

    user = factory.SubFactory(UserFactory)
    key_hash = factory.LazyAttribute(lambda token: hash_secret(token.secret))
    prefix = factory.LazyAttribute(lambda token: token.secret[:SHOWN_PREFIX_LENGTH])
