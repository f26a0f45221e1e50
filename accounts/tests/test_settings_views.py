from datetime import UTC, datetime

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import Preferences, User
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from competitors.tests.factories import CompanyFactory
from news.models import ItemState
from news.tests.factories import NewsItemFactory

pytestmark = pytest.mark.django_db

INDEX = reverse("settings:index")
PROFILE = reverse("settings:profile")
PREFERENCES = reverse("settings:preferences")
DELETE = reverse("settings:delete_account")


def _profile_data(user, **overrides):
    data = {
        "full_name": user.full_name,
        "email": user.email,
        "language": user.language,
        "timezone": user.timezone,
        "current_password": DEFAULT_PASSWORD,
    }
    return data | overrides


def _messages(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


# ---------------------------------------------------------------- page


@pytest.mark.parametrize("url", [INDEX, PROFILE, PREFERENCES, DELETE])
def test_settings_need_a_signed_in_user(client, url):
    for method in (client.get, client.post):
        response = method(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


def test_page_has_every_section(auth_client):
    CompanyFactory(name="Anthropic")
    response = auth_client.get(INDEX)
    assert response.status_code == 200
    html = response.content.decode()
    for section in (
        "profile",
        "preferences",
        "password",
        "digests",
        "telegram",
        "integrations",
        "delete-account",
    ):
        assert f'id="{section}"' in html
    assert '<label class="field-label" for="company-search">Search companies</label>' in html
    assert "Save preferences" in html
    assert "<span>Anthropic</span>" in html
    assert "<span>Model release</span>" in html
    assert reverse("accounts:password_change") in html
    # The integrations section leads to the pages that manage them.
    for page in ("settings:api_tokens", "settings:feed", "settings:webhooks:index", "api-docs"):
        assert f'href="{reverse(page)}"' in html
    assert "Coming soon" not in html
    assert "style=" not in html
    assert "HX-Request" in response["Vary"]


@pytest.mark.parametrize("url", [PROFILE, PREFERENCES, DELETE])
def test_form_urls_answer_get_with_the_page(auth_client, url):
    response = auth_client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(INDEX + "#")


# ---------------------------------------------------------------- profile


def test_profile_saves_name_language_and_time_zone(auth_client, user):
    response = auth_client.post(
        PROFILE,
        _profile_data(user, full_name="Grace Hopper", language="ru", timezone="America/New_York"),
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.full_name, user.language, user.timezone) == (
        "Grace Hopper",
        "ru",
        "America/New_York",
    )
    assert user.is_verified is True
    assert mail.outbox == []
    # Saved, then applied: the next page is in the chosen language and zone.
    response = auth_client.get(INDEX)
    assert '<html lang="ru"' in response.content.decode()
    assert '<option value="America/New_York" selected>' in response.content.decode()


def test_time_zone_applies_to_dashboard_times(auth_client, user):
    published = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
    NewsItemFactory(title="Launch day", published_at=published)
    auth_client.post(PROFILE, _profile_data(user, timezone="Asia/Tokyo"))
    html = auth_client.get(reverse("home")).content.decode()
    assert 'datetime="2024-03-01T21:00:00+09:00"' in html
    assert 'title="1 Mar 2024, 21:00 (Asia/Tokyo)"' in html


def test_email_change_requires_verification_again(
    auth_client, user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.post(PROFILE, _profile_data(user, email="Fresh@Example.com"))
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.email == "fresh@example.com"
    assert user.is_verified is False
    assert [message.to for message in mail.outbox] == [["fresh@example.com"]]
    assert "fresh@example.com" in _messages(response)[0]


def test_email_taken_by_another_account_case_insensitively(auth_client, user):
    UserFactory(email="someone@example.com")
    response = auth_client.post(PROFILE, _profile_data(user, email="SomeOne@Example.COM"))
    assert response.status_code == 200
    assert "email" in response.context["profile_form"].errors
    user.refresh_from_db()
    assert user.email != "someone@example.com"


def test_email_changes_are_rate_limited(auth_client, user):
    for number in range(5):
        response = auth_client.post(PROFILE, _profile_data(user, email=f"a{number}@example.com"))
        assert response.status_code == 302
    response = auth_client.post(PROFILE, _profile_data(user, email="a9@example.com"))
    assert response.status_code == 200
    assert "too often" in str(response.context["profile_form"].errors["email"])
    user.refresh_from_db()
    assert user.email == "a4@example.com"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("timezone", "Mars/Olympus_Mons"),
        ("timezone", ""),
        ("timezone", "x" * 10_000),
        ("full_name", "n" * 10_000),
        ("full_name", "nul\x00"),
        ("email", "not-an-email"),
        ("email", ""),
        ("email", "a" * 10_000 + "@example.com"),
        ("language", "klingon"),
    ],
)
def test_profile_rejects_junk_with_field_errors(auth_client, user, field, value):
    before = User.objects.values().get(pk=user.pk)
    response = auth_client.post(PROFILE, _profile_data(user, **{field: value}))
    assert response.status_code == 200
    assert field in response.context["profile_form"].errors
    assert 'class="errorlist' in response.content.decode()
    assert User.objects.values().get(pk=user.pk) == before
    # The header keeps showing the saved address, not the rejected one.
    assert user.email in response.content.decode()


def test_profile_keeps_a_legacy_time_zone_selectable(auth_client, user):
    user.timezone = "US/Eastern"
    user.save()
    html = auth_client.get(INDEX).content.decode()
    assert '<option value="US/Eastern" selected>' in html
    response = auth_client.post(PROFILE, _profile_data(user))
    assert response.status_code == 302


# ---------------------------------------------------------------- preferences


def _preferences(user):
    preferences = Preferences.objects.get(user=user)
    return {
        "companies": set(preferences.tracked_companies.values_list("pk", flat=True)),
        "categories": preferences.categories,
        "keywords": preferences.keywords,
        "scope": preferences.scope,
    }


def test_preferences_are_saved(auth_client, user):
    anthropic, openai = CompanyFactory(name="Anthropic"), CompanyFactory(name="OpenAI")
    response = auth_client.post(
        PREFERENCES,
        {
            "companies": [anthropic.pk, openai.pk],
            "categories": ["model_release", "pricing_change"],
            "keywords": "Claude\nGPT-5, agents\nclaude",
            "scope": "all",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == INDEX + "#preferences"
    assert _messages(response) == ["Your preferences have been saved."]
    assert _preferences(user) == {
        "companies": {anthropic.pk, openai.pk},
        "categories": ["model_release", "pricing_change"],
        "keywords": ["claude", "gpt-5", "agents"],
        "scope": "all",
    }

    html = auth_client.get(INDEX).content.decode()
    assert f'name="companies" value="{anthropic.pk}" checked' in html
    assert 'name="categories" value="model_release" checked' in html
    assert "gpt-5" in html


def test_preferences_can_be_emptied(auth_client, user):
    company = CompanyFactory()
    services.preferences_update(
        user=user, company_ids=[company.pk], categories=["api_update"], keywords=["x"], scope="all"
    )
    response = auth_client.post(PREFERENCES, {"scope": "tracked"})
    assert response.status_code == 302
    assert _preferences(user) == {
        "companies": set(),
        "categories": [],
        "keywords": [],
        "scope": "tracked",
    }


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"categories": ["not_a_category"]}, "categories"),
        ({"categories": ["<script>"]}, "categories"),
        ({"companies": ["999999"]}, "companies"),
        ({"companies": ["abc"]}, "companies"),
        ({"companies": ["1.5"]}, "companies"),
        ({"companies": ["99999999999999999999999"]}, "companies"),
        ({"companies": ["-1"]}, "companies"),
        ({"keywords": "\n".join(f"kw{n}" for n in range(51))}, "keywords"),
        ({"keywords": "k" * 61}, "keywords"),
        ({"keywords": "k" * 10_000}, "keywords"),
        ({"keywords": "nul\x00byte"}, "keywords"),
        ({"scope": "everything"}, "scope"),
        ({"scope": ""}, "scope"),
    ],
)
def test_preferences_reject_junk_with_field_errors(auth_client, user, data, field):
    company = CompanyFactory()
    services.preferences_update(
        user=user, company_ids=[company.pk], categories=[], keywords=["kept"], scope="tracked"
    )
    before = _preferences(user)
    response = auth_client.post(PREFERENCES, {"scope": "all"} | data)
    assert response.status_code == 200
    assert field in response.context["preferences_form"].errors
    assert "Your preferences were not saved" in response.content.decode()
    assert _preferences(user) == before


def test_fifty_keywords_of_sixty_characters_are_fine(auth_client, user):
    keywords = [f"{n:02d}" + "k" * 58 for n in range(50)]
    response = auth_client.post(PREFERENCES, {"scope": "tracked", "keywords": "\n".join(keywords)})
    assert response.status_code == 302
    assert _preferences(user)["keywords"] == keywords


def test_invalid_submission_keeps_the_submitted_choices_checked(auth_client):
    company = CompanyFactory(name="Cohere")
    response = auth_client.post(
        PREFERENCES,
        {"companies": [str(company.pk)], "categories": ["acquisition"], "scope": "nope"},
    )
    html = response.content.decode()
    assert f'name="companies" value="{company.pk}" checked' in html
    assert 'name="categories" value="acquisition" checked' in html


def test_preferences_only_ever_change_the_signed_in_user(auth_client, user):
    other = UserFactory()
    company = CompanyFactory()
    services.preferences_update(
        user=other,
        company_ids=[company.pk],
        categories=["funding_news"],
        keywords=["theirs"],
        scope="all",
    )
    before = _preferences(other)
    # Nothing in the form names an account; extra fields that try to are ignored.
    response = auth_client.post(
        PREFERENCES,
        {
            "user": other.pk,
            "user_id": other.pk,
            "preferences": other.preferences.pk,
            "scope": "tracked",
            "keywords": "mine",
        },
    )
    assert response.status_code == 302
    assert _preferences(other) == before
    assert _preferences(user)["keywords"] == ["mine"]


# ---------------------------------------------------------------- company search


def test_company_search_filters_without_javascript_and_keeps_selected(auth_client, user):
    anthropic = CompanyFactory(name="Anthropic")
    openai = CompanyFactory(name="OpenAI")
    CompanyFactory(name="Mistral AI")
    services.company_follow_set(user=user, company_id=openai.pk, following=True)

    html = auth_client.get(INDEX, {"company_q": "anthro"}).content.decode()
    assert "<span>Anthropic</span>" in html
    assert "<span>OpenAI</span>" in html  # tracked, so still shown (and kept on save)
    assert "<span>Mistral AI</span>" not in html
    assert html.index("<span>OpenAI</span>") < html.index("<span>Anthropic</span>")
    assert 'value="anthro"' in html
    assert f'value="{anthropic.pk}">' in html


def test_company_search_with_htmx_answers_the_fragment_with_unsaved_choices(auth_client):
    CompanyFactory(name="Anthropic")
    cohere = CompanyFactory(name="Cohere")
    response = auth_client.get(
        INDEX,
        {"company_q": "anthro", "companies": [str(cohere.pk), "junk", "9" * 40]},
        headers={"HX-Request": "true", "HX-Target": "company-options"},
    )
    assert response.status_code == 200
    assert "HX-Request" in response["Vary"]
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="company-options"')
    assert "<html" not in html
    assert f'name="companies" value="{cohere.pk}" checked' in html
    assert "<span>Anthropic</span>" in html


@pytest.mark.parametrize("query", ["%", "_", "\x00", "a" * 5000, "'; drop table"])
def test_company_search_survives_junk(auth_client, query):
    response = auth_client.get(INDEX, {"company_q": query})
    assert response.status_code == 200


# ---------------------------------------------------------------- delete account


def test_delete_account_needs_the_password(auth_client, user):
    response = auth_client.post(DELETE, {"password": "wrong"})
    assert response.status_code == 200
    assert "password" in response.context["delete_form"].errors
    assert User.objects.filter(pk=user.pk).exists()
    response = auth_client.post(DELETE, {"password": ""})
    assert response.status_code == 200
    assert User.objects.filter(pk=user.pk).exists()


def test_delete_account_removes_the_user_and_their_data_and_logs_out(auth_client, user):
    other = UserFactory()
    item = NewsItemFactory()
    for owner in (user, other):
        services.preferences_update(
            user=owner, company_ids=[item.company_id], categories=[], keywords=[], scope="all"
        )
        ItemState.objects.create(user=owner, item=item, read_at=timezone.now())

    response = auth_client.post(DELETE, {"password": DEFAULT_PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert not User.objects.filter(pk=user.pk).exists()
    assert not Preferences.objects.filter(user_id=user.pk).exists()
    assert not ItemState.objects.filter(user_id=user.pk).exists()
    assert Preferences.objects.filter(user=other).exists()
    assert ItemState.objects.filter(user=other).exists()
    assert not response.wsgi_request.user.is_authenticated
    assert _messages(response) == ["Your account and all its data have been deleted."]
    assert auth_client.get(INDEX).status_code == 302
    home = auth_client.get(reverse("home"))
    assert "news/landing.html" in [template.name for template in home.templates]


def test_changing_the_email_needs_the_current_password(auth_client, user, mailoutbox):
    for password in ("", "wrong"):
        response = auth_client.post(
            PROFILE, _profile_data(user, email="new@example.com", current_password=password)
        )
        assert response.status_code == 200
        assert "current_password" in response.context["profile_form"].errors
    user.refresh_from_db()
    assert user.email != "new@example.com"
    assert not mailoutbox

    # Other fields change without it.
    auth_client.post(PROFILE, _profile_data(user, full_name="Ada L.", current_password=""))
    user.refresh_from_db()
    assert user.full_name == "Ada L."
