"""Writes for the personal feed's secret URL and the OPML import."""

from __future__ import annotations

import datetime
import hashlib
import secrets
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from competitors.models import Company, Source
from competitors.services import company_upsert, source_upsert
from feeds.models import FeedToken
from feeds.opml import OpmlSource, opml_parse
from news.canonical_urls import canonical_url

KEY_PREFIX = "aif_"
# The shown prefix: the marker and four characters of the random part.
SHOWN_PREFIX_LENGTH = len(KEY_PREFIX) + 4
# Feed readers poll every few minutes; the last-used time is written at most this often.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)
MAX_SECRET_LENGTH = 100
MAX_URL_LENGTH = 1000  # Source.url
MAX_NAME_LENGTH = 200  # Source.name


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedFeedToken:
    token: FeedToken
    secret: str  # shown once to its owner, never stored


# ---------------------------------------------------------------- feed URL


@transaction.atomic
def feed_token_issue(*, user: User) -> IssuedFeedToken:
    """A new secret feed URL for `user`, replacing (and so revoking) the old one.

    Locks the user row, so two concurrent requests leave exactly one token.
    """
    User.objects.select_for_update().filter(pk=user.pk).first()
    FeedToken.objects.filter(user=user).delete()
    # 32 random bytes: 256 bits.
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    token = FeedToken.objects.create(
        user=user, key_hash=hash_secret(secret), prefix=secret[:SHOWN_PREFIX_LENGTH]
    )
    return IssuedFeedToken(token=token, secret=secret)


def feed_token_revoke(*, user: User) -> bool:
    """Delete the user's feed URL; False when there was none."""
    deleted, _ = FeedToken.objects.filter(user=user).delete()
    return deleted > 0


def feed_token_use(*, secret: str, now: datetime.datetime | None = None) -> FeedToken | None:
    """The live token for `secret` with its active user, or None; records its use."""
    if not secret.startswith(KEY_PREFIX) or len(secret) > MAX_SECRET_LENGTH:
        return None
    token = (
        FeedToken.objects.select_related("user")
        .filter(key_hash=hash_secret(secret), user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = now or timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        FeedToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


# ---------------------------------------------------------------- OPML import


@dataclass(frozen=True)
class ImportProblem:
    url: str
    reason: str


@dataclass
class OpmlImportReport:
    created: int = 0
    skipped: int = 0
    companies_created: int = 0
    errors: list[ImportProblem] = field(default_factory=list)


def _source_url(raw: str) -> str:
    """The canonical form of a source address, as `add_source` stores it. Raises ValueError."""
    url = canonical_url(raw)
    if len(url) > MAX_URL_LENGTH:
        raise ValueError(f"The address is longer than {MAX_URL_LENGTH} characters.")
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError as error:
        raise ValueError("Not a valid http(s) address.") from error
    return url


def _website(raw: str) -> str:
    # An odd optional website is no reason to refuse the company (as in discovery).
    try:
        URLValidator(schemes=["http", "https"])(raw)
    except ValidationError:
        return ""
    return raw if len(raw) <= 500 else ""


def _validation_reason(error: ValidationError) -> str:
    return "; ".join(error.messages)


def opml_import(*, data: bytes) -> OpmlImportReport:
    """Create the companies and sources an OPML upload lists that do not exist yet.

    Raises feeds.opml.OpmlError when the upload is not a usable OPML document.
    Idempotent: a source whose address (as given, or canonical) is already known
    is skipped, and companies are matched by case-insensitive name, so importing
    the same document twice creates nothing the second time. Each source is
    created in its own savepoint: one bad outline is reported, the rest go in.
    """
    document = opml_parse(data=data)
    report = OpmlImportReport(
        errors=[
            ImportProblem(url=problem.url, reason=problem.reason) for problem in document.problems
        ]
    )
    companies: dict[str, Company | ImportProblem] = {}
    for entry in document.sources:
        try:
            url = _source_url(entry.url)
        except ValueError as error:
            report.errors.append(ImportProblem(url=entry.url, reason=str(error)))
            continue
        if Source.objects.filter(url__in={entry.url, url}).exists():
            report.skipped += 1
            continue
        kind, source_type = _kind_and_type(entry)
        if not kind:
            report.errors.append(
                ImportProblem(url=entry.url, reason=f"Unknown source kind {entry.kind!r}.")
            )
            continue
        company: Company | None = None
        if entry.company:
            found = companies.get(entry.company)
            if found is None:
                found = companies[entry.company] = _company(entry, report)
            if isinstance(found, ImportProblem):
                report.errors.append(ImportProblem(url=entry.url, reason=found.reason))
                continue
            company = found
        try:
            with transaction.atomic():
                _, created = source_upsert(
                    url=url,
                    company=company,
                    kind=kind,
                    source_type=source_type,
                    # Exports title an unnamed source with its address; it shows the same.
                    name="" if entry.title == entry.url else entry.title[:MAX_NAME_LENGTH],
                    css_selector=entry.css_selector if kind == Source.Kind.HTML else "",
                )
        except ValidationError as error:
            report.errors.append(ImportProblem(url=entry.url, reason=_validation_reason(error)))
            continue
        if created:
            report.created += 1
        else:  # created meanwhile by someone else
            report.skipped += 1
    return report


def _kind_and_type(entry: OpmlSource) -> tuple[str, str]:
    """The source's kind ("" when unknown) and its type, defaulted from the kind."""
    if entry.kind not in Source.Kind.values:
        return "", ""
    if entry.source_type in Source.SourceType.values:
        return entry.kind, entry.source_type
    if entry.kind == Source.Kind.GITHUB_RELEASES:
        return entry.kind, Source.SourceType.GITHUB
    return entry.kind, Source.SourceType.BLOG


def _company(entry: OpmlSource, report: OpmlImportReport) -> Company | ImportProblem:
    """The company a folder names, created when missing; an error when it cannot be."""
    values = {"website": website} if (website := _website(entry.company_website)) else {}
    try:
        with transaction.atomic():
            company, outcome = company_upsert(name=entry.company, values=values, overwrite=False)
    except ValidationError as error:
        return ImportProblem(
            url=entry.url,
            reason=f"Company {entry.company!r} cannot be created: {_validation_reason(error)}",
        )
    except IntegrityError:  # the same name, created meanwhile by someone else
        return ImportProblem(
            url=entry.url, reason=f"Company {entry.company!r} was created meanwhile; import again."
        )
    if outcome == "created":
        report.companies_created += 1
    return company
