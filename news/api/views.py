"""News API: the list, an item, statistics, categories, and the requesting user's
read and favourite flags.

News items are shared by every user; what belongs to a user is their read and
favourite state, which every view reads and writes for request.user only.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from accounts.models import User
from config.api.permissions import api_account
from config.api.schema import THROTTLED, UNAUTHENTICATED, error
from news import categories
from news.api.filters import NewsFilterSerializer, NewsQuery, news_items_for_query
from news.api.pagination import NewsCursorPagination
from news.api.serializers import (
    CATEGORY_VALUES,
    CategorySerializer,
    FavouritesPageSerializer,
    FavouritesQuerySerializer,
    ItemStateSerializer,
    NewsItemDetailSerializer,
    NewsItemSerializer,
    NewsStatsSerializer,
    news_row_representation,
)
from news.item_states import (
    ItemStateFlags,
    item_state_set_favourite,
    item_state_set_read,
)
from news.listing import (
    KeysetCursor,
    NewsFilters,
    cursor_decode,
    favourites_page,
    news_item_detail,
)
from news.models import NewsItem
from news.selectors import news_items_stats, page_extras

INVALID = error(_("Invalid query parameters; `fields` names them."))
NOT_FOUND = error(_("No such news item."))


def _filters(request: Request) -> NewsFilterSerializer:
    serializer = NewsFilterSerializer(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return serializer


# The query parameters the filter serializer reads.
FILTER_PARAMETERS = frozenset(NewsFilterSerializer().fields)


def news_query(request: Request) -> NewsQuery:
    """The request's filters; without any, the unfiltered query, without building the
    serializer (a third of a millisecond, on the list's most frequent request)."""
    if FILTER_PARAMETERS.isdisjoint(request.query_params):
        return NewsQuery(filters=NewsFilters())
    return _filters(request).news_query()


def _list_data(*, rows: list[Any], user: User) -> list[dict[str, Any]]:
    """The page's rows as the API shows them, with the user's flags and story coverage
    (one query on PostgreSQL)."""
    extras = page_extras(
        user=user,
        item_ids=[row.pk for row in rows],
        story_ids=list({row.story_id for row in rows if row.story_id}),
    )
    no_flags = ItemStateFlags()
    return [
        news_row_representation(
            row,
            flags=extras.flags.get(row.pk, no_flags),
            coverage=extras.coverage.get(row.story_id, 1) if row.story_id else 1,
        )
        for row in rows
    ]


class NewsListView(generics.ListAPIView):  # type: ignore[type-arg]
    serializer_class = NewsItemSerializer
    pagination_class: type[BasePagination] | None = NewsCursorPagination

    @extend_schema(
        operation_id="news_list",
        summary=_("News items, newest first"),
        parameters=[NewsFilterSerializer],
        responses={
            200: NewsItemSerializer(many=True),
            400: INVALID,
            401: UNAUTHENTICATED,
            429: THROTTLED,
        },
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = api_account(request)
        items = news_items_for_query(query=news_query(request), user=user)
        page = self.paginate_queryset(items)
        return self.get_paginated_response(_list_data(rows=list(page or ()), user=user))


class NewsDetailView(APIView):
    @extend_schema(
        operation_id="news_retrieve",
        summary=_("One news item with its keywords, mentions and story"),
        responses={
            200: NewsItemDetailSerializer,
            401: UNAUTHENTICATED,
            404: NOT_FOUND,
            429: THROTTLED,
        },
    )
    def get(self, request: Request, pk: int) -> Response:
        detail = news_item_detail(item_id=pk, user=api_account(request))
        if detail is None:
            raise NotFound
        return Response(NewsItemDetailSerializer(detail).data)


class NewsStatsView(APIView):
    @extend_schema(
        operation_id="news_stats",
        summary=_("Counts of news items in total and per category, source type and company"),
        parameters=[NewsFilterSerializer],
        responses={
            200: NewsStatsSerializer,
            400: INVALID,
            401: UNAUTHENTICATED,
            429: THROTTLED,
        },
    )
    def get(self, request: Request) -> Response:
        user = api_account(request)
        stats = news_items_stats(items=news_items_for_query(query=news_query(request), user=user))
        data = {
            "total": stats.total,
            "by_category": [
                {"category": value if value in CATEGORY_VALUES else None, "count": n}
                for value, n in stats.by_category
            ],
            "by_source_type": [
                {"source_type": value, "count": n} for value, n in stats.by_source_type
            ],
            "by_company": [
                {"slug": row.slug, "name": row.name, "count": row.count} for row in stats.by_company
            ],
        }
        return Response(NewsStatsSerializer(data).data)


class CategoryListView(APIView):
    @extend_schema(
        operation_id="categories_list",
        summary=_("The 15 news categories"),
        responses={200: CategorySerializer(many=True), 401: UNAUTHENTICATED, 429: THROTTLED},
    )
    def get(self, request: Request) -> Response:
        languages = [code for code, _name in settings.LANGUAGES]

        def translated(text: Any) -> dict[str, str]:
            translations = {}
            for code in languages:
                with translation.override(code):
                    translations[code] = str(text)
            return translations

        rows = [
            {
                "value": value,
                "label": str(label),
                "labels": translated(label),
                "description": str(categories.category_description(value)),
                "descriptions": translated(categories.category_description(value)),
                "emoji": categories.category_emoji(value),
            }
            for value, label in categories.Category.choices
        ]
        return Response(CategorySerializer(rows, many=True).data)


# ---------------------------------------------------------------- read and favourite


FLAG_SUMMARIES = {
    ("read", "set"): _("Mark the item read"),
    ("read", "clear"): _("Mark the item unread"),
    ("favourite", "set"): _("Add the item to the favourites"),
    ("favourite", "clear"): _("Remove the item from the favourites"),
}


def _flag_schema(flag: str, action: str) -> Any:
    return extend_schema(
        operation_id=f"news_{flag}_{action}",
        summary=FLAG_SUMMARIES[flag, action],
        request=None,
        responses={
            200: ItemStateSerializer,
            401: UNAUTHENTICATED,
            404: NOT_FOUND,
            429: THROTTLED,
        },
    )


class _ItemFlagView(APIView):
    """PUT sets the flag, DELETE clears it; both are idempotent and answer with the
    user's state of the item."""

    flag: str

    def _set(self, request: Request, pk: int, *, on: bool) -> Response:
        user = api_account(request)
        item = get_object_or_404(NewsItem.objects.only("id"), pk=pk)
        if self.flag == "read":
            flags = item_state_set_read(user=user, item_id=item.pk, read=on)
        else:
            flags = item_state_set_favourite(user=user, item_id=item.pk, favourite=on)
        return Response(ItemStateSerializer(flags).data)


class NewsReadView(_ItemFlagView):
    flag = "read"

    @_flag_schema("read", "set")
    def put(self, request: Request, pk: int) -> Response:
        return self._set(request, pk, on=True)

    @_flag_schema("read", "clear")
    def delete(self, request: Request, pk: int) -> Response:
        return self._set(request, pk, on=False)


class NewsFavouriteView(_ItemFlagView):
    flag = "favourite"

    @_flag_schema("favourite", "set")
    def put(self, request: Request, pk: int) -> Response:
        return self._set(request, pk, on=True)

    @_flag_schema("favourite", "clear")
    def delete(self, request: Request, pk: int) -> Response:
        return self._set(request, pk, on=False)


class FavouritesView(APIView):
    @extend_schema(
        operation_id="news_favourites_list",
        summary=_("The requesting user's favourites, most recently added first"),
        parameters=[FavouritesQuerySerializer],
        responses={
            200: FavouritesPageSerializer,
            400: INVALID,
            401: UNAUTHENTICATED,
            429: THROTTLED,
        },
    )
    def get(self, request: Request) -> Response:
        query = FavouritesQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        raw_cursor: str = query.validated_data.get("cursor") or ""
        cursor = cursor_decode(raw_cursor)
        if raw_cursor and not isinstance(cursor, KeysetCursor):
            raise ValidationError({"cursor": [NewsCursorPagination.invalid_cursor_message]})
        page = favourites_page(
            user=api_account(request), cursor=cursor, page_size=query.validated_data["page_size"]
        )
        next_url = (
            replace_query_param(request.build_absolute_uri(), "cursor", page.next_cursor)
            if page.next_cursor
            else None
        )
        return Response(FavouritesPageSerializer({"next": next_url, "results": page.cards}).data)
