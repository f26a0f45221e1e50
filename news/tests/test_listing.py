from __future__ import annotations

import base64
import zoneinfo
from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from accounts.services import company_follow_set
from accounts.tests.factories import UserFactory
from competitors.models import Source
from competitors.tests.factories import CompanyFactory, SourceFactory
from news.categories import Category
from news.item_states import item_state_set_favourite, item_state_set_read
from news.listing import (
    MAX_OFFSET,
    KeysetCursor,
    NewsFilters,
    OffsetCursor,
    category_items,
    category_top_companies,
    cursor_decode,
    cursor_encode,
    favourites_page,
    news_page,
)
from news.models import Story
from news.tests.factories import NewsItemFactory

pytestmark = pytest.mark.django_db

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")


def _titles(page):
    return [card.item.title for card in page.cards]


def _page(filters=None, *, user=None, tz=UTC, cursor=None, **kwargs):
    return news_page(filters=filters or NewsFilters(), user=user, tz=tz, cursor=cursor, **kwargs)


# ---------------------------------------------------------------- cursors


def test_cursor_round_trip():
    at = datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)
    for cursor in (KeysetCursor(at=at, id=42), OffsetCursor(offset=40)):
        assert cursor_decode(cursor_encode(cursor)) == cursor


def _b64(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "garbage",
        "!!!",
        "a" * 500,
        _b64("x|40"),
        _b64("k|notadate|1"),
        _b64("k|2026-01-01T00:00:00|1"),  # naive
        _b64("k|2026-01-01T00:00:00+00:00|abc"),
        _b64("k|2026-01-01T00:00:00+00:00|-3"),
        _b64("o|-5"),
        _b64("o|0"),
        _b64(f"o|{MAX_OFFSET + 1}"),
        _b64("o|99999999999999999999999"),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ],
)
def test_bad_cursors_decode_to_none(value):
    assert cursor_decode(value) is None


# ---------------------------------------------------------------- pagination


def test_keyset_pages_cover_everything_once_in_order():
    now = timezone.now()
    # Ties on published_at are broken by id.
    items = [NewsItemFactory(published_at=now - timedelta(hours=index // 3)) for index in range(45)]
    expected = [
        item.pk for item in sorted(items, key=lambda i: (i.published_at, i.pk), reverse=True)
    ]

    seen, cursor, pages = [], None, 0
    while True:
        page = _page(cursor=cursor)
        pages += 1
        seen += [card.item.pk for card in page.cards]
        if page.next_cursor is None:
            break
        cursor = cursor_decode(page.next_cursor)
    assert pages == 3
    assert seen == expected


def test_keyset_cursor_is_stable_when_new_items_arrive():
    now = timezone.now()
    for index in range(25):
        NewsItemFactory(published_at=now - timedelta(minutes=index))
    first = _page()
    NewsItemFactory(published_at=now + timedelta(minutes=5), title="Breaking")
    second = _page(cursor=cursor_decode(first.next_cursor))
    assert len(second.cards) == 5
    assert "Breaking" not in _titles(second)


def test_offset_cursor_is_ignored_outside_search():
    for _ in range(3):
        NewsItemFactory()
    assert len(_page(cursor=OffsetCursor(offset=2)).cards) == 3


def test_ranked_search_pages_by_offset():
    for index in range(25):
        NewsItemFactory(title=f"Gemini update {index}")
    NewsItemFactory(title="Unrelated")
    first = _page(NewsFilters(q="gemini"))
    assert len(first.cards) == 20
    cursor = cursor_decode(first.next_cursor)
    assert cursor == OffsetCursor(offset=20)
    second = _page(NewsFilters(q="gemini"), cursor=cursor)
    assert len(second.cards) == 5
    assert second.next_cursor is None
    assert not {c.item.pk for c in first.cards} & {c.item.pk for c in second.cards}


def test_search_snippet_is_attached():
    NewsItemFactory(title="Gemini", content_text="The new gemini model <b>ships</b>.")
    card = _page(NewsFilters(q="gemini")).cards[0]
    assert "\ue000" in card.snippet


# ---------------------------------------------------------------- filters


def test_company_filter():
    acme, other = CompanyFactory(slug="acme"), CompanyFactory(slug="other-co")
    NewsItemFactory(company=acme, title="A")
    NewsItemFactory(company=other, title="B")
    NewsItemFactory(company=None, title="C")
    assert _titles(_page(NewsFilters(companies=("acme",)))) == ["A"]
    assert sorted(_titles(_page(NewsFilters(companies=("acme", "other-co"))))) == ["A", "B"]


def test_category_filter_with_other():
    NewsItemFactory(category=Category.FUNDING_NEWS, title="Funding")
    NewsItemFactory(category=Category.MODEL_RELEASE, title="Model")
    NewsItemFactory(category="", title="Uncategorised")
    assert _titles(_page(NewsFilters(categories=("funding_news",)))) == ["Funding"]
    assert _titles(_page(NewsFilters(categories=("other",)))) == ["Uncategorised"]
    assert sorted(_titles(_page(NewsFilters(categories=("other", "model_release"))))) == [
        "Model",
        "Uncategorised",
    ]


def test_source_type_filter():
    NewsItemFactory(source_type=Source.SourceType.GITHUB, title="Release")
    NewsItemFactory(source_type=Source.SourceType.BLOG, title="Post")
    assert _titles(_page(NewsFilters(source_types=("github",)))) == ["Release"]


@pytest.mark.parametrize(
    ("level", "expected"),
    [("high", ["0.8", "0.95"]), ("medium", ["0.6", "0.79"]), ("low", ["0.0", "0.59"])],
)
def test_priority_levels(level, expected):
    for score in (0.0, 0.59, 0.6, 0.79, 0.8, 0.95):
        NewsItemFactory(priority_score=score, title=str(score))
    assert sorted(_titles(_page(NewsFilters(priority=level)))) == expected


def test_dates_are_whole_days_in_the_given_time_zone():
    # 20:00 UTC on 1 January is 05:00 on 2 January in Tokyo.
    NewsItemFactory(published_at=datetime(2026, 1, 1, 20, 0, tzinfo=UTC), title="Late")
    jan1, jan2 = date(2026, 1, 1), date(2026, 1, 2)
    assert _titles(_page(NewsFilters(since=jan1, until=jan1), tz=UTC)) == ["Late"]
    assert _titles(_page(NewsFilters(since=jan1, until=jan1), tz=TOKYO)) == []
    assert _titles(_page(NewsFilters(since=jan2, until=jan2), tz=TOKYO)) == ["Late"]
    assert _titles(_page(NewsFilters(until=jan2), tz=UTC)) == ["Late"]
    assert _titles(_page(NewsFilters(since=jan2), tz=UTC)) == []


def test_tracked_filter_uses_the_users_companies_and_needs_a_user():
    user = UserFactory()
    mine, theirs = CompanyFactory(), CompanyFactory()
    company_follow_set(user=user, company_id=mine.pk, following=True)
    NewsItemFactory(company=mine, title="Mine")
    NewsItemFactory(company=theirs, title="Theirs")
    assert _titles(_page(NewsFilters(tracked=True), user=user)) == ["Mine"]
    assert len(_page(NewsFilters(tracked=True), user=None).cards) == 2


def test_hide_read_is_per_user():
    alice, bob = UserFactory(), UserFactory()
    read, unread = NewsItemFactory(title="Read"), NewsItemFactory(title="Unread")
    item_state_set_read(user=alice, item_id=read.pk, read=True)
    item_state_set_favourite(user=alice, item_id=unread.pk, favourite=True)
    assert _titles(_page(NewsFilters(hide_read=True), user=alice)) == ["Unread"]
    assert sorted(_titles(_page(NewsFilters(hide_read=True), user=bob))) == ["Read", "Unread"]


def test_cards_carry_the_users_state_and_coverage():
    alice, bob = UserFactory(), UserFactory()
    story = Story.objects.create(title="Story")
    first = NewsItemFactory(story=story, source=SourceFactory())
    NewsItemFactory(story=story, source=SourceFactory())
    lone = NewsItemFactory()
    item_state_set_read(user=alice, item_id=first.pk, read=True)

    cards = {card.item.pk: card for card in _page(user=alice).cards}
    assert cards[first.pk].read
    assert cards[first.pk].coverage == 2
    assert cards[lone.pk].coverage == 1
    assert not any(card.read for card in _page(user=bob).cards)


def test_search_combines_with_filters():
    acme = CompanyFactory(slug="acme")
    NewsItemFactory(company=acme, title="Gemini at Acme")
    NewsItemFactory(title="Gemini elsewhere")
    assert _titles(_page(NewsFilters(q="gemini", companies=("acme",)))) == ["Gemini at Acme"]


# ---------------------------------------------------------------- favourites


def test_favourites_newest_favourited_first_and_paginated():
    user, other = UserFactory(), UserFactory()
    items = NewsItemFactory.create_batch(25)
    for item in items:
        item_state_set_favourite(user=user, item_id=item.pk, favourite=True)
    item_state_set_favourite(user=other, item_id=items[0].pk, favourite=True)

    first = favourites_page(user=user, cursor=None)
    assert [card.item.pk for card in first.cards] == [item.pk for item in reversed(items)][:20]
    assert all(card.favourite for card in first.cards)
    second = favourites_page(user=user, cursor=cursor_decode(first.next_cursor))
    assert [card.item.pk for card in second.cards] == [item.pk for item in reversed(items[:5])]
    assert second.next_cursor is None
    assert [card.item.pk for card in favourites_page(user=other, cursor=None).cards] == [
        items[0].pk
    ]


# ---------------------------------------------------------------- categories


def test_category_items_and_top_companies():
    companies = [CompanyFactory(name=f"Company {index:02d}") for index in range(10)]
    for index, company in enumerate(companies):
        for _ in range(index + 1):
            NewsItemFactory(company=company, category=Category.FUNDING_NEWS)
    old = timezone.now() - timedelta(days=120)
    for _ in range(20):
        NewsItemFactory(company=companies[0], category=Category.FUNDING_NEWS, published_at=old)
    NewsItemFactory(company=companies[0], category=Category.MODEL_RELEASE)

    top = category_top_companies(category="funding_news")
    assert [company.name for company in top] == [f"Company {i:02d}" for i in range(9, 1, -1)]
    assert top[0].item_count == 10
    assert category_items(category="other").count() == 0
    NewsItemFactory(category="")
    assert category_items(category="other").count() == 1
    assert [c.pk for c in category_top_companies(category="other")] != []
