import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import User
from accounts.services import verification_url
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

STRONG_PASSWORD = "Quartz-Lantern-47-Orbit"


def _link_from_last_email(pattern: str) -> str:
    assert mail.outbox, "no email was sent"
    match = re.search(pattern, str(mail.outbox[-1].body))
    assert match, mail.outbox[-1].body
    return match.group(0)


def test_signup_verify_login_logout_journey(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("accounts:signup"),
            {
                "email": "New.Analyst@Example.com",
                "full_name": "Nadia Analyst",
                "password1": STRONG_PASSWORD,
                "password2": STRONG_PASSWORD,
            },
        )
    assert response.status_code == 302
    user = User.objects.get()
    assert user.email == "new.analyst@example.com"
    assert user.is_verified is False

    verify_path = _link_from_last_email(r"/accounts/verify/[^\s]+/")
    assert mail.outbox[-1].to == ["new.analyst@example.com"]

    client.post(reverse("accounts:logout"))
    response = client.get(verify_path)
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.is_verified is True

    response = client.post(
        reverse("accounts:login"),
        {"username": "NEW.ANALYST@example.com", "password": STRONG_PASSWORD},
    )
    assert response.status_code == 302
    assert response.wsgi_request.user.is_authenticated
    assert client.get(reverse("accounts:profile")).status_code == 200

    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert client.get(reverse("accounts:profile")).status_code == 302


def test_logout_requires_post(auth_client):
    assert auth_client.get(reverse("accounts:logout")).status_code == 405


def test_signup_rejects_duplicate_email_and_weak_password(client):
    UserFactory(email="taken@example.com")
    response = client.post(
        reverse("accounts:signup"),
        {"email": "TAKEN@example.com", "password1": "password", "password2": "password"},
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "email" in errors
    assert "password2" in errors
    assert User.objects.count() == 1


def test_password_similar_to_name_is_rejected(client):
    response = client.post(
        reverse("accounts:signup"),
        {
            "email": "someone@example.com",
            "full_name": "Margarethe Vandenberg",
            "password1": "margarethevandenberg",
            "password2": "margarethevandenberg",
        },
    )
    assert response.status_code == 200
    assert "password2" in response.context["form"].errors


def test_verification_link_is_rejected_when_tampered_or_for_old_address(client):
    user = UserFactory(is_verified=False)
    token = verification_url(user=user).rstrip("/").rsplit("/", 1)[1]
    tampered = token[:-3] + ("xyz" if not token.endswith("xyz") else "abc")
    response = client.get(reverse("accounts:verify_email", kwargs={"token": tampered}))
    assert response.status_code == 400

    user.email = "changed@example.com"
    user.save()
    response = client.get(reverse("accounts:verify_email", kwargs={"token": token}))
    assert response.status_code == 400
    user.refresh_from_db()
    assert user.is_verified is False


def test_resend_verification_sends_a_fresh_link(client, django_capture_on_commit_callbacks):
    user = UserFactory(is_verified=False)
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:resend_verification"))
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "/accounts/verify/" in mail.outbox[0].body


def test_password_reset_flow(client, django_capture_on_commit_callbacks):
    user = UserFactory(email="reset.me@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("accounts:password_reset"), {"email": "Reset.Me@example.com"}
        )
    assert response.status_code == 302
    assert mail.outbox[-1].to == ["reset.me@example.com"]
    link = _link_from_last_email(r"/accounts/password/reset/[^/\s]+/[^/\s]+/")

    response = client.get(link, follow=True)
    assert response.status_code == 200
    assert response.context["validlink"] is True
    set_password_url = response.redirect_chain[-1][0]
    response = client.post(
        set_password_url,
        {"new_password1": STRONG_PASSWORD, "new_password2": STRONG_PASSWORD},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(STRONG_PASSWORD)

    # The link is single-use.
    response = client.get(link, follow=True)
    assert response.context["validlink"] is False


def test_password_reset_for_unknown_address_reveals_nothing(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert mail.outbox == []


def test_password_change(auth_client, user):
    response = auth_client.post(
        reverse("accounts:password_change"),
        {
            "old_password": DEFAULT_PASSWORD,
            "new_password1": STRONG_PASSWORD,
            "new_password2": STRONG_PASSWORD,
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(STRONG_PASSWORD)


def test_login_redirect_ignores_foreign_next(client, user):
    response = client.post(
        reverse("accounts:login"),
        {"username": user.email, "password": DEFAULT_PASSWORD, "next": "https://evil.example/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_profile_update(auth_client, user):
    response = auth_client.post(
        reverse("accounts:profile"), {"full_name": "  Ada Lovelace ", "language": "ru"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.full_name == "Ada Lovelace"
    assert user.language == "ru"


def test_profile_rejects_unknown_language(auth_client, user):
    response = auth_client.post(reverse("accounts:profile"), {"full_name": "", "language": "xx"})
    assert response.status_code == 200
    assert "language" in response.context["form"].errors
