"""The digest and notification API: history, one digest, preview, "send it now",
and the notification centre with its settings.

Every read and write takes the requesting account, so another user's digest or
notification answers 404 exactly like a missing one and is never changed.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django_ratelimit.core import get_usage
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from accounts import services as account_services
from accounts.models import DigestFormat, Preferences, User
from accounts.selectors import preferences_get
from config.api.permissions import api_account
from config.api.schema import INVALID, NO_PAGE, NOT_FOUND, THROTTLED, UNAUTHENTICATED
from config.api.throttles import AnonRateThrottle, UserRateThrottle
from digests import notifications, selectors, services
from digests.api.serializers import (
    DigestDetailSerializer,
    DigestGeneratedSerializer,
    DigestGenerateSerializer,
    DigestPreviewQuerySerializer,
    DigestPreviewSerializer,
    DigestSerializer,
    NotificationFilterSerializer,
    NotificationSerializer,
    NotificationSettingsSerializer,
    NotificationsMarkedSerializer,
    NotificationUnreadCountSerializer,
    Preview,
    content_view,
)
from digests.models import Digest, Notification
from digests.notification_selectors import (
    notification_for_user,
    notifications_for_user,
    notifications_unread_count,
)
from digests.scheduling import zone_or_utc
from digests.views import SEND_NOW_RATE


def _site_url(request: Request) -> str:
    return request.build_absolute_uri("/")


def _preview_summaries(user: User) -> bool:
    # As the web preview: summaries unless the user's digests are short.
    preferences = preferences_get(user=user)
    if preferences is None:
        return True
    return preferences.digest_format != DigestFormat.SHORT and preferences.digest_include_summaries


# ---------------------------------------------------------------- digests


@extend_schema(tags=["digests"])
class DigestListView(ListAPIView[Digest]):
    """Your digests, newest first, each with its deliveries by channel."""

    serializer_class = DigestSerializer

    def get_queryset(self) -> QuerySet[Digest]:
        return selectors.digests_of_user(user=api_account(self.request))

    @extend_schema(
        operation_id="digests_list",
        responses={200: DigestSerializer(many=True), 401: UNAUTHENTICATED, 404: NO_PAGE},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


@extend_schema(tags=["digests"])
class DigestDetailView(APIView):
    """One of your digests with its content, grouped by company and category as on the web."""

    @extend_schema(
        operation_id="digests_retrieve",
        responses={200: DigestDetailSerializer, 401: UNAUTHENTICATED, 404: NOT_FOUND},
    )
    def get(self, request: Request, pk: int) -> Response:
        digest = selectors.digest_of_user(user=api_account(request), digest_id=pk)
        if digest is None:
            raise exceptions.NotFound
        serializer = DigestDetailSerializer(digest, context={"site_url": _site_url(request)})
        return Response(serializer.data)


@extend_schema(tags=["digests"])
class DigestPreviewView(APIView):
    """What a digest of the given days (in your time zone, at most 31) would hold.
    Nothing is stored and nothing is sent."""

    @extend_schema(
        operation_id="digests_preview",
        parameters=[DigestPreviewQuerySerializer],
        responses={200: DigestPreviewSerializer, 400: INVALID, 401: UNAUTHENTICATED},
    )
    def get(self, request: Request) -> Response:
        user = api_account(request)
        query = DigestPreviewQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        start, end = query.period(zone_or_utc(user.timezone))
        content = selectors.digest_preview(user=user, start=start, end=end)
        preview = Preview(
            period_start=start,
            period_end=end,
            content=content_view(
                content=content, site_url=_site_url(request), summaries=_preview_summaries(user)
            ),
        )
        return Response(DigestPreviewSerializer(preview).data)


# The web's "send it now" counter (digests.views.digest_send): group, key, rate
# and method must match its decorator for the two to share one budget.
SEND_NOW_GROUP = "digests.send_now"


class DigestSendNowThrottle(BaseThrottle):
    """At most SEND_NOW_RATE digests on request per account, web and API together."""

    def __init__(self) -> None:
        self.time_left = 0

    def allow_request(self, request: Request, view: APIView) -> bool:
        usage = get_usage(
            request._request,
            group=SEND_NOW_GROUP,
            key="user",
            rate=SEND_NOW_RATE,
            method="POST",
            increment=True,
        )
        if usage is None:  # rate limiting switched off (RATELIMIT_ENABLE)
            return True
        self.time_left = max(int(usage["time_left"]), 1)
        return not usage["should_limit"]

    def wait(self) -> float:
        return float(self.time_left)


@extend_schema(tags=["digests"])
class DigestGenerateView(APIView):
    """Build today's or this week's digest now and send it on your channels, as the
    web's "send me today's digest" does. The digest and its deliveries are at
    status_url; the deliveries go out in the background."""

    throttle_classes = (AnonRateThrottle, UserRateThrottle, DigestSendNowThrottle)

    @extend_schema(
        operation_id="digests_generate",
        request=DigestGenerateSerializer,
        responses={
            202: DigestGeneratedSerializer,
            400: INVALID,
            401: UNAUTHENTICATED,
            429: THROTTLED,
        },
        parameters=[
            OpenApiParameter(
                "Location",
                type=str,
                location=OpenApiParameter.HEADER,
                response=[202],
                description="The digest's URL (status_url).",
            ),
            OpenApiParameter(
                "Retry-After",
                type=int,
                location=OpenApiParameter.HEADER,
                response=[429],
                description="Seconds until another digest may be asked for.",
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        serializer = DigestGenerateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        digest = services.digest_send_now(
            user=api_account(request),
            kind=serializer.validated_data["frequency"],
            now=timezone.now(),
        )
        url = reverse("api:digest-detail", args=[digest.pk])
        body = DigestGeneratedSerializer(
            {"id": digest.pk, "status": digest.status, "status_url": url}
        )
        return Response(body.data, status=status.HTTP_202_ACCEPTED, headers={"Location": url})


# ---------------------------------------------------------------- notifications


@extend_schema(tags=["notifications"])
class NotificationListView(ListAPIView[Notification]):
    """Your notifications, newest first."""

    serializer_class = NotificationSerializer

    def get_queryset(self) -> QuerySet[Notification]:
        query = NotificationFilterSerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return notifications_for_user(
            user=api_account(self.request), unread_only=query.validated_data["unread"]
        )

    @extend_schema(
        operation_id="notifications_list",
        parameters=[NotificationFilterSerializer],
        responses={
            200: NotificationSerializer(many=True),
            400: INVALID,
            401: UNAUTHENTICATED,
            404: NO_PAGE,
        },
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


@extend_schema(tags=["notifications"])
class NotificationUnreadCountView(APIView):
    """How many of your notifications are unread (the web's bell)."""

    @extend_schema(
        operation_id="notifications_unread_count",
        responses={200: NotificationUnreadCountSerializer, 401: UNAUTHENTICATED},
    )
    def get(self, request: Request) -> Response:
        count = notifications_unread_count(user_id=api_account(request).pk)
        return Response(NotificationUnreadCountSerializer({"count": count}).data)


@extend_schema(tags=["notifications"])
class NotificationDetailView(APIView):
    @extend_schema(
        operation_id="notifications_retrieve",
        responses={200: NotificationSerializer, 401: UNAUTHENTICATED, 404: NOT_FOUND},
    )
    def get(self, request: Request, pk: int) -> Response:
        """One of your notifications."""
        notification = notification_for_user(user=api_account(request), notification_id=pk)
        if notification is None:
            raise exceptions.NotFound
        return Response(NotificationSerializer(notification).data)

    @extend_schema(
        operation_id="notifications_destroy",
        responses={204: None, 401: UNAUTHENTICATED, 404: NOT_FOUND},
    )
    def delete(self, request: Request, pk: int) -> Response:
        """Delete one of your notifications."""
        if not notifications.notification_delete(user=api_account(request), notification_id=pk):
            raise exceptions.NotFound
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["notifications"])
class NotificationReadView(APIView):
    """Mark one of your notifications read; the first read time is kept."""

    @extend_schema(
        operation_id="notifications_read",
        request=None,
        responses={200: NotificationSerializer, 401: UNAUTHENTICATED, 404: NOT_FOUND},
    )
    def post(self, request: Request, pk: int) -> Response:
        user = api_account(request)
        if not notifications.notification_mark_read(
            user=user, notification_id=pk, now=timezone.now()
        ):
            raise exceptions.NotFound
        notification = notification_for_user(user=user, notification_id=pk)
        if notification is None:  # deleted by another client in between
            raise exceptions.NotFound
        return Response(NotificationSerializer(notification).data)


@extend_schema(tags=["notifications"])
class NotificationsReadAllView(APIView):
    """Mark all your notifications read."""

    @extend_schema(
        operation_id="notifications_read_all",
        request=None,
        responses={200: NotificationsMarkedSerializer, 401: UNAUTHENTICATED},
    )
    def post(self, request: Request) -> Response:
        marked = notifications.notifications_mark_all_read(
            user=api_account(request), now=timezone.now()
        )
        return Response(NotificationsMarkedSerializer({"marked": marked}).data)


@extend_schema(tags=["notifications"])
class NotificationSettingsView(APIView):
    """Your alert settings, as under Settings → Alerts on the web."""

    def _current(self, user: User) -> Preferences:
        # Before the first save the defaults apply, as the web shows them.
        return preferences_get(user=user) or Preferences(user=user)

    @extend_schema(
        operation_id="notifications_settings_retrieve",
        responses={200: NotificationSettingsSerializer, 401: UNAUTHENTICATED},
    )
    def get(self, request: Request) -> Response:
        return Response(NotificationSettingsSerializer(self._current(api_account(request))).data)

    @extend_schema(
        operation_id="notifications_settings_partial_update",
        request=NotificationSettingsSerializer(partial=True),
        responses={200: NotificationSettingsSerializer, 400: INVALID, 401: UNAUTHENTICATED},
    )
    def patch(self, request: Request) -> Response:
        user = api_account(request)
        serializer = NotificationSettingsSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        current = self._current(user)
        values = {name: getattr(current, name) for name in account_services.ALERT_FIELDS}
        values |= serializer.validated_data
        preferences = account_services.preferences_update_alerts(user=user, values=values)
        return Response(NotificationSettingsSerializer(preferences).data)
