"""News list, item detail, read/favourite toggles, favourites and category pages.

Anyone may browse; read and favourite state exists only for a signed-in user and
is always keyed to request.user. Reading is never marked implicitly (opening an
item does not mark it read), so "Mark as read" means what it says.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from accounts.selectors import signed_in_account
from config.htmx import HtmxHttpRequest, login_redirect, render_htmx, safe_next_url, wants_fragment
from news import categories
from news.forms import NewsFilterForm, StateToggleForm
from news.item_states import ItemStateFlags, item_state_set_favourite, item_state_set_read
from news.listing import (
    OTHER_CATEGORY,
    CardPage,
    category_items,
    category_top_companies,
    cursor_decode,
    favourites_page,
    news_item_detail,
    news_page,
)
from news.models import NewsItem


def _render_listing(
    request: HtmxHttpRequest, template_name: str, context: dict[str, Any]
) -> HttpResponse:
    """The whole page; for htmx, the results, or only the next page for "load more"."""
    if wants_fragment(request):
        if "cursor" in request.GET:
            template_name = "news/partials/_results.html#page"
        else:
            template_name = f"{template_name}#results"
    return render_htmx(request, template_name, context)


def _more_url(pairs: Sequence[tuple[str, str]], page: CardPage) -> str:
    if page.next_cursor is None:
        return ""
    return "?" + urlencode([*pairs, ("cursor", page.next_cursor)])


def _filter_form(
    request: HttpRequest, *, user: User | None, fixed: tuple[str, ...] = ()
) -> NewsFilterForm:
    # An anonymous visitor has no companies and no read state to filter on.
    personal = () if user else ("tracked", "hide_read")
    return NewsFilterForm(request.GET, exclude=(*fixed, *personal))


def _listing_context(
    request: HttpRequest, *, form: NewsFilterForm, page: CardPage
) -> dict[str, Any]:
    return {
        "form": form,
        "page": page,
        "chips": form.chips(),
        "more_url": _more_url(form.query_pairs(), page),
        "is_later_page": "cursor" in request.GET,
        "first_page_url": "?" + urlencode(form.query_pairs()),
    }


@require_GET
def news_list(request: HtmxHttpRequest) -> HttpResponse:
    user = signed_in_account(request)
    form = _filter_form(request, user=user)
    page = news_page(
        filters=form.filters(),
        user=user,
        tz=timezone.get_current_timezone(),
        cursor=cursor_decode(request.GET.get("cursor")),
    )
    context = _listing_context(request, form=form, page=page)
    context["empty_message"] = _("No news matches these filters.")
    return _render_listing(request, "news/list.html", context)


@require_GET
def category_detail(request: HtmxHttpRequest, value: str) -> HttpResponse:
    if value != OTHER_CATEGORY and value not in categories.Category.values:
        raise Http404
    user = signed_in_account(request)
    form = _filter_form(request, user=user, fixed=("category",))
    page = news_page(
        filters=form.filters(),
        user=user,
        tz=timezone.get_current_timezone(),
        cursor=cursor_decode(request.GET.get("cursor")),
        queryset=category_items(category=value),
    )
    context = _listing_context(request, form=form, page=page)
    stored_value = "" if value == OTHER_CATEGORY else value
    context.update(
        {
            "category_value": value,
            "category_label": categories.category_label(stored_value),
            "category_emoji": categories.category_emoji(stored_value),
            "category_description": categories.category_description(stored_value),
            "empty_message": _("No news in this category matches these filters."),
        }
    )
    # The sidebar is not part of the htmx response: only query it for whole pages.
    if not wants_fragment(request):
        context["top_companies"] = category_top_companies(category=value)
    return _render_listing(request, "news/category.html", context)


@require_GET
def favourites(request: HtmxHttpRequest) -> HttpResponse:
    user = signed_in_account(request)
    if user is None:
        return login_redirect(request, next_url=request.get_full_path())
    page = favourites_page(user=user, cursor=cursor_decode(request.GET.get("cursor")))
    context: dict[str, Any] = {
        "page": page,
        "chips": [],
        "more_url": _more_url([], page),
        "is_later_page": "cursor" in request.GET,
        "first_page_url": "?",
        "empty_message": _("No favourites yet. Use “Add to favourites” on any news item."),
    }
    return _render_listing(request, "news/favourites.html", context)


@require_GET
def news_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    detail = news_item_detail(item_id=pk, user=signed_in_account(request))
    if detail is None:
        raise Http404
    return render(request, "news/detail.html", {"detail": detail, "item": detail.item})


# ---------------------------------------------------------------- toggles


@require_POST
def news_read(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return _state_toggle(request, pk=pk, flag="read")


@require_POST
def news_favourite(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return _state_toggle(request, pk=pk, flag="favourite")


def _state_toggle(request: HtmxHttpRequest, *, pk: int, flag: str) -> HttpResponse:
    detail_url = reverse("news:detail", args=[pk])
    user = signed_in_account(request)
    if user is None:
        # Back to the item, not to this POST-only URL, once signed in.
        return login_redirect(request, next_url=detail_url)
    item = get_object_or_404(NewsItem.objects.only("id"), pk=pk)
    form = StateToggleForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(_("Invalid request."))
    on: bool = form.cleaned_data["value"]
    flags: ItemStateFlags
    if flag == "read":
        flags = item_state_set_read(user=user, item_id=item.pk, read=on)
    else:
        flags = item_state_set_favourite(user=user, item_id=item.pk, favourite=on)
    next_url = safe_next_url(request, candidate=form.cleaned_data["next"], fallback=detail_url)
    if wants_fragment(request):
        return render_htmx(
            request,
            "news/partials/_state_buttons.html",
            {"item": item, "read": flags.read, "favourite": flags.favourite, "next_url": next_url},
        )
    return HttpResponseRedirect(next_url)
