"""The company page's activity score card and similar companies."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from competitors.activity import company_activity, period_last_days
from competitors.similarity import similar_companies
from competitors.tests.factories import CompanyFactory
from news.tests.factories import NewsItemFactory

pytestmark = pytest.mark.django_db


def _detail_url(company):
    return reverse("competitors:detail", args=[company.slug])


@pytest.fixture
def companies():
    acme = CompanyFactory(name="Acme AI", slug="acme")
    beta = CompanyFactory(name="Beta Labs", slug="beta")
    CompanyFactory(name="Quiet Co", slug="quiet")
    now = timezone.now()
    for company, count in ((acme, 4), (beta, 3)):
        for offset in range(count):
            NewsItemFactory(
                company=company,
                published_at=now - timedelta(days=offset * 3),
                category="model_release",
                priority_score=0.6,
            )
        NewsItemFactory(
            company=company,
            published_at=now - timedelta(days=1),
            category="api_update",
            priority_score=0.3,
        )
    # Outside the 30 days of the score, inside the 90 of similarity.
    NewsItemFactory(company=acme, published_at=now - timedelta(days=45), category="api_update")
    return acme, beta


def test_company_page_shows_the_activity_score_and_its_components(client, companies):
    acme, _ = companies
    activity = company_activity(company=acme, period=period_last_days(days=30))

    response = client.get(_detail_url(acme))

    html = response.content.decode()
    assert response.status_code == 200
    card = html[html.index('class="card activity-score"') :]
    card = card[: card.index("</section>")]
    assert activity.total == 5
    assert f'{activity.score.score}<span class="muted activity-score-max"> / 100</span>' in card
    assert "5 items in the last 30 days" in card
    for label, value in (
        ("Volume", activity.score.volume),
        ("Diversity", activity.score.diversity),
        ("Recency", activity.score.recency),
        ("Priority", activity.score.priority),
    ):
        assert re.search(
            rf"<dt>{label}</dt>\s*<dd><meter [^>]*></meter> {round(value * 100)}%</dd>", card
        )
    assert 'href="/compare/?companies=acme"' in card
    assert "Compare with…" in card
    assert "style=" not in html


def test_company_page_lists_similar_companies_with_reasons_and_compare_links(client, companies):
    acme, beta = companies
    similar = similar_companies(company=acme, limit=5)
    assert similar
    assert similar[0].company == beta

    html = client.get(_detail_url(acme)).content.decode()

    section = html[html.index('class="card similar-companies"') :]
    section = section[: section.index("</section>")]
    assert 'href="/companies/beta/">Beta Labs</a>' in section
    assert similar[0].reason in section
    assert f"{round(similar[0].similarity * 100)}% similar" in section
    assert 'href="/compare/?companies=acme&amp;companies=beta"' in section
    assert "Compare Acme AI with Beta Labs" in section


def test_company_without_news_gets_a_zero_score_and_no_error(client):
    lonely = CompanyFactory(name="Lonely", slug="lonely")

    response = client.get(_detail_url(lonely))

    html = response.content.decode()
    assert response.status_code == 200
    assert '0<span class="muted activity-score-max"> / 100</span>' in html
    assert "0 items in the last 30 days" in html
    assert 'href="/compare/?companies=lonely"' in html


@pytest.mark.usefixtures("companies")
def test_compare_with_link_leads_to_a_preselected_form(client):
    response = client.get("/compare/?companies=acme")

    html = response.content.decode()
    assert response.status_code == 200
    assert '<option value="acme" selected>Acme AI</option>' in html
    assert "errorlist" not in html


def test_company_page_queries_do_not_grow_with_similar_companies(
    client, companies, django_assert_max_num_queries
):
    acme, _ = companies
    client.get(_detail_url(acme))
    for n in range(6):
        other = CompanyFactory(slug=f"more-{n}")
        NewsItemFactory(company=other, category="model_release")

    with django_assert_max_num_queries(20) as queries:
        client.get(_detail_url(acme))
    first = len(queries.captured_queries)
    for n in range(6, 12):
        NewsItemFactory(company=CompanyFactory(slug=f"more-{n}"), category="model_release")
    with django_assert_max_num_queries(first):
        client.get(_detail_url(acme))


@pytest.mark.parametrize(("days", "shown"), [("7", 7), ("90", 90), ("", 30), ("31", 30), ("x", 30)])
def test_activity_card_switches_between_7_30_and_90_days(client, companies, days, shown):
    acme, _ = companies
    activity = company_activity(company=acme, period=period_last_days(days=shown))

    response = client.get(_detail_url(acme), {"days": days})

    html = response.content.decode()
    assert response.status_code == 200
    card = html[html.index('class="card activity-score"') :]
    card = card[: card.index("</section>")]
    noun = "item" if activity.total == 1 else "items"
    assert f"{activity.total} {noun} in the last {shown} days" in card
    assert f'{activity.score.score}<span class="muted activity-score-max">' in card
    current = re.findall(r'<a href="[^"]*\?days=(\d+)#activity-score-title" aria-current', card)
    assert current == [str(shown)]


def test_activity_card_lists_the_best_items_of_the_period(client, companies):
    acme, _ = companies
    best = NewsItemFactory(
        company=acme, title="Acme ships Nova", priority_score=0.95, published_at=timezone.now()
    )
    old = NewsItemFactory(
        company=acme,
        title="Acme long ago",
        priority_score=0.99,
        published_at=timezone.now() - timedelta(days=60),
    )

    card = client.get(_detail_url(acme)).content.decode()
    card = card[card.index('class="card activity-score"') :]
    card = card[: card.index("</section>")]

    top = re.findall(r'<li><a href="/news/(\d+)/">', card)
    assert top[0] == str(best.pk)
    assert len(top) == 3
    assert str(old.pk) not in top  # outside the 30 days
