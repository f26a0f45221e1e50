from __future__ import annotations

import pytest

from accounts.tests.factories import UserFactory
from news.item_states import (
    ItemStateFlags,
    item_state_flags,
    item_state_set_favourite,
    item_state_set_read,
    item_states_for_items,
)
from news.models import ItemState
from news.tests.factories import NewsItemFactory

pytestmark = pytest.mark.django_db


def test_set_read_creates_one_row_and_is_idempotent(user):
    item = NewsItemFactory()
    assert item_state_set_read(user=user, item_id=item.pk, read=True) == ItemStateFlags(read=True)
    first_read_at = ItemState.objects.get(user=user, item=item).read_at

    assert item_state_set_read(user=user, item_id=item.pk, read=True).read
    state = ItemState.objects.get(user=user, item=item)
    assert state.read_at == first_read_at
    assert ItemState.objects.filter(user=user).count() == 1


def test_unset_read_keeps_favourite():
    user = UserFactory()
    item = NewsItemFactory()
    item_state_set_favourite(user=user, item_id=item.pk, favourite=True)
    item_state_set_read(user=user, item_id=item.pk, read=True)

    flags = item_state_set_read(user=user, item_id=item.pk, read=False)
    assert flags == ItemStateFlags(read=False, favourite=True)
    assert item_state_set_read(user=user, item_id=item.pk, read=False) == flags


def test_unset_without_a_row_creates_nothing(user):
    item = NewsItemFactory()
    assert item_state_set_favourite(user=user, item_id=item.pk, favourite=False) == (
        ItemStateFlags()
    )
    assert not ItemState.objects.filter(user=user).exists()


def test_repeated_favourite_keeps_the_first_timestamp(user):
    item = NewsItemFactory()
    item_state_set_favourite(user=user, item_id=item.pk, favourite=True)
    first = ItemState.objects.get(user=user).favourited_at
    item_state_set_favourite(user=user, item_id=item.pk, favourite=True)
    assert ItemState.objects.get(user=user).favourited_at == first


def test_states_are_per_user():
    alice, bob = UserFactory(), UserFactory()
    item = NewsItemFactory()
    item_state_set_read(user=alice, item_id=item.pk, read=True)
    item_state_set_favourite(user=alice, item_id=item.pk, favourite=True)

    assert item_state_flags(user=bob, item_id=item.pk) == ItemStateFlags()
    assert item_states_for_items(user=bob, item_ids=[item.pk]) == {}

    item_state_set_read(user=bob, item_id=item.pk, read=False)
    item_state_set_favourite(user=bob, item_id=item.pk, favourite=False)
    assert item_state_flags(user=alice, item_id=item.pk) == ItemStateFlags(
        read=True, favourite=True
    )


def test_states_for_items_reads_only_the_given_items(user, django_assert_num_queries):
    items = NewsItemFactory.create_batch(3)
    item_state_set_read(user=user, item_id=items[0].pk, read=True)
    item_state_set_favourite(user=user, item_id=items[1].pk, favourite=True)

    with django_assert_num_queries(1):
        states = item_states_for_items(user=user, item_ids=[item.pk for item in items])
    assert states == {
        items[0].pk: ItemStateFlags(read=True),
        items[1].pk: ItemStateFlags(favourite=True),
    }
    with django_assert_num_queries(0):
        assert item_states_for_items(user=user, item_ids=[]) == {}


def test_page_extras_match_the_per_part_selectors_in_one_query(user, django_assert_num_queries):
    from competitors.tests.factories import SourceFactory
    from news.models import Story
    from news.selectors import page_extras, stories_coverage

    shared, lonely = Story.objects.create(title="Shared"), Story.objects.create(title="Lonely")
    source = SourceFactory()
    items = [
        NewsItemFactory(story=shared, source=source),
        NewsItemFactory(story=shared, source=source),  # the same source counts once
        NewsItemFactory(story=shared, source=SourceFactory()),
        NewsItemFactory(story=shared, source=None),  # no source: counts once each
        NewsItemFactory(story=shared, source=None),
        NewsItemFactory(story=lonely),
        NewsItemFactory(),
    ]
    item_state_set_read(user=user, item_id=items[0].pk, read=True)
    item_state_set_favourite(user=user, item_id=items[5].pk, favourite=True)
    item_state_set_read(user=UserFactory(), item_id=items[6].pk, read=True)  # not this user's
    ids = [item.pk for item in items]

    with django_assert_num_queries(1):
        extras = page_extras(user=user, item_ids=ids, story_ids=[shared.pk, lonely.pk])

    assert extras.flags == {
        items[0].pk: ItemStateFlags(read=True),
        items[5].pk: ItemStateFlags(favourite=True),
    }
    assert extras.flags == item_states_for_items(user=user, item_ids=ids)
    assert extras.coverage == {shared.pk: 4, lonely.pk: 1}
    assert extras.coverage == stories_coverage(story_ids=[shared.pk, lonely.pk])
    assert page_extras(user=user, item_ids=[], story_ids=[]).flags == {}
