"""The 15 news categories, with their labels, emoji and one-line descriptions.

An item with no category (``None`` or ``""``) is shown as "Other": the
classifier leaves an item uncategorised rather than guess.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise


class Category(models.TextChoices):
    # The order is the display order and the classifier's tie-break order.
    PRODUCT_UPDATE = "product_update", _("Product update")
    PRICING_CHANGE = "pricing_change", _("Pricing change")
    STRATEGIC_ANNOUNCEMENT = "strategic_announcement", _("Strategic announcement")
    TECHNICAL_UPDATE = "technical_update", _("Technical update")
    FUNDING_NEWS = "funding_news", _("Funding news")
    RESEARCH_PAPER = "research_paper", _("Research paper")
    COMMUNITY_EVENT = "community_event", _("Community event")
    PARTNERSHIP = "partnership", _("Partnership")
    ACQUISITION = "acquisition", _("Acquisition")
    INTEGRATION = "integration", _("Integration")
    SECURITY_UPDATE = "security_update", _("Security update")
    API_UPDATE = "api_update", _("API update")
    MODEL_RELEASE = "model_release", _("Model release")
    PERFORMANCE_IMPROVEMENT = "performance_improvement", _("Performance improvement")
    FEATURE_DEPRECATION = "feature_deprecation", _("Feature deprecation")


@dataclass(frozen=True)
class CategoryInfo:
    emoji: str
    description: StrOrPromise


CATEGORY_INFO: dict[str, CategoryInfo] = {
    Category.PRODUCT_UPDATE: CategoryInfo(
        "🚀", _("New products, apps and features for end users.")
    ),
    Category.PRICING_CHANGE: CategoryInfo(
        "💰", _("Changes to prices, plans, tiers and free offers.")
    ),
    Category.STRATEGIC_ANNOUNCEMENT: CategoryInfo(
        "📢", _("Leadership, structure, strategy, expansion and policy commitments.")
    ),
    Category.TECHNICAL_UPDATE: CategoryInfo(
        "⚙️", _("Releases of libraries and tools, infrastructure and engineering changes.")
    ),
    Category.FUNDING_NEWS: CategoryInfo(
        "💵", _("Funding rounds, investments, valuations and public offerings.")
    ),
    Category.RESEARCH_PAPER: CategoryInfo(
        "📄", _("Published research: papers, studies, technical reports and findings.")
    ),
    Category.COMMUNITY_EVENT: CategoryInfo(
        "🎉", _("Conferences, hackathons, meetups, webinars and community programmes.")
    ),
    Category.PARTNERSHIP: CategoryInfo(
        "🤝", _("Partnerships, alliances and collaborations between organisations.")
    ),
    Category.ACQUISITION: CategoryInfo("🏢", _("Acquisitions, mergers and acqui-hires.")),
    Category.INTEGRATION: CategoryInfo(
        "🔗", _("Availability inside other platforms, clouds, apps and tools.")
    ),
    Category.SECURITY_UPDATE: CategoryInfo(
        "🔒", _("Vulnerabilities, incidents, patches and security features.")
    ),
    Category.API_UPDATE: CategoryInfo(
        "🔌", _("Changes to developer APIs: endpoints, parameters, limits and SDK surfaces.")
    ),
    Category.MODEL_RELEASE: CategoryInfo(
        "🤖", _("New AI models and model versions, open or proprietary.")
    ),
    Category.PERFORMANCE_IMPROVEMENT: CategoryInfo(
        "⚡", _("Faster, cheaper to run or more accurate versions of existing offerings.")
    ),
    Category.FEATURE_DEPRECATION: CategoryInfo(
        "⚠️", _("Features, models or endpoints being deprecated, retired or shut down.")
    ),
}

OTHER_LABEL = _("Other")
OTHER_EMOJI = "📰"
# Stands for uncategorised (or unknown) items in URLs, filters and chart keys.
OTHER_SLUG = "other"
OTHER_DESCRIPTION = _("News that fits none of the categories.")


# Category.values builds a new list on every access; charts map thousands of rows.
_VALUES = frozenset(Category.values)


def category_slug(value: str | None) -> str:
    """A category value as URLs and charts name it: itself, or "other"."""
    return value if value and value in _VALUES else OTHER_SLUG


def category_info(value: str | None) -> CategoryInfo | None:
    """The info of a category value, or None when uncategorised or unknown."""
    if not value:
        return None
    return CATEGORY_INFO.get(value)


def category_label(value: str | None) -> StrOrPromise:
    """The translatable label of a category value; "Other" when uncategorised or unknown."""
    if value and value in Category.values:
        return Category(value).label
    return OTHER_LABEL


def category_emoji(value: str | None) -> str:
    info = category_info(value)
    return info.emoji if info else OTHER_EMOJI


def category_description(value: str | None) -> StrOrPromise:
    info = category_info(value)
    return info.description if info else OTHER_DESCRIPTION
