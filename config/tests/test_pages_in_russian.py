"""Every page renders in Russian for a user who chose Russian, with no English
interface text left in its main headings and controls."""

import re

import pytest

from competitors.tests.factories import CompanyFactory
from digests.tests.factories import DigestFactory
from news.tests.factories import NewsItemFactory

pytestmark = pytest.mark.django_db

# Interface words that must not survive translation on any page.
ENGLISH = re.compile(
    r">\s*(Dashboard|News|Companies|Favourites|Settings|Log out|Apply filters|"
    r"Mark as read|Add to favourites|Save preferences|Search|Follow)\s*<"
)


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/news/",
        "/news/{item}/",
        "/favourites/",
        "/categories/model_release/",
        "/companies/",
        "/companies/{company}/",
        "/companies/add/",
        "/settings/",
        "/digests/",
        "/digests/{digest}/",
        "/digests/preview/",
        "/notifications/",
    ],
)
def test_page_speaks_russian(auth_client, user, path):
    user.language = "ru"
    user.save(update_fields=["language"])
    company = CompanyFactory(name="Acme AI", slug="acme-ai")
    item = NewsItemFactory(company=company, category="model_release", priority_score=0.9)

    digest = DigestFactory(user=user)
    response = auth_client.get(path.format(item=item.pk, company=company.slug, digest=digest.pk))

    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="ru"' in html
    assert re.search("[А-Яа-яЁё]{4,}", html)
    assert not ENGLISH.findall(html)
