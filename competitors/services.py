"""Writes for companies and sources."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from competitors.models import Company, Source

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


# Paths under /companies/ that a company page must not shadow.
RESERVED_SLUGS = frozenset({"add"})


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
