"""Reads for accounts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import BooleanField, Case, Q, Value, When
from django.db.models.functions import Lower
from django.http import HttpRequest

from accounts.models import Preferences, User
from competitors.models import Company


def user_get_by_email(*, email: str) -> User | None:
    return User.objects.filter(email__iexact=email.strip()).first()


def superuser_exists() -> bool:
    return User.objects.filter(is_superuser=True).exists()


def preferences_get(*, user: User) -> Preferences | None:
    """The user's saved preferences, or None before their first save."""
    return Preferences.objects.filter(user=user).first()


def tracked_company_ids(*, user: User) -> set[int]:
    return set(
        Preferences.tracked_companies.through.objects.filter(preferences__user=user).values_list(
            "company_id", flat=True
        )
    )


@dataclass(frozen=True)
class CompanyOption:
    id: int
    name: str
    selected: bool


MAX_PICKER_MATCHES = 200


def company_picker_options(*, search: str, selected_ids: Iterable[int]) -> list[CompanyOption]:
    """Companies for the preferences checkboxes: every selected one first (so a
    search never hides, and a save never drops, a company already picked), then
    the active companies whose name matches `search`, by name."""
    selected = sorted(set(selected_ids))
    # PostgreSQL text cannot hold NUL, even in a query parameter.
    search = " ".join(search.replace("\x00", "").split())[:100]
    matches = Q(active=True)
    if search:
        matches &= Q(name__icontains=search) | Q(slug__icontains=search)
    rows = (
        Company.objects.filter(matches | Q(pk__in=selected))
        .annotate(
            is_selected=Case(
                When(pk__in=selected, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
        .order_by("-is_selected", Lower("name"), "pk")
        .values_list("pk", "name", "is_selected")
    )[: MAX_PICKER_MATCHES + len(selected)]
    return [CompanyOption(id=pk, name=name, selected=chosen) for pk, name, chosen in rows]


def signed_in_account(request: HttpRequest) -> User | None:
    """The request's account, or None for a visitor (on views open to both)."""
    user = request.user
    return user if isinstance(user, User) and user.is_authenticated else None


def request_account(request: HttpRequest) -> User:
    """The signed-in account of a request that login_required already guards."""
    user = request.user
    if not isinstance(user, User):
        raise TypeError("a signed-in user is required")
    return user
