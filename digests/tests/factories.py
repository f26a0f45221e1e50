from datetime import timedelta

import factory
from django.utils import timezone as django_timezone

from accounts.tests.factories import UserFactory
from digests.content import CategoryGroup, CompanyGroup, DigestContent, DigestEntry
from digests.models import Delivery, Digest, Notification


def entry(item_id=1, **fields):
    """A digest entry; pass only what a test is about."""
    values = {
        "item_id": item_id,
        "title": f"Acme ships model {item_id}",
        "url": f"https://acme.example.com/news/{item_id}",
        "summary": f"What model {item_id} does, in one sentence.",
        "source": "Acme blog",
        "published_at": "2026-11-25T10:00:00+00:00",
        "priority": "medium",
        "score": 0.5,
        "extra_sources": 0,
    }
    values.update(fields)
    return DigestEntry(**values)


def content_of(*companies):
    """DigestContent from (company name, {category: entries}) pairs, in order."""
    groups = [
        CompanyGroup(
            company_id=index + 1 if name else None,
            company_name=name,
            company_slug=name.lower().replace(" ", "-"),
            categories=[
                CategoryGroup(category=category, entries=entries)
                for category, entries in categories.items()
            ],
        )
        for index, (name, categories) in enumerate(companies)
    ]
    return DigestContent(groups=groups, matched=sum(group.entry_count for group in groups))


class DigestFactory(factory.django.DjangoModelFactory[Digest]):
    class Meta:
        model = Digest

    class Params:
        # DigestFactory(body=content) stores the content and its counts.
        body = None

    user = factory.SubFactory(UserFactory)
    kind = Digest.Kind.SCHEDULED
    period_end = factory.Sequence(
        lambda n: (
            django_timezone.now().replace(minute=0, second=0, microsecond=0) - timedelta(days=n)
        )
    )
    period_start = factory.LazyAttribute(lambda digest: digest.period_end - timedelta(days=1))
    frequency = "daily"
    mode = "all"
    format = "detailed"
    include_summaries = True
    language = "en"
    timezone = "UTC"
    status = factory.LazyAttribute(
        lambda digest: (
            Digest.Status.READY
            if digest.body is not None and not digest.body.is_empty
            else Digest.Status.EMPTY
        )
    )
    item_count = factory.LazyAttribute(
        lambda digest: digest.body.entry_count if digest.body is not None else 0
    )
    content = factory.LazyAttribute(
        lambda digest: digest.body.to_json() if digest.body is not None else {}
    )
    built_at = factory.LazyFunction(django_timezone.now)


class DeliveryFactory(factory.django.DjangoModelFactory[Delivery]):
    class Meta:
        model = Delivery

    digest = factory.SubFactory(DigestFactory)
    channel = Delivery.Channel.EMAIL
    status = Delivery.Status.PENDING


class NotificationFactory(factory.django.DjangoModelFactory[Notification]):
    class Meta:
        model = Notification

    user = factory.SubFactory(UserFactory)
    type = Notification.Type.NEW_NEWS
    priority = Notification.Priority.MEDIUM
    title = factory.Sequence(lambda n: f"Acme Labs: model {n} is out")
    body = "News from Acme Labs, a company you track."
    dedupe_key = factory.Sequence(lambda n: f"test:{n}")
