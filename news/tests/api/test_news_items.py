"""Detail, read and favourite flags, favourites, statistics and categories."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from competitors.models import Source
from competitors.tests.factories import CompanyFactory
from news.categories import Category
from news.item_states import item_state_flags, item_state_set_favourite, item_state_set_read
from news.listing import OTHER_SOURCES_LIMIT
from news.models import ItemState, Story
from news.tests.factories import NewsItemFactory

pytestmark = pytest.mark.django_db


def _detail(pk: int) -> str:
    return reverse("api:news-detail", args=[pk])


def _flag_url(flag: str, pk: int) -> str:
    return reverse(f"api:news-{flag}", args=[pk])


# ---------------------------------------------------------------- detail


def test_detail_has_keywords_mentions_story_and_the_users_state(token_client):
    story = Story.objects.create(title="Acme model", item_count=3)
    item = NewsItemFactory(
        keywords=["model", "launch"],
        story=story,
        author="Ann",
        category=Category.MODEL_RELEASE,
    )
    item.mentioned_companies.set([CompanyFactory(name="Zeta", slug="zeta"), item.company])
    sibling = NewsItemFactory(story=story, published_at=item.published_at - timedelta(hours=1))
    item_state_set_favourite(user=token_client.account, item_id=item.pk, favourite=True)

    response = token_client.get(_detail(item.pk))

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == item.pk
    assert body["keywords"] == ["model", "launch"]
    assert body["author"] == "Ann"
    assert body["category"] == "model_release"
    # By name: "Acme Labs …" before "Zeta".
    assert [m["slug"] for m in body["mentions"]] == [item.company.slug, "zeta"]
    assert body["story"]["id"] == story.pk
    assert body["story"]["item_count"] == 3
    assert [row["id"] for row in body["story"]["other_items"]] == [sibling.pk]
    assert body["favourite"] is True
    assert body["read"] is False


def test_detail_caps_the_storys_other_items(token_client):
    story = Story.objects.create(title="Big story")
    item = NewsItemFactory(story=story)
    for _ in range(OTHER_SOURCES_LIMIT + 3):
        NewsItemFactory(story=story)

    body = token_client.get(_detail(item.pk)).json()

    assert len(body["story"]["other_items"]) == OTHER_SOURCES_LIMIT


def test_detail_without_a_story_company_or_source(token_client):
    item = NewsItemFactory(company=None, source=None, story=None)

    body = token_client.get(_detail(item.pk)).json()

    assert body["story"] is None
    assert body["company"] is None
    assert body["source"] is None
    assert body["mentions"] == []


def test_another_users_state_does_not_show(token_client):
    item = NewsItemFactory()
    item_state_set_read(user=UserFactory(), item_id=item.pk, read=True)

    body = token_client.get(_detail(item.pk)).json()

    assert body["read"] is False


@pytest.mark.parametrize("pk", [999_999, 2**70])
def test_an_unknown_item_is_a_404(token_client, pk):
    response = token_client.get(f"/api/v1/news/{pk}/")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_anonymous_detail_is_401(api_client):
    assert api_client.get(_detail(NewsItemFactory().pk)).status_code == 401


# ---------------------------------------------------------------- read and favourite


@pytest.mark.parametrize("flag", ["read", "favourite"])
def test_put_sets_and_delete_clears_a_flag_idempotently(token_client, flag):
    item = NewsItemFactory()
    url = _flag_url(flag, item.pk)

    first = token_client.put(url)
    again = token_client.put(url)

    assert first.status_code == again.status_code == 200
    assert again.json()[flag] is True
    assert getattr(item_state_flags(user=token_client.account, item_id=item.pk), flag)

    cleared = token_client.delete(url)

    assert cleared.status_code == 200
    assert cleared.json() == {"read": False, "favourite": False}
    assert token_client.delete(url).status_code == 200


def test_a_repeated_favourite_keeps_its_first_time(token_client):
    item = NewsItemFactory()
    token_client.put(_flag_url("favourite", item.pk))
    first = ItemState.objects.get(user=token_client.account, item=item).favourited_at

    token_client.put(_flag_url("favourite", item.pk))

    assert ItemState.objects.get(user=token_client.account, item=item).favourited_at == first


@pytest.mark.parametrize("flag", ["read", "favourite"])
def test_flags_of_an_unknown_item_are_404_and_store_nothing(token_client, flag):
    for method in (token_client.put, token_client.delete):
        response = method(_flag_url(flag, 999_999))
        assert response.status_code == 404
    assert not ItemState.objects.exists()


@pytest.mark.parametrize("flag", ["read", "favourite"])
def test_anonymous_flag_changes_are_401(api_client, flag):
    item = NewsItemFactory()

    assert api_client.put(_flag_url(flag, item.pk)).status_code == 401
    assert api_client.delete(_flag_url(flag, item.pk)).status_code == 401
    assert not ItemState.objects.exists()


@pytest.mark.parametrize("flag", ["read", "favourite"])
def test_another_user_cannot_change_or_see_a_users_state(make_token_client, flag):
    owner, intruder = UserFactory(), UserFactory()
    item = NewsItemFactory()
    make_token_client(owner).put(_flag_url(flag, item.pk))
    other = make_token_client(intruder)

    response = other.delete(_flag_url(flag, item.pk))

    assert response.status_code == 200
    assert getattr(item_state_flags(user=owner, item_id=item.pk), flag) is True
    assert other.get(_detail(item.pk)).json()[flag] is False


# ---------------------------------------------------------------- favourites


def test_favourites_are_the_users_own_newest_favourite_first(make_token_client):
    owner = UserFactory()
    client = make_token_client(owner)
    items = [NewsItemFactory() for _ in range(3)]
    for item in items:
        client.put(_flag_url("favourite", item.pk))
    item_state_set_read(user=owner, item_id=items[0].pk, read=True)
    item_state_set_favourite(user=UserFactory(), item_id=NewsItemFactory().pk, favourite=True)

    first = client.get(reverse("api:news-favourites"), {"page_size": 2}).json()
    second = client.get(first["next"]).json()

    assert [row["id"] for row in first["results"]] == [items[2].pk, items[1].pk]
    assert [row["id"] for row in second["results"]] == [items[0].pk]
    assert second["results"][0]["read"] is True
    assert second["results"][0]["favourite"] is True
    assert second["next"] is None


def test_another_users_favourites_never_show(make_token_client):
    item_state_set_favourite(user=UserFactory(), item_id=NewsItemFactory().pk, favourite=True)

    body = make_token_client(UserFactory()).get(reverse("api:news-favourites")).json()

    assert body == {"next": None, "results": []}


@pytest.mark.parametrize(
    ("name", "value"), [("cursor", "garbage"), ("page_size", "0"), ("page_size", "x")]
)
def test_bad_favourites_parameters_are_400(token_client, name, value):
    response = token_client.get(reverse("api:news-favourites"), {name: value})

    assert response.status_code == 400
    assert name in response.json()["error"]["fields"]


def test_anonymous_favourites_are_401(api_client):
    assert api_client.get(reverse("api:news-favourites")).status_code == 401


# ---------------------------------------------------------------- stats


def test_stats_count_per_category_source_type_and_company(token_client):
    acme = CompanyFactory(name="Acme", slug="acme")
    for _ in range(2):
        NewsItemFactory(
            company=acme, category=Category.MODEL_RELEASE, source_type=Source.SourceType.BLOG
        )
    NewsItemFactory(company=None, category="", source_type=Source.SourceType.GITHUB)

    body = token_client.get(reverse("api:news-stats")).json()

    assert body["total"] == 3
    assert body["by_category"] == [
        {"category": "model_release", "count": 2},
        {"category": None, "count": 1},
    ]
    assert body["by_source_type"] == [
        {"source_type": "blog", "count": 2},
        {"source_type": "github", "count": 1},
    ]
    assert body["by_company"] == [
        {"slug": "acme", "name": "Acme", "count": 2},
        {"slug": None, "name": None, "count": 1},
    ]


def test_stats_take_the_lists_filters(token_client):
    now = timezone.now()
    NewsItemFactory(published_at=datetime(2026, 1, 5, tzinfo=UTC))
    NewsItemFactory(published_at=datetime(2026, 1, 6, tzinfo=UTC), priority_score=0.9)
    NewsItemFactory(published_at=now)

    body = token_client.get(
        reverse("api:news-stats"), {"since": "2026-01-01", "until": "2026-01-31"}
    ).json()
    high = token_client.get(reverse("api:news-stats"), {"min_priority": "0.8"}).json()

    assert body["total"] == 2
    assert high["total"] == 1


def test_stats_reject_bad_filters_and_anonymous_clients(token_client, api_client):
    response = token_client.get(reverse("api:news-stats"), {"since": "soon"})

    assert response.status_code == 400
    assert "since" in response.json()["error"]["fields"]
    assert api_client.get(reverse("api:news-stats")).status_code == 401


# ---------------------------------------------------------------- categories


def test_categories_list_all_fifteen_with_both_languages(token_client):
    body = token_client.get(reverse("api:categories-list")).json()

    assert [row["value"] for row in body] == list(Category.values)
    product = body[0]
    assert product["labels"] == {"en": "Product update", "ru": "Обновление продукта"}
    assert product["label"] == "Product update"
    assert product["emoji"] == "🚀"
    assert product["descriptions"]["en"] == product["description"]
    assert product["descriptions"]["ru"] != product["descriptions"]["en"]


def test_categories_need_credentials(api_client):
    assert api_client.get(reverse("api:categories-list")).status_code == 401
