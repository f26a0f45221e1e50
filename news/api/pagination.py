"""Cursor pagination of news lists: a keyset on (published_at, id), newest first.

DRF's CursorPagination keys on the first ordering field only and walks ties on it
with an offset capped at 1,000 rows. Here the key is the whole ordering, which is
unique, so a page is one range scan of the newsitem_recent_idx index (-published_at,
-id) however deep it is, and items arriving meanwhile never shift a page.

The cursor keeps DRF's envelope ({"next", "previous", "results"} with opaque links);
its position is the news pages' own keyset token (news.listing.cursor_encode).
"""

from __future__ import annotations

from base64 import b64encode
from datetime import datetime
from typing import Any, Protocol, cast
from urllib.parse import urlencode

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request
from rest_framework.views import APIView

from news.api.serializers import LIST_COLUMNS
from news.listing import KeysetCursor, cursor_decode, cursor_encode
from news.models import NewsItem

PAGE_SIZE = 50


class KeyedRow(Protocol):
    """What the keyset needs of a page's row."""

    @property
    def pk(self) -> int: ...
    @property
    def published_at(self) -> datetime: ...


MAX_PAGE_SIZE = 200


class NewsCursorPagination(CursorPagination):
    ordering = ("-published_at", "-id")
    page_size = PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    # Lazy, to be translated into each request's language; the stubs expect a str.
    invalid_cursor_message = _(  # type: ignore[assignment]
        "Invalid cursor: use the next or previous link of a page."
    )

    def paginate_queryset(  # type: ignore[override]
        self, queryset: QuerySet[NewsItem], request: Request, view: APIView | None = None
    ) -> list[KeyedRow]:
        """The page of `queryset`, as named rows of LIST_COLUMNS."""
        self.request = request
        self.page_size = self.get_page_size(request)
        self.base_url = request.build_absolute_uri()
        self.cursor = self.decode_cursor(request)
        key = self._key
        backwards = self.cursor is not None and self.cursor.reverse
        items = queryset
        # In both directions the redundant bound on published_at is what lets PostgreSQL
        # start the index scan at the cursor instead of filtering every row before it.
        if key is not None and backwards:
            items = items.filter(published_at__gte=key.at).filter(
                Q(published_at__gt=key.at) | Q(published_at=key.at, id__gt=key.id)
            )
        elif key is not None:
            items = items.filter(published_at__lte=key.at).filter(
                Q(published_at__lt=key.at) | Q(published_at=key.at, id__lt=key.id)
            )
        order = ("published_at", "id") if backwards else self.ordering
        # The page's ids first, then its rows: the ids come from an index alone (newest
        # first, or a company's newest first), where selecting the row columns in the
        # same scan made PostgreSQL fetch every table row it skipped, or sort all of a
        # company's matching rows for the first 51.
        page_ids = items.order_by(*order).values("pk")[: self.page_size + 1]
        rows = list(
            NewsItem.objects.filter(pk__in=page_ids)
            .order_by(*order)
            .values_list(*LIST_COLUMNS, named=True)
        )
        more = len(rows) > self.page_size
        self.page = rows[: self.page_size]
        if backwards:
            self.page.reverse()
            self.has_next, self.has_previous = True, more
        else:
            self.has_next, self.has_previous = more, key is not None
        return self.page

    def get_page_size(self, request: Request) -> int:
        """page_size from the query, else the default; anything but 1 to the maximum is a 400
        (DRF would quietly fall back to the default, or cap it)."""
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return PAGE_SIZE
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if not 1 <= size <= MAX_PAGE_SIZE:
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        _("Enter a whole number from 1 to %(maximum)d.")
                        % {"maximum": MAX_PAGE_SIZE}
                    ]
                }
            )
        return size

    def decode_cursor(self, request: Request) -> Cursor | None:
        """The cursor of the request; None for the first page. A cursor that does not
        decode to a keyset position is a 400 on the "cursor" field."""
        self._key: KeysetCursor | None = None
        if not request.query_params.get(self.cursor_query_param):
            return None
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            cursor = None
        key = cursor_decode(cast(str | None, cursor.position)) if cursor is not None else None
        if cursor is None or cursor.offset or not isinstance(key, KeysetCursor):
            raise ValidationError({self.cursor_query_param: [self.invalid_cursor_message]})
        self._key = key
        return cursor

    def get_next_link(self) -> str | None:
        if not self.has_next:
            return None
        return self._link(self.page[-1] if self.page else None, reverse=False)

    def get_previous_link(self) -> str | None:
        if not self.has_previous:
            return None
        return self._link(self.page[0] if self.page else None, reverse=True)

    def _link(self, item: KeyedRow | None, *, reverse: bool) -> str:
        # An empty page (everything past the cursor went away) links from the cursor itself.
        key = KeysetCursor(at=item.published_at, id=item.pk) if item is not None else self._key
        position = cursor_encode(key) if key is not None else None
        # The stubs type the position as an int; DRF encodes any string.
        cursor = Cursor(offset=0, reverse=reverse, position=position)  # type: ignore[arg-type]
        link: str = self.encode_cursor(cursor)
        return link

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size,
                    "default": self.page_size,
                }
        return parameters


def news_cursor_value(*, item: NewsItem, reverse: bool = False) -> str:
    """The `cursor` query value of the page after (or, reversed, before) `item`."""
    tokens = {"p": cursor_encode(KeysetCursor(at=item.published_at, id=item.pk))}
    if reverse:
        tokens["r"] = "1"
    return b64encode(urlencode(tokens).encode("ascii")).decode("ascii")
