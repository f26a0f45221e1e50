import pytest
from django.core import mail

from accounts import selectors, services
from accounts.models import Preferences, User
from accounts.settings_forms import split_keywords
from accounts.tests.factories import UserFactory
from competitors.tests.factories import CompanyFactory
from news.models import ItemState
from news.tests.factories import NewsItemFactory

pytestmark = pytest.mark.django_db


def test_update_settings_saves_fields_without_touching_verification(user):
    changed = services.user_update_settings(
        user=user,
        full_name="  Ada   Lovelace ",
        email=user.email.upper(),
        language="ru",
        timezone="Asia/Tokyo",
    )
    assert changed is False
    user.refresh_from_db()
    assert (user.full_name, user.language, user.timezone) == ("Ada Lovelace", "ru", "Asia/Tokyo")
    assert user.is_verified is True
    assert mail.outbox == []


def test_new_email_is_unverified_and_gets_a_link(user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        changed = services.user_update_settings(
            user=user, full_name="", email="New@Example.com", language="", timezone="UTC"
        )
    assert changed is True
    user.refresh_from_db()
    assert user.email == "new@example.com"
    assert user.is_verified is False
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new@example.com"]
    assert "/accounts/verify/" in str(mail.outbox[0].body)


def test_email_taken_meanwhile_raises_and_leaves_the_account_as_it_was(user):
    UserFactory(email="taken@example.com")
    original = user.email
    with pytest.raises(services.EmailTakenError):
        services.user_update_settings(
            user=user, full_name="X", email="TAKEN@example.com", language="", timezone="UTC"
        )
    assert user.email == original
    assert user.full_name != "X"
    user.refresh_from_db()
    assert user.email == original


def test_user_delete_removes_everything_of_the_user_only(user):
    other = UserFactory()
    company = CompanyFactory()
    item = NewsItemFactory(company=company)
    for owner in (user, other):
        services.preferences_update(
            user=owner, company_ids=[company.pk], categories=[], keywords=["gpt"], scope="all"
        )
        ItemState.objects.create(user=owner, item=item)

    services.user_delete(user=user)

    assert not User.objects.filter(email=user.email).exists()
    assert list(Preferences.objects.values_list("user_id", flat=True)) == [other.pk]
    assert list(ItemState.objects.values_list("user_id", flat=True)) == [other.pk]
    assert list(company.followers.values_list("user_id", flat=True)) == [other.pk]
    item.refresh_from_db()  # shared data stays


def test_company_picker_lists_selected_first_and_filters_the_rest():
    anthropic = CompanyFactory(name="Anthropic")
    openai = CompanyFactory(name="OpenAI")
    CompanyFactory(name="Mistral AI")
    hidden = CompanyFactory(name="Retired Labs", active=False)

    options = selectors.company_picker_options(search="", selected_ids=[openai.pk])
    assert [option.name for option in options] == ["OpenAI", "Anthropic", "Mistral AI"]
    assert [option.selected for option in options] == [True, False, False]

    options = selectors.company_picker_options(search="anthro", selected_ids=[openai.pk])
    assert [(option.id, option.selected) for option in options] == [
        (openai.pk, True),
        (anthropic.pk, False),
    ]

    # An inactive company is not offered, but stays listed while selected.
    options = selectors.company_picker_options(search="nothing like it", selected_ids=[hidden.pk])
    assert [option.id for option in options] == [hidden.pk]
    assert selectors.company_picker_options(search="retired", selected_ids=[]) == []


def test_tracked_company_ids_and_preferences_get(user):
    assert selectors.preferences_get(user=user) is None
    assert selectors.tracked_company_ids(user=user) == set()
    company = CompanyFactory()
    services.company_follow_set(user=user, company_id=company.pk, following=True)
    assert selectors.preferences_get(user=user) is not None
    assert selectors.tracked_company_ids(user=user) == {company.pk}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", []),
        ("gpt-5\nClaude , gemini", ["gpt-5", "Claude", "gemini"]),
        ("open  source\r\nOPEN SOURCE,,\n ,", ["open source"]),
    ],
)
def test_split_keywords(text, expected):
    assert split_keywords(text) == expected
