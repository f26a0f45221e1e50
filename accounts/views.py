from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.i18n import set_language as django_set_language
from django_ratelimit.decorators import ratelimit

from accounts import services
from accounts.forms import LoginForm, ProfileForm, QueuedPasswordResetForm, SignUpForm
from accounts.ratelimits import (
    login_is_blocked,
    login_record_failure,
    password_reset_rate,
    signup_rate,
)
from config.htmx import safe_next_url
from config.ratelimit import rate_limited


def _safe_next(request: HttpRequest, fallback: str = "home") -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    return safe_next_url(request, candidate=candidate, fallback=str(reverse_lazy(fallback)))


@require_http_methods(["GET", "POST"])
@ratelimit(key="ip", rate=signup_rate, method="POST", block=True, group="accounts.signup")
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            user = services.user_create(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
                full_name=form.cleaned_data.get("full_name", ""),
                language=getattr(request, "LANGUAGE_CODE", ""),
            )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(
            request,
            _("Welcome! We sent a link to %(email)s to confirm it.") % {"email": user.email},
        )
        return redirect("home")
    return render(request, "accounts/signup.html", {"form": form})


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    if request.method == "POST" and login_is_blocked(request):
        return rate_limited(request)
    form = LoginForm(request, data=request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            login(request, form.get_user())
            return HttpResponseRedirect(_safe_next(request))
        login_record_failure(request)
    next_url = request.GET.get("next", "")
    return render(request, "accounts/login.html", {"form": form, "next": next_url})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, _("You have been logged out."))
    return redirect("home")


@require_GET
def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    user = services.user_verify_email(token=token)
    status = 200 if user is not None else 400
    return render(request, "accounts/verify_result.html", {"verified_user": user}, status=status)


@login_required
@require_POST
@ratelimit(key="user", rate="3/h", method="POST", block=True, group="accounts.resend")
def resend_verification(request: HttpRequest) -> HttpResponse:
    user = request.user
    if user.is_verified:  # type: ignore[union-attr]
        messages.info(request, _("Your email address is already confirmed."))
    else:
        services.user_send_verification_email(user=user)  # type: ignore[arg-type]
        messages.success(request, _("We sent you a new confirmation link."))
    return redirect(_safe_next(request))


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)  # type: ignore[arg-type]
    if request.method == "POST" and form.is_valid():
        services.user_update_profile(
            user=request.user,  # type: ignore[arg-type]
            full_name=form.cleaned_data["full_name"],
            language=form.cleaned_data["language"],
        )
        messages.success(request, _("Your profile has been saved."))
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form})


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch, which also saves the choice on a signed-in account
    (the account's language otherwise wins over the cookie)."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in {"en", "ru"}:
        services.user_set_language(user=request.user, language=language)
    return response


password_change = auth_views.PasswordChangeView.as_view(
    template_name="accounts/password_change.html",
    success_url=reverse_lazy("accounts:password_change_done"),
)
password_change_done = auth_views.PasswordChangeDoneView.as_view(
    template_name="accounts/password_change_done.html"
)
password_reset = method_decorator(
    ratelimit(
        key="ip", rate=password_reset_rate, method="POST", block=True, group="accounts.reset"
    ),
    name="dispatch",
)(auth_views.PasswordResetView).as_view(
    form_class=QueuedPasswordResetForm,
    template_name="accounts/password_reset.html",
    email_template_name="accounts/email/password_reset_body.txt",
    subject_template_name="accounts/email/password_reset_subject.txt",
    success_url=reverse_lazy("accounts:password_reset_done"),
)
password_reset_done = auth_views.PasswordResetDoneView.as_view(
    template_name="accounts/password_reset_done.html"
)
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    template_name="accounts/password_reset_confirm.html",
    success_url=reverse_lazy("accounts:password_reset_complete"),
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="accounts/password_reset_complete.html"
)
