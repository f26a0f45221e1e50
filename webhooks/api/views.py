"""The webhook API: your endpoints, their secrets, a test ping and the delivery log.

Every read and write takes the requesting account, so another user's endpoint
answers 404 exactly like a missing one and is never changed.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api.permissions import api_account
from config.api.schema import INVALID, NO_PAGE, NOT_FOUND, UNAUTHENTICATED
from webhooks import selectors, services
from webhooks.api.serializers import (
    WebhookDeliverySerializer,
    WebhookEndpointCreateSerializer,
    WebhookEndpointSerializer,
    WebhookEndpointUpdateSerializer,
    WebhookEndpointWithSecretSerializer,
)
from webhooks.models import WebhookDelivery, WebhookEndpoint


def _endpoint(request: Request, pk: int) -> WebhookEndpoint:
    endpoint = selectors.webhook_endpoint_of_user(user=api_account(request), endpoint_id=pk)
    if endpoint is None:
        raise exceptions.NotFound
    return endpoint


@extend_schema(tags=["webhooks"])
class WebhookEndpointListView(ListAPIView[WebhookEndpoint]):
    """Your webhook endpoints, newest first; POST registers one."""

    serializer_class = WebhookEndpointSerializer

    def get_queryset(self) -> QuerySet[WebhookEndpoint]:
        return selectors.webhook_endpoints_of_user(user=api_account(self.request))

    @extend_schema(
        operation_id="webhooks_list",
        responses={
            200: WebhookEndpointSerializer(many=True),
            401: UNAUTHENTICATED,
            404: NO_PAGE,
        },
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="webhooks_create",
        description=(
            "Register an https URL for events. The URL passes the same network checks "
            "as the news fetcher. The answer holds the signing secret."
        ),
        request=WebhookEndpointCreateSerializer,
        responses={201: WebhookEndpointWithSecretSerializer, 400: INVALID, 401: UNAUTHENTICATED},
    )
    def post(self, request: Request) -> Response:
        user = api_account(request)
        data = WebhookEndpointCreateSerializer(data=request.data, context={"user": user})
        data.is_valid(raise_exception=True)
        try:
            endpoint = services.webhook_endpoint_create(
                owner=user,
                url=data.validated_data["url"],
                events=data.validated_data["events"],
                description=data.validated_data.get("description", ""),
            )
        except services.TooManyEndpointsError as error:
            message = _("You already have %(count)d webhook endpoints.") % {
                "count": services.MAX_ENDPOINTS_PER_USER
            }
            raise exceptions.ValidationError({"non_field_errors": [message]}) from error
        return Response(
            WebhookEndpointWithSecretSerializer(endpoint).data, status=status.HTTP_201_CREATED
        )


@extend_schema(tags=["webhooks"])
class WebhookEndpointDetailView(APIView):
    """One of your endpoints, with its signing secret."""

    @extend_schema(
        operation_id="webhooks_retrieve",
        responses={200: WebhookEndpointWithSecretSerializer, 401: UNAUTHENTICATED, 404: NOT_FOUND},
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(WebhookEndpointWithSecretSerializer(_endpoint(request, pk)).data)

    @extend_schema(
        operation_id="webhooks_partial_update",
        description="Change any of url, description, events and is_active (false pauses).",
        request=WebhookEndpointUpdateSerializer,
        responses={
            200: WebhookEndpointWithSecretSerializer,
            400: INVALID,
            401: UNAUTHENTICATED,
            404: NOT_FOUND,
        },
    )
    def patch(self, request: Request, pk: int) -> Response:
        endpoint = _endpoint(request, pk)
        data = WebhookEndpointUpdateSerializer(data=request.data, context={"user": endpoint.owner})
        data.is_valid(raise_exception=True)
        endpoint = services.webhook_endpoint_update(
            endpoint=endpoint,
            url=data.validated_data.get("url"),
            events=data.validated_data.get("events"),
            description=data.validated_data.get("description"),
            is_active=data.validated_data.get("is_active"),
        )
        return Response(WebhookEndpointWithSecretSerializer(endpoint).data)

    @extend_schema(
        operation_id="webhooks_destroy",
        description="Delete the endpoint and its delivery log.",
        responses={204: None, 401: UNAUTHENTICATED, 404: NOT_FOUND},
    )
    def delete(self, request: Request, pk: int) -> Response:
        if not services.webhook_endpoint_delete(owner=api_account(request), endpoint_id=pk):
            raise exceptions.NotFound
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["webhooks"])
class WebhookRotateSecretView(APIView):
    """Replace the signing secret; every delivery from now on is signed with the new one."""

    @extend_schema(
        operation_id="webhooks_rotate_secret",
        request=None,
        responses={200: WebhookEndpointWithSecretSerializer, 401: UNAUTHENTICATED, 404: NOT_FOUND},
    )
    def post(self, request: Request, pk: int) -> Response:
        endpoint = services.webhook_endpoint_rotate_secret(endpoint=_endpoint(request, pk))
        return Response(WebhookEndpointWithSecretSerializer(endpoint).data)


@extend_schema(tags=["webhooks"])
class WebhookTestView(APIView):
    """Queue a "ping" delivery to the endpoint (tried once, even when it is paused
    or disabled). Its outcome appears in the delivery log."""

    @extend_schema(
        operation_id="webhooks_test",
        request=None,
        responses={202: WebhookDeliverySerializer, 401: UNAUTHENTICATED, 404: NOT_FOUND},
    )
    def post(self, request: Request, pk: int) -> Response:
        delivery = services.webhook_ping_queue(endpoint=_endpoint(request, pk), now=timezone.now())
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


@extend_schema(tags=["webhooks"])
class WebhookEnableView(APIView):
    """Turn the endpoint back on after it was disabled (or paused), with a clean
    failure count."""

    @extend_schema(
        operation_id="webhooks_enable",
        request=None,
        responses={200: WebhookEndpointWithSecretSerializer, 401: UNAUTHENTICATED, 404: NOT_FOUND},
    )
    def post(self, request: Request, pk: int) -> Response:
        endpoint = services.webhook_endpoint_enable(endpoint=_endpoint(request, pk))
        return Response(WebhookEndpointWithSecretSerializer(endpoint).data)


@extend_schema(tags=["webhooks"])
class WebhookDeliveryListView(ListAPIView[WebhookDelivery]):
    """The endpoint's delivery log, newest first."""

    serializer_class = WebhookDeliverySerializer

    def get_queryset(self) -> QuerySet[WebhookDelivery]:
        endpoint = _endpoint(self.request, int(self.kwargs["pk"]))
        return selectors.webhook_deliveries_of_endpoint(endpoint=endpoint)

    @extend_schema(
        operation_id="webhooks_deliveries",
        responses={200: WebhookDeliverySerializer(many=True), 401: UNAUTHENTICATED, 404: NOT_FOUND},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)
