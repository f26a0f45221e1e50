from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from digests.models import Delivery, Digest
from digests.tests.factories import DeliveryFactory, DigestFactory, content_of, entry
from news.tests.factories import NewsItemFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def sample_content():
    return content_of(
        (
            "Acme",
            {
                "product_update": [
                    entry(41, title="Acme ships Rocket", priority="high", extra_sources=3)
                ],
            },
        ),
    )


# ---------------------------------------------------------------- access


@pytest.mark.parametrize(
    ("method", "name", "args"),
    [
        ("get", "digests:history", []),
        ("get", "digests:detail", [1]),
        ("get", "digests:preview", []),
        ("post", "digests:send", []),
    ],
)
def test_anonymous_visitors_are_sent_to_log_in(client, method, name, args):
    response = getattr(client, method)(reverse(name, args=args))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_another_users_digest_is_not_found(auth_client):
    stranger = DigestFactory(user=UserFactory(), body=sample_content())

    response = auth_client.get(reverse("digests:detail", args=[stranger.pk]))

    assert response.status_code == 404


def test_history_lists_only_own_digests(auth_client, user):
    DigestFactory(user=user, body=sample_content(), frequency="weekly")
    DigestFactory(user=UserFactory(), body=sample_content(), frequency="daily")

    response = auth_client.get(reverse("digests:history"))

    assert response.status_code == 200
    assert len(response.context["rows"]) == 1
    assert "Weekly" in response.content.decode()


# ---------------------------------------------------------------- history


def test_history_shows_delivery_statuses_and_permanent_errors(auth_client, user):
    digest = DigestFactory(user=user, body=sample_content())
    DeliveryFactory(
        digest=digest,
        channel=Delivery.Channel.TELEGRAM,
        status=Delivery.Status.FAILED,
        last_error="The bot was blocked by the user.",
    )
    DeliveryFactory(
        digest=digest,
        channel=Delivery.Channel.EMAIL,
        status=Delivery.Status.SENT,
        sent_at=timezone.now(),
        last_error="A transient error that was retried away.",
    )

    body = auth_client.get(reverse("digests:history")).content.decode()

    assert "The bot was blocked by the user." in body
    assert "A transient error that was retried away." not in body
    assert "Failed" in body
    assert "Sent" in body
    assert "Ready" in body


def test_history_is_newest_first_and_paginated(auth_client, user):
    digests = [DigestFactory(user=user) for _ in range(23)]
    newest = max(digests, key=lambda digest: digest.period_end)
    oldest = min(digests, key=lambda digest: digest.period_end)

    first = auth_client.get(reverse("digests:history"))
    second = auth_client.get(reverse("digests:history"), {"page": "2"})
    garbage = auth_client.get(reverse("digests:history"), {"page": "x' OR 1=1"})

    assert first.context["rows"][0].digest == newest
    assert len(first.context["rows"]) == 20
    assert second.context["rows"][-1].digest == oldest
    assert len(second.context["rows"]) == 3
    assert garbage.status_code == 200
    assert garbage.context["page"].number == 1


def test_history_page_for_htmx_is_the_fragment(auth_client, user):
    DigestFactory(user=user, body=sample_content())

    response = auth_client.get(reverse("digests:history"), {"page": "1"}, **HTMX)

    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<section id="digest-history"')
    assert "<html" not in body
    assert "HX-Request" in response["Vary"]


# ---------------------------------------------------------------- detail


def test_detail_renders_groups_entries_and_links(auth_client, user):
    digest = DigestFactory(user=user, body=sample_content())
    DeliveryFactory(
        digest=digest,
        channel=Delivery.Channel.EMAIL,
        status=Delivery.Status.SKIPPED,
        last_error="Your email address is not confirmed.",
    )

    response = auth_client.get(reverse("digests:detail", args=[digest.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    assert "Acme" in body
    assert "Product update" in body
    assert f'href="{reverse("news:detail", args=[41])}"' in body
    assert 'href="https://acme.example.com/news/41"' in body
    assert "+3 sources" in body
    assert "What model 41 does, in one sentence." in body
    assert "Your email address is not confirmed." in body
    assert "css/digests.css" in body


def test_detail_of_a_short_digest_has_no_summaries(auth_client, user):
    digest = DigestFactory(user=user, body=sample_content(), format="short")

    body = auth_client.get(reverse("digests:detail", args=[digest.pk])).content.decode()

    assert "Acme ships Rocket" in body
    assert "What model 41 does" not in body


def test_detail_of_an_empty_digest_says_so(auth_client, user):
    digest = DigestFactory(user=user)

    body = auth_client.get(reverse("digests:detail", args=[digest.pk])).content.decode()

    assert "Nothing new in this period." in body


def test_detail_escapes_hostile_titles(auth_client, user):
    content = content_of(
        ("Acme", {"": [entry(1, title="<script>alert(1)</script>", url="javascript:alert(1)")]})
    )
    digest = DigestFactory(user=user, body=content)

    body = auth_client.get(reverse("digests:detail", args=[digest.pk])).content.decode()

    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "javascript:alert(1)" not in body


# ---------------------------------------------------------------- send now


def test_send_now_builds_a_digest_and_redirects_to_it(auth_client, user):
    # The digest ends at the current whole second: an item of this very second may
    # fall after it.
    NewsItemFactory(title="Fresh from Acme", fetched_at=timezone.now() - timedelta(seconds=1))

    response = auth_client.post(reverse("digests:send"), {"kind": "daily"})

    digest = Digest.objects.get(user=user, kind=Digest.Kind.ON_DEMAND)
    assert response.status_code == 302
    assert response["Location"] == reverse("digests:detail", args=[digest.pk])
    assert digest.frequency == "daily"
    assert "Fresh from Acme" in auth_client.get(response["Location"]).content.decode()


def test_send_now_with_htmx_answers_hx_redirect(auth_client, user):
    response = auth_client.post(reverse("digests:send"), {"kind": "weekly"}, **HTMX)

    digest = Digest.objects.get(user=user, kind=Digest.Kind.ON_DEMAND)
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("digests:detail", args=[digest.pk])


def test_send_now_refuses_an_unknown_kind(auth_client, user):
    response = auth_client.post(reverse("digests:send"), {"kind": "hourly"})

    assert response.status_code == 400
    assert not Digest.objects.filter(user=user).exists()


def test_send_now_only_accepts_post(auth_client):
    assert auth_client.get(reverse("digests:send")).status_code == 405


def test_send_now_is_rate_limited(auth_client, user):
    for _ in range(10):
        assert auth_client.post(reverse("digests:send"), {"kind": "daily"}).status_code == 302

    limited = auth_client.post(reverse("digests:send"), {"kind": "daily"})
    limited_htmx = auth_client.post(reverse("digests:send"), {"kind": "daily"}, **HTMX)

    assert limited.status_code == 429
    assert limited["Retry-After"] == "3600"
    assert "Please try again in an hour." in limited.content.decode()
    # htmx swaps only successful answers: the form comes back with the message.
    assert limited_htmx.status_code == 200
    assert "Please try again in an hour." in limited_htmx.content.decode()
    assert "HX-Redirect" not in limited_htmx


# ---------------------------------------------------------------- preview


def test_preview_without_dates_shows_the_form(auth_client):
    response = auth_client.get(reverse("digests:preview"))

    assert response.status_code == 200
    assert response.context["sections"] is None
    assert not response.context["preview_form"].errors


def test_preview_shows_the_items_of_the_range(auth_client, user):
    today = timezone.localdate()
    NewsItemFactory(title="Inside the range", fetched_at=timezone.now() - timedelta(days=1))
    NewsItemFactory(title="Long before", fetched_at=timezone.now() - timedelta(days=20))

    response = auth_client.get(
        reverse("digests:preview"),
        {"start": (today - timedelta(days=2)).isoformat(), "end": today.isoformat()},
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert "Inside the range" in body
    assert "Long before" not in body
    assert not Digest.objects.filter(user=user).exists()


def test_preview_for_htmx_is_the_fragment(auth_client):
    today = timezone.localdate().isoformat()

    response = auth_client.get(reverse("digests:preview"), {"start": today, "end": today}, **HTMX)

    body = response.content.decode()
    assert body.lstrip().startswith('<section id="digest-preview"')
    assert "Nothing new in this period." in body


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2026-11-31", "2026-12-01", "Enter a date as YYYY-MM-DD."),
        ("yesterday", "2026-12-01", "Enter a date as YYYY-MM-DD."),
        ("2026-12-05", "2026-12-01", "The end date must not be before the start date."),
        ("2026-11-01", "2026-12-02", "A preview covers at most 31 days."),
        ("9999-12-31", "9999-12-31", "Enter a date between 1990 and 2200."),
        ("", "", "This field is required."),
    ],
)
@pytest.mark.parametrize("htmx", [False, True])
def test_preview_validation_errors_are_shown_not_raised(auth_client, start, end, message, htmx):
    response = auth_client.get(
        reverse("digests:preview"), {"start": start, "end": end}, **(HTMX if htmx else {})
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert response.context["sections"] is None


def test_a_31_day_preview_is_allowed(auth_client):
    response = auth_client.get(
        reverse("digests:preview"), {"start": "2026-01-01", "end": "2026-01-31"}
    )

    assert response.status_code == 200
    assert not response.context["preview_form"].errors
    assert response.context["sections"] == []
