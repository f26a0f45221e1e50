"""The built digest as data: what every channel renders, and what Digest.content stores.

Entries keep the titles, links and names as they were at build time, so the web
page, the email and the Telegram messages of one digest always agree, and an old
digest reads the same later. Labels and emoji of categories are looked up when
rendering, in the reader's language.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class DigestEntry:
    item_id: int
    title: str
    url: str  # the item's page in this app is built from item_id; this is the original
    summary: str
    source: str
    published_at: str  # ISO 8601, UTC
    priority: str  # low | medium | high
    score: float
    # Other items of the same story in the period (collapsed into this entry),
    # shown as "+N sources".
    extra_sources: int = 0

    @property
    def published(self) -> datetime:
        return datetime.fromisoformat(self.published_at)


@dataclass(frozen=True)
class CategoryGroup:
    category: str  # a news.categories.Category value, or "" for uncategorised
    entries: list[DigestEntry]


@dataclass(frozen=True)
class CompanyGroup:
    company_id: int | None
    company_name: str  # "" for items without a company
    company_slug: str
    categories: list[CategoryGroup]

    @property
    def entry_count(self) -> int:
        return sum(len(group.entries) for group in self.categories)


@dataclass(frozen=True)
class DigestContent:
    groups: list[CompanyGroup] = field(default_factory=list)
    # Items that matched in the period, before collapsing stories and the cap.
    matched: int = 0
    # Entries left out by the cap on entries per digest.
    omitted: int = 0

    @property
    def entry_count(self) -> int:
        return sum(group.entry_count for group in self.groups)

    @property
    def is_empty(self) -> bool:
        return not self.groups

    def entries(self) -> list[DigestEntry]:
        return [
            entry
            for group in self.groups
            for category in group.categories
            for entry in category.entries
        ]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> DigestContent:
        if not data:
            return cls()
        return cls(
            groups=[
                CompanyGroup(
                    company_id=group.get("company_id"),
                    company_name=group.get("company_name", ""),
                    company_slug=group.get("company_slug", ""),
                    categories=[
                        CategoryGroup(
                            category=category.get("category", ""),
                            entries=[DigestEntry(**entry) for entry in category.get("entries", [])],
                        )
                        for category in group.get("categories", [])
                    ],
                )
                for group in data.get("groups", [])
            ],
            matched=int(data.get("matched", 0)),
            omitted=int(data.get("omitted", 0)),
        )
