from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import serializers

from accounts.models import User
from webhooks.forms import URL_MAX_LENGTH, validate_target_url
from webhooks.models import SUBSCRIBABLE_EVENTS, WebhookDelivery, WebhookEndpoint
from webhooks.services import allowed_events


class WebhookEndpointSerializer(serializers.ModelSerializer[WebhookEndpoint]):
    class Meta:
        model = WebhookEndpoint
        fields: tuple[str, ...] = (
            "id",
            "url",
            "description",
            "events",
            "is_active",
            "consecutive_failures",
            "disabled_at",
            "disabled_reason",
            "created_at",
        )
        read_only_fields: tuple[str, ...] = fields

    events = serializers.ListField(child=serializers.CharField(), read_only=True)


class WebhookEndpointWithSecretSerializer(WebhookEndpointSerializer):
    """An endpoint with its signing secret, for its owner."""

    class Meta(WebhookEndpointSerializer.Meta):
        fields: tuple[str, ...] = (*WebhookEndpointSerializer.Meta.fields, "secret")
        read_only_fields = fields


class _EndpointInput(serializers.Serializer[Any]):
    url = serializers.URLField(max_length=URL_MAX_LENGTH)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=[str(event) for event in SUBSCRIBABLE_EVENTS]),
        allow_empty=False,
        max_length=len(SUBSCRIBABLE_EVENTS),
    )

    def validate_url(self, value: str) -> str:
        # Only for a well-formed URL: the check looks the host up in DNS.
        try:
            validate_target_url(value)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from error
        return value

    def validate_events(self, value: list[str]) -> list[str]:
        user: User = self.context["user"]
        refused = sorted(set(value) - set(allowed_events(user=user)))
        if refused:
            raise serializers.ValidationError(
                _("Only staff may subscribe to: %(events)s.") % {"events": ", ".join(refused)}
            )
        return value


class WebhookEndpointCreateSerializer(_EndpointInput):
    pass


class WebhookEndpointUpdateSerializer(_EndpointInput):
    """Any subset of the fields; is_active pauses (false) or resumes (true) sending."""

    is_active = serializers.BooleanField(required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("partial", True)
        super().__init__(*args, **kwargs)


class WebhookDeliverySerializer(serializers.ModelSerializer[WebhookDelivery]):
    class Meta:
        model = WebhookDelivery
        fields = (
            "id",
            "event",
            "event_id",
            "status",
            "attempts",
            "next_attempt_at",
            "last_status_code",
            "last_error",
            "created_at",
            "delivered_at",
            "duration_ms",
            "payload",
        )
        read_only_fields = fields

    payload = serializers.DictField(read_only=True)
