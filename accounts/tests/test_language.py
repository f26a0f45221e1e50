import pytest
from django.urls import reverse
from django.utils import translation

from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _russian(text: str) -> str:
    with translation.override("ru"):
        translated = translation.gettext(text)
    assert translated != text, f"no Russian translation for {text!r}"
    return translated


def test_browser_language_is_used_for_anonymous_visitors(client):
    response = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="ru-RU,ru;q=0.9")
    assert response["Content-Language"] == "ru"
    html = response.content.decode()
    assert '<html lang="ru"' in html
    assert _russian("Forgot your password?") in html


def test_english_is_the_default(client):
    response = client.get(reverse("accounts:login"))
    assert response["Content-Language"] == "en"
    assert "Forgot your password?" in response.content.decode()


def test_language_switch_sets_the_cookie_and_changes_the_pages(client):
    response = client.post(
        reverse("set_language"), {"language": "ru", "next": reverse("accounts:login")}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")
    response = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="en")
    assert response["Content-Language"] == "ru"
    assert _russian("Forgot your password?") in response.content.decode()


def test_language_switch_rejects_unknown_languages(client):
    client.post(reverse("set_language"), {"language": "xx"})
    response = client.get(reverse("accounts:login"))
    assert response["Content-Language"] == "en"


def test_a_signed_in_users_own_language_wins_over_the_browser(client):
    user = UserFactory(language="ru")
    client.force_login(user)
    response = client.get(reverse("accounts:profile"), HTTP_ACCEPT_LANGUAGE="en")
    assert response["Content-Language"] == "ru"
    assert _russian("Your profile") in response.content.decode()


def test_switching_language_while_signed_in_is_saved_on_the_account(client):
    user = UserFactory(language="ru")
    client.force_login(user)
    client.post(reverse("set_language"), {"language": "en"})
    user.refresh_from_db()
    assert user.language == "en"
    response = client.get(reverse("accounts:profile"), HTTP_ACCEPT_LANGUAGE="ru")
    assert response["Content-Language"] == "en"
