"""The home page: the landing page for visitors, the dashboard for signed-in users."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.models import User
from news.dashboard import dashboard_for_user


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        return render(request, "news/landing.html")
    return render(request, "news/home.html", {"dashboard": dashboard_for_user(user=user)})
