"""Writes for companies and sources."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from competitors.models import Company, SavedComparison, Source

if TYPE_CHECKING:
    from accounts.models import User

CATALOGUE_PATH = Path(__file__).resolve().parent / "data" / "catalogue.json"

COMPANY_FIELDS = (
    "website",
    "description",
    "logo_url",
    "segment",
    "twitter_handle",
    "github_org",
    "linkedin_url",
    "instagram_handle",
    "founded_year",
    "pricing",
    "aliases",
)


@dataclass
class UpsertReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    sources_created: int = 0
    problems: list[str] = field(default_factory=list)


# Paths under /companies/ (and /api/v1/companies/) that a company page must not shadow.
RESERVED_SLUGS = frozenset({"add", "discover"})


def _unique_slug(name: str) -> str:
    base = slugify(name)[:100] or "company"
    slug, suffix = base, 2
    while slug in RESERVED_SLUGS or Company.objects.filter(slug=slug).exists():
        slug, suffix = f"{base}-{suffix}", suffix + 1
    return slug


def company_upsert(
    *, name: str, values: dict[str, Any], overwrite: bool = True
) -> tuple[Company, str]:
    """Create or update a company found by case-insensitive name.

    Returns the company and "created", "updated" or "unchanged". With
    overwrite=False only empty fields are filled, so operators' edits survive.
    Idempotent: a second call with the same values changes nothing.
    """
    name = name.strip()
    unknown = set(values) - set(COMPANY_FIELDS)
    if unknown:
        raise ValueError(f"unknown company fields: {sorted(unknown)}")
    company = Company.objects.select_for_update().filter(name__iexact=name).first()
    if company is None:
        company = Company(name=name, slug=_unique_slug(name), **values)
        company.full_clean()
        company.save()
        return company, "created"
    changed = []
    for key, value in values.items():
        current = getattr(company, key)
        if current == value or (not overwrite and current not in ("", None, [])):
            continue
        setattr(company, key, value)
        changed.append(key)
    if not changed:
        return company, "unchanged"
    company.full_clean()
    company.save(update_fields=[*changed, "updated_at"])
    return company, "updated"


def source_upsert(
    *,
    url: str,
    company: Company | None,
    kind: str,
    source_type: str,
    name: str = "",
    css_selector: str = "",
) -> tuple[Source, bool]:
    """Create a source for a URL, or return the existing one unchanged (URLs are unique)."""
    source, created = Source.objects.get_or_create(
        url=url,
        defaults={
            "company": company,
            "kind": kind,
            "source_type": source_type,
            "name": name,
            "css_selector": css_selector,
        },
    )
    if created:
        source.full_clean()
    return source, created


@transaction.atomic
def catalogue_load(*, path: Path = CATALOGUE_PATH) -> UpsertReport:
    """Load the built-in catalogue. Idempotent; operator edits to existing rows are kept."""
    data = json.loads(path.read_text(encoding="utf-8"))
    report = UpsertReport()
    for entry in data["companies"]:
        values = {key: entry[key] for key in COMPANY_FIELDS if key in entry}
        company, outcome = company_upsert(name=entry["name"], values=values, overwrite=False)
        setattr(report, outcome, getattr(report, outcome) + 1)
        for spec in entry.get("sources", []):
            _, created = source_upsert(
                url=spec["url"],
                company=company,
                kind=spec["kind"],
                source_type=spec["source_type"],
                name=spec.get("name", ""),
            )
            report.sources_created += int(created)
    return report


def source_pause(*, source: Source) -> None:
    Source.objects.filter(pk=source.pk).update(
        status=Source.Status.PAUSED, updated_at=timezone.now()
    )
    source.status = Source.Status.PAUSED


def source_reactivate(*, source: Source) -> None:
    """Back to active, due now, with the failure count reset."""
    now = timezone.now()
    Source.objects.filter(pk=source.pk).update(
        status=Source.Status.ACTIVE,
        consecutive_failures=0,
        next_fetch_at=now,
        updated_at=now,
    )
    source.status = Source.Status.ACTIVE
    source.consecutive_failures = 0
    source.next_fetch_at = now


# ---------------------------------------------------------------- sources by operators

# What an operator may set on a source; the fetch state is the fetcher's.
SOURCE_EDITABLE_FIELDS = ("company", "name", "url", "kind", "source_type", "css_selector")


def _source_save(source: Source, *, update_fields: list[str] | None = None) -> None:
    """Validate as the admin does (URL, unique URL, CSS selector), then save.

    Raises ValidationError; a concurrent insert of the same URL is reported the
    same way as one full_clean() caught.
    """
    source.full_clean()
    try:
        with transaction.atomic():
            source.save(update_fields=update_fields)
    except IntegrityError as error:
        raise ValidationError(
            {"url": [_("A source with this URL already exists.")]}, code="unique"
        ) from error


def source_create(
    *,
    url: str,
    company: Company | None,
    kind: str,
    source_type: str,
    name: str = "",
    css_selector: str = "",
) -> Source:
    """A new active source, due at once. Raises ValidationError."""
    source = Source(
        url=url,
        company=company,
        kind=kind,
        source_type=source_type,
        name=name,
        css_selector=css_selector,
        next_fetch_at=timezone.now(),
    )
    _source_save(source)
    return source


def source_update(*, source: Source, values: dict[str, Any]) -> Source:
    """Change the operator-editable fields in ``values``. Raises ValidationError
    (and leaves the row as it was)."""
    unknown = set(values) - set(SOURCE_EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"unknown source fields: {sorted(unknown)}")
    changed = [key for key, value in values.items() if getattr(source, key) != value]
    if "url" in changed:
        # Validators cached for the old address would make the new one look unchanged.
        source.etag = ""
        source.last_modified = ""
        changed += ["etag", "last_modified"]
    for key in changed:
        if key in values:
            setattr(source, key, values[key])
    if changed:
        _source_save(source, update_fields=[*changed, "updated_at"])
    return source


def source_fetch_now(*, source: Source) -> bool:
    """Queue a fetch of ``source`` once the transaction commits; False (and nothing
    queued) for a paused source, which must be resumed first, as in the admin."""
    if source.status == Source.Status.PAUSED:
        return False
    # Imported here: news.tasks pulls in the whole ingestion pipeline.
    from news.tasks import source_fetch

    source_fetch.delay_on_commit(source.pk)  # type: ignore[attr-defined]
    return True


# ---------------------------------------------------------------- saved comparisons


def _saved_comparison_errors(
    *,
    user: User,
    name: str,
    companies: Sequence[Company],
    days: int | None,
    date_from: date | None,
    date_to: date | None,
    exclude_pk: int | None = None,
) -> dict[str, list[StrOrPromise]]:
    from competitors.activity import MAX_COMPARE, MIN_COMPARE, period_errors

    errors: dict[str, list[StrOrPromise]] = {}
    same_name = SavedComparison.objects.filter(user=user, name=name)
    if exclude_pk is not None:
        same_name = same_name.exclude(pk=exclude_pk)
    if not name:
        errors["name"] = [_("Give the comparison a name.")]
    elif len(name) > SavedComparison.NAME_MAX_LENGTH:
        errors["name"] = [
            _("Use at most %(max)d characters.") % {"max": SavedComparison.NAME_MAX_LENGTH}
        ]
    elif same_name.exists():
        errors["name"] = [_("You already have a comparison with this name.")]
    if len({company.pk for company in companies}) != len(companies):
        errors["companies"] = [_("Choose each company only once.")]
    elif not MIN_COMPARE <= len(companies) <= MAX_COMPARE:
        errors["companies"] = [
            _("Choose from %(min)d to %(max)d companies.")
            % {"min": MIN_COMPARE, "max": MAX_COMPARE}
        ]
    errors.update(period_errors(days=days, date_from=date_from, date_to=date_to))
    return errors


def _saved_comparison_save(
    comparison: SavedComparison, *, companies: Sequence[Company] | None
) -> None:
    # The name check above can lose a race with a concurrent save of the same name:
    # the unique constraint decides, reported like the check.
    try:
        with transaction.atomic():
            comparison.save()
            if companies is not None:
                comparison.companies.set(companies)
    except IntegrityError as error:
        raise ValidationError(
            {"name": [_("You already have a comparison with this name.")]}, code="unique"
        ) from error


def saved_comparison_create(
    *,
    user: User,
    name: str,
    companies: Sequence[Company],
    days: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> SavedComparison:
    """Save 2..5 distinct companies under a name unique for ``user``, with either a
    rolling period (``days``) or a fixed range. Raises ValidationError with field
    errors (name, companies, days, date_from, date_to)."""
    name = name.strip()
    errors = _saved_comparison_errors(
        user=user,
        name=name,
        companies=companies,
        days=days,
        date_from=date_from,
        date_to=date_to,
    )
    if errors:
        raise ValidationError(errors)
    comparison = SavedComparison(
        user=user, name=name, days=days, date_from=date_from, date_to=date_to
    )
    _saved_comparison_save(comparison, companies=companies)
    return comparison


def saved_comparison_update(
    *,
    comparison: SavedComparison,
    name: str | None = None,
    companies: Sequence[Company] | None = None,
    days: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> SavedComparison:
    """Change what is given; None keeps a field as it is.

    ``days`` makes the period rolling (the dates are cleared); a date makes it a
    fixed range (``days`` is cleared, and a date not given is kept from the current
    range). Raises ValidationError with field errors, leaving the row unchanged.
    """
    new_name = comparison.name if name is None else name.strip()
    new_companies = list(comparison.companies.all()) if companies is None else list(companies)
    period: tuple[int | None, date | None, date | None]
    if days is not None:
        period = (days, date_from, date_to)
    elif date_from is not None or date_to is not None:
        period = (None, date_from or comparison.date_from, date_to or comparison.date_to)
    else:
        period = (comparison.days, comparison.date_from, comparison.date_to)
    errors = _saved_comparison_errors(
        user=comparison.user,
        name=new_name,
        companies=new_companies,
        days=period[0],
        date_from=period[1],
        date_to=period[2],
        exclude_pk=comparison.pk,
    )
    if errors:
        raise ValidationError(errors)
    old = (comparison.name, comparison.days, comparison.date_from, comparison.date_to)
    comparison.name, comparison.days, comparison.date_from, comparison.date_to = (
        new_name,
        *period,
    )
    try:
        _saved_comparison_save(comparison, companies=companies)
    except ValidationError:
        comparison.name, comparison.days, comparison.date_from, comparison.date_to = old
        raise
    return comparison


def saved_comparison_delete(*, user: User, comparison_id: int) -> bool:
    """Delete one of ``user``'s comparisons; False (and nothing deleted) when
    ``user`` has none with that id."""
    deleted, _counts = SavedComparison.objects.filter(pk=comparison_id, user=user).delete()
    return deleted > 0
