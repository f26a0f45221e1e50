"""Version 1 of the REST API. Each app contributes its routes from <app>/api/urls.py."""

from django.urls import include, path, re_path
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from config.api.errors import api_not_found

app_name = "api"


@extend_schema(responses={200: inline_serializer("ApiRoot", {"version": serializers.CharField()})})
@api_view(["GET"])
@permission_classes([AllowAny])
def api_root(request: Request) -> Response:
    return Response({"version": "v1"})


urlpatterns = [
    path("", api_root, name="root"),
    path("", include("accounts.api.urls")),
    path("", include("competitors.api.urls")),
    path("", include("news.api.urls")),
    path("", include("digests.api.urls")),
    path("", include("telegram_bot.api.urls")),
    path("", include("webhooks.api.urls")),
    path("", include("feeds.api.urls")),
    # Anything else under /api/v1/ is a JSON 404, not the HTML page.
    re_path(r"^.*$", api_not_found),
]
