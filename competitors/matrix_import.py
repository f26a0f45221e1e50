"""Import of a competitor matrix (CSV) into companies.

Columns: No., Name, Website, Year founded, Type, Pricing, Notes, LinkedIn,
Twitter/X, Instagram. Type becomes the segment and Notes the description.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from competitors.models import Company
from competitors.services import company_upsert

REQUIRED_COLUMNS = ("Name", "Website")
KNOWN_COLUMNS = (
    "No.",
    "Name",
    "Website",
    "Year founded",
    "Type",
    "Pricing",
    "Notes",
    "LinkedIn",
    "Twitter/X",
    "Instagram",
)
# Free-text "Type" values seen in matrices, mapped onto segments.
SEGMENT_SYNONYMS = {
    "llm": Company.Segment.LLM_PROVIDER,
    "llm provider": Company.Segment.LLM_PROVIDER,
    "foundation model": Company.Segment.LLM_PROVIDER,
    "foundation models": Company.Segment.LLM_PROVIDER,
    "model provider": Company.Segment.LLM_PROVIDER,
    "platform": Company.Segment.PLATFORM,
    "generative ai": Company.Segment.GENERATIVE_AI,
    "genai": Company.Segment.GENERATIVE_AI,
    "infrastructure": Company.Segment.INFRASTRUCTURE,
    "infra": Company.Segment.INFRASTRUCTURE,
    "cloud": Company.Segment.INFRASTRUCTURE,
    "framework": Company.Segment.FRAMEWORK,
    "mlops": Company.Segment.MLOPS,
    "ml ops": Company.Segment.MLOPS,
    "search": Company.Segment.SEARCH_ENGINE,
    "search engine": Company.Segment.SEARCH_ENGINE,
    "data platform": Company.Segment.DATA_PLATFORM,
    "research lab": Company.Segment.RESEARCH_LAB,
    "research": Company.Segment.RESEARCH_LAB,
}
_HANDLE = re.compile(r"^[A-Za-z0-9_.]{1,64}$")


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list[str] = field(default_factory=list)


class MatrixFormatError(ValueError):
    pass


def _segment(value: str) -> str:
    key = re.sub(r"[\s_\-/]+", " ", value.strip().lower())
    if key.replace(" ", "_") in Company.Segment.values:
        return key.replace(" ", "_")
    return SEGMENT_SYNONYMS.get(key, Company.Segment.OTHER)


def _handle(value: str, *, host: str) -> str:
    """Accepts '@name', 'name' or a profile URL; returns the bare handle or ''."""
    value = value.strip()
    if not value:
        return ""
    if "://" in value or value.startswith(host):
        parts = [
            part
            for part in urlsplit(value if "://" in value else f"https://{value}").path.split("/")
            if part
        ]
        value = parts[0] if parts else ""
    value = value.removeprefix("@")
    if not _HANDLE.match(value):
        raise ValueError(f"not a valid handle: {value!r}")
    return value


def _url(value: str) -> str:
    value = value.strip()
    if not value:
        return ""
    if "://" not in value:
        value = f"https://{value}"
    URLValidator(schemes=["http", "https"])(value)
    return value


def _row_values(row: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {
        "website": _url(row.get("Website", "")),
        "segment": _segment(row.get("Type", "")),
        "description": row.get("Notes", "").strip(),
        "pricing": row.get("Pricing", "").strip()[:255],
        "linkedin_url": _url(row.get("LinkedIn", "")),
        "twitter_handle": _handle(row.get("Twitter/X", ""), host="x.com"),
        "instagram_handle": _handle(row.get("Instagram", ""), host="instagram.com"),
    }
    year = row.get("Year founded", "").strip()
    if year:
        if not year.isdigit() or not 1800 <= int(year) <= timezone.now().year:
            raise ValueError(f"year founded is not a plausible year: {year!r}")
        values["founded_year"] = int(year)
    return {key: value for key, value in values.items() if value not in ("", None)}


def matrix_import(*, text: str) -> ImportReport:
    """Upsert one company per usable row; every unusable row is reported with its reason.

    Idempotent: companies are matched by case-insensitive name, so a second
    import of the same file changes nothing.
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    columns = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise MatrixFormatError(f"missing columns: {', '.join(missing)}")
    report = ImportReport()
    for line_number, raw in enumerate(reader, start=2):
        row = {(key or "").strip(): (value or "").strip() for key, value in raw.items() if key}
        label = f"line {line_number}"
        name = row.get("Name", "")
        if not name:
            report.skipped.append(f"{label}: no name")
            continue
        try:
            values = _row_values(row)
        except (ValueError, ValidationError) as error:
            message = (
                "; ".join(error.messages) if isinstance(error, ValidationError) else str(error)
            )
            report.skipped.append(f"{label} ({name}): {message}")
            continue
        try:
            with transaction.atomic():
                _, outcome = company_upsert(name=name, values=values)
        except ValidationError as error:
            report.skipped.append(f"{label} ({name}): {'; '.join(error.messages)}")
            continue
        setattr(report, outcome, getattr(report, outcome) + 1)
    return report
