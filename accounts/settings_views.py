"""The settings page: one page of sections, each with its own form posting to its own URL.

A form that fails validation re-renders the whole page with that form's errors
and the other sections fresh. Every form binds to ``request.user``; no URL or
field names an account.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django_ratelimit.core import is_ratelimited
from django_ratelimit.decorators import ratelimit

from accounts import selectors, services
from accounts.digest_settings_forms import (
    AlertSettingsForm,
    DigestSettingsForm,
    timezone_suggestions,
)
from accounts.models import User
from accounts.selectors import request_account
from accounts.settings_forms import (
    DeleteAccountForm,
    PreferencesForm,
    ProfileSettingsForm,
    ids_from_strings,
)
from config.htmx import HtmxHttpRequest, render_htmx
from news.categories import Category, category_emoji

COMPANY_OPTIONS_TARGET = "company-options"
# Ids arriving in a query string are capped: a picker never needs more.
MAX_SELECTED_IN_QUERY = 500
EMAIL_CHANGE_RATE = "5/h"


def _section_url(section: str) -> str:
    return f"{reverse('settings:index')}#{section}"


def _render_page(
    request: HttpRequest,
    *,
    user: User,
    profile_form: ProfileSettingsForm | None = None,
    preferences_form: PreferencesForm | None = None,
    delete_form: DeleteAccountForm | None = None,
    digest_form: DigestSettingsForm | None = None,
    alert_form: AlertSettingsForm | None = None,
    template: str = "settings/index.html",
) -> HttpResponse:
    stored = services.preferences_ensure(user=user)
    if preferences_form is None:
        tracked = selectors.tracked_company_ids(user=user)
        preferences_form = PreferencesForm(initial=PreferencesForm.initial_for(stored, tracked))
    telegram_linked = _telegram_linked(user)
    if digest_form is None:
        digest_form = DigestSettingsForm(
            initial=DigestSettingsForm.initial_for(preferences=stored, user=user),
            telegram_linked=telegram_linked,
        )
    if alert_form is None:
        alert_form = AlertSettingsForm(initial=AlertSettingsForm.initial_for(preferences=stored))
    company_search = request.GET.get("company_q", "").replace("\x00", "")[:100]
    selected_categories = preferences_form.selected_categories()
    context: dict[str, Any] = {
        "profile_form": profile_form or ProfileSettingsForm(user=user),
        "preferences_form": preferences_form,
        "delete_form": delete_form or DeleteAccountForm(user=user),
        "digest_form": digest_form,
        "alert_form": alert_form,
        "next_digest_at": stored.next_digest_at,
        "telegram_linked": telegram_linked,
        "timezone_suggestions": timezone_suggestions(),
        "company_search": company_search,
        "company_options": selectors.company_picker_options(
            search=company_search, selected_ids=preferences_form.selected_company_ids()
        ),
        "category_options": [
            {
                "value": value,
                "label": label,
                "emoji": category_emoji(value),
                "checked": value in selected_categories,
            }
            for value, label in Category.choices
        ],
    }
    return render_htmx(request, template, context)


@login_required
@require_GET
def index(request: HtmxHttpRequest) -> HttpResponse:
    user = request_account(request)
    htmx = request.htmx
    if htmx and not htmx.boosted and htmx.target == COMPANY_OPTIONS_TARGET:
        # The live company search sends the boxes checked so far, so a filter never
        # loses a choice the user has not saved yet.
        form = PreferencesForm(
            initial={
                "companies": sorted(
                    ids_from_strings(request.GET.getlist("companies")[:MAX_SELECTED_IN_QUERY])
                )
            }
        )
        return _render_page(
            request,
            user=user,
            preferences_form=form,
            template="settings/index.html#company-options",
        )
    return _render_page(request, user=user)


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseRedirect(_section_url("profile"))
    user = request_account(request)
    form = ProfileSettingsForm(request.POST, user=user)
    if form.is_valid() and form.email_changed and _email_changes_exhausted(request):
        form.add_error(
            "email",
            _("You changed your email address too often. Please try again in an hour."),
        )
    if form.is_valid():
        try:
            email_changed = services.user_update_settings(
                user=user,
                full_name=form.cleaned_data["full_name"],
                email=form.cleaned_data["email"],
                language=form.cleaned_data["language"],
                timezone=form.cleaned_data["timezone"],
            )
        except services.EmailTakenError:
            form.add_error("email", _("Another account already uses this email address."))
        else:
            # The next page is shown in the newly chosen language; so is this message.
            with translation.override(user.language or translation.get_language()):
                if email_changed:
                    messages.success(
                        request,
                        _("Your profile has been saved. We sent a link to %(email)s to confirm it.")
                        % {"email": user.email},
                    )
                else:
                    messages.success(request, _("Your profile has been saved."))
            return redirect(_section_url("profile"))
    return _render_page(request, user=user, profile_form=form)


def _email_changes_exhausted(request: HttpRequest) -> bool:
    # Each change mails a link to an address the user typed: limit it, so the
    # form cannot be used to send mail to strangers in bulk.
    return bool(
        is_ratelimited(
            request,
            group="settings.email_change",
            key="user",
            rate=EMAIL_CHANGE_RATE,
            method="POST",
            increment=True,
        )
    )


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseRedirect(_section_url("preferences"))
    user = request_account(request)
    form = PreferencesForm(request.POST)
    if form.is_valid():
        services.preferences_update(
            user=user,
            company_ids=[company.pk for company in form.cleaned_data["companies"]],
            categories=form.cleaned_data["categories"],
            keywords=form.cleaned_data["keywords"],
            scope=form.cleaned_data["scope"],
        )
        messages.success(request, _("Your preferences have been saved."))
        return redirect(_section_url("preferences"))
    return _render_page(request, user=user, preferences_form=form)


def _telegram_linked(user: User) -> bool:
    from telegram_bot.models import TelegramLink

    return TelegramLink.objects.filter(user=user).exists()


@login_required
@require_http_methods(["GET", "POST"])
def digest_settings(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseRedirect(_section_url("digests"))
    user = request_account(request)
    form = DigestSettingsForm(request.POST, telegram_linked=_telegram_linked(user))
    if form.is_valid():
        services.preferences_update_digests(
            user=user, timezone_name=form.cleaned_data["timezone"], values=form.cleaned_data
        )
        messages.success(request, _("Your digest settings have been saved."))
        return redirect(_section_url("digests"))
    return _render_page(request, user=user, digest_form=form)


@login_required
@require_http_methods(["GET", "POST"])
def alert_settings(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseRedirect(_section_url("alerts"))
    user = request_account(request)
    form = AlertSettingsForm(request.POST)
    if form.is_valid():
        services.preferences_update_alerts(user=user, values=form.cleaned_data)
        messages.success(request, _("Your alert settings have been saved."))
        return redirect(_section_url("alerts"))
    return _render_page(request, user=user, alert_form=form)


@login_required
@require_http_methods(["GET", "POST"])
@ratelimit(key="user", rate="10/h", method="POST", block=True, group="settings.delete")
def delete_account(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseRedirect(_section_url("delete-account"))
    user = request_account(request)
    form = DeleteAccountForm(request.POST, user=user)
    if form.is_valid():
        services.user_delete(user=user)
        logout(request)
        messages.success(request, _("Your account and all its data have been deleted."))
        return redirect("home")
    return _render_page(request, user=user, delete_form=form)
