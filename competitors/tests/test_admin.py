import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from competitors.models import Source
from competitors.tests.factories import CompanyFactory, SourceFactory
from news.tests.factories import NewsItemFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_sources_list_shows_health_with_constant_queries(
    admin_client, django_assert_max_num_queries
):
    for _ in range(5):
        source = SourceFactory(last_error="HTTP 500 Internal Server Error", consecutive_failures=3)
        NewsItemFactory(source=source, company=source.company)
    with django_assert_max_num_queries(12):
        response = admin_client.get(reverse("admin:competitors_source_changelist"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "HTTP 500 Internal Server Error" in html
    assert "Items (7 days)" in html


def test_pause_and_reactivate_actions(admin_client):
    source = SourceFactory(status=Source.Status.ERROR, consecutive_failures=10)
    url = reverse("admin:competitors_source_changelist")
    admin_client.post(url, {"action": "reactivate", "_selected_action": [source.pk]})
    source.refresh_from_db()
    assert (source.status, source.consecutive_failures) == (Source.Status.ACTIVE, 0)
    admin_client.post(url, {"action": "pause", "_selected_action": [source.pk]})
    source.refresh_from_db()
    assert source.status == Source.Status.PAUSED


def test_company_page_has_inline_sources(admin_client):
    company = CompanyFactory()
    SourceFactory(company=company, url="https://inline.example.com/feed.xml")
    response = admin_client.get(reverse("admin:competitors_company_change", args=[company.pk]))
    assert response.status_code == 200
    assert "https://inline.example.com/feed.xml" in response.content.decode()


def test_news_items_are_searchable_and_filterable(admin_client):
    item = NewsItemFactory(title="Frontier model priced lower")
    NewsItemFactory(title="Unrelated")
    url = reverse("admin:news_newsitem_changelist")
    response = admin_client.get(url, {"q": "frontier"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Frontier model priced lower" in html
    assert "Unrelated" not in html
    response = admin_client.get(url, {"company__id__exact": item.company_id})
    assert response.status_code == 200


def test_invalid_css_selector_is_rejected_in_admin(admin_client):
    company = CompanyFactory()
    response = admin_client.post(
        reverse("admin:competitors_source_add"),
        {
            "company": company.pk,
            "url": "https://selector.example.com/news",
            "kind": "html",
            "source_type": "blog",
            "status": "active",
            "css_selector": "a:has(>>>",
            "interval": "01:00:00",
            "consecutive_failures": 0,
        },
    )
    assert response.status_code == 200
    assert "css_selector" in response.context["adminform"].form.errors
