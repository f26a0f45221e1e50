import pytest
from django.core import mail

from accounts import services
from accounts.models import User
from accounts.tests.factories import UserFactory
from accounts.tokens import make_verification_token

pytestmark = pytest.mark.django_db


def test_user_create_normalises_email_and_queues_verification(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        user = services.user_create(email="Mixed.Case@Example.COM", password="Quartz-Lantern-47")
    assert user.email == "mixed.case@example.com"
    assert user.check_password("Quartz-Lantern-47")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["mixed.case@example.com"]


def test_deployed_settings_hash_passwords_with_argon2(settings):
    # The test settings swap in a fast hasher; the real list is checked here.
    from config.settings import base

    settings.PASSWORD_HASHERS = base.PASSWORD_HASHERS
    user = UserFactory()
    assert user.password.startswith("argon2$")


def test_verify_email_is_idempotent():
    user = UserFactory(is_verified=False)
    token = make_verification_token(user_id=user.pk, email=user.email)
    assert services.user_verify_email(token=token) == user
    assert services.user_verify_email(token=token) == user
    user.refresh_from_db()
    assert user.is_verified


def test_verify_email_rejects_garbage():
    assert services.user_verify_email(token="not-a-token") is None
    assert services.user_verify_email(token="") is None


def test_verified_users_get_no_more_verification_email():
    user = UserFactory(is_verified=True)
    services.user_send_verification_email(user=user)
    assert mail.outbox == []


def test_email_is_unique_case_insensitively():
    from django.db import IntegrityError

    UserFactory(email="one@example.com")
    with pytest.raises(IntegrityError):
        User.objects.bulk_create([User(email="ONE@example.com")])


def test_set_language_rejects_unknown_values():
    user = UserFactory()
    with pytest.raises(ValueError, match="unsupported"):
        services.user_set_language(user=user, language="xx")
    services.user_set_language(user=user, language="ru")
    user.refresh_from_db()
    assert user.language == "ru"
