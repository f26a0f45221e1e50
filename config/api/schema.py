"""Schema pieces every API app shares: the documented error body and responses,
and choice fields published as named enums."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import build_choice_field
from drf_spectacular.utils import Direction, OpenApiResponse
from rest_framework import serializers


class ErrorDetailSerializer(serializers.Serializer[Any]):
    status = serializers.IntegerField()
    code = serializers.CharField()
    message = serializers.CharField()
    # The metaclass moves declared fields aside, so this does not shadow .fields.
    fields = serializers.DictField(  # type: ignore[assignment]
        required=False,
        help_text="Validation errors only: each field (or non_field_errors) and its messages.",
    )


class ErrorSerializer(serializers.Serializer[Any]):
    """The body of every error answer (config.api.errors)."""

    error = ErrorDetailSerializer()


def error(description: Any) -> OpenApiResponse:
    """An error response in the common format, for `extend_schema(responses=…)`."""
    return OpenApiResponse(response=ErrorSerializer, description=description)


INVALID = error(_("Invalid fields; `fields` names them."))
UNAUTHENTICATED = error(_("No valid credentials."))
STAFF_ONLY = error(_("Staff only."))
NOT_FOUND = error(_("No such object among yours."))
NO_PAGE = error(_("No such page."))
UNSUPPORTED_MEDIA = error(_("The body is not JSON."))
THROTTLED = error(_("Too many requests; see Retry-After."))


class EnumField(serializers.ChoiceField):
    """A choice field documented as its own named enum component.

    drf-spectacular names enums after the field ("StatusEnum") and warns when one
    field name carries different choice sets in several components, as "status"
    does across digests, deliveries, sources and webhooks; a fixed name per choice
    set keeps the schema free of such collisions.
    """

    def __init__(self, *, enum_name: str, **kwargs: Any) -> None:
        self.enum_name = enum_name
        super().__init__(**kwargs)


class EnumFieldExtension(OpenApiSerializerFieldExtension):
    target_class = EnumField

    def get_name(self) -> str:
        name: str = self.target.enum_name
        return name

    def map_serializer_field(self, auto_schema: Any, direction: Direction) -> dict[str, Any]:
        # The choices alone: read-only, nullable and help text belong to each use.
        schema: dict[str, Any] = build_choice_field(self.target)
        schema.pop("x-spec-enum-id", None)
        return schema
