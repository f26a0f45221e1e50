"""Serializers of the companies and sources API."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from competitors import insights
from competitors.forms import BAD_PREVIEW, ConfirmPreviewForm, DiscoverForm
from competitors.models import Company, Source
from config.api.schema import EnumField
from news.canonical_urls import canonical_url

# ---------------------------------------------------------------- companies


class CompanyFilterSerializer(serializers.Serializer[dict[str, Any]]):
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text=_("Matches the name, an alias, the website or a segment."),
    )
    segment = serializers.ChoiceField(choices=Company.Segment.choices, required=False)
    tracked = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_("true: only companies you follow; false: only the others."),
    )


class CompanySerializer(serializers.ModelSerializer[Company]):
    tracked = serializers.BooleanField(
        read_only=True, help_text=_("Whether you follow this company.")
    )

    class Meta:
        model = Company
        fields: tuple[str, ...] = (
            "id", "slug", "name", "website", "logo_url", "segment", "aliases", "tracked"
        )  # fmt: skip
        read_only_fields = fields


# "status" and "kind" name other choice sets elsewhere in the API.
def _status_field(**kwargs: Any) -> EnumField:
    return EnumField(enum_name="SourceStatusEnum", choices=Source.Status.choices, **kwargs)


def _kind_field(**kwargs: Any) -> EnumField:
    return EnumField(enum_name="SourceKindEnum", choices=Source.Kind.choices, **kwargs)


class CompanySourceSerializer(serializers.ModelSerializer[Source]):
    status = _status_field(read_only=True)
    kind = _kind_field(read_only=True)
    health = serializers.SerializerMethodField()

    class Meta:
        model = Source
        fields: tuple[str, ...] = ("id", "name", "url", "kind", "source_type", "status", "health")
        read_only_fields = fields

    def get_health(self, source: Source) -> insights.Health:
        return insights.source_health(source)


class CompanyDetailSerializer(CompanySerializer):
    recent_items = serializers.IntegerField(
        read_only=True, help_text=_("News items published in the last 30 days.")
    )
    sources = CompanySourceSerializer(many=True, read_only=True)

    class Meta(CompanySerializer.Meta):
        fields = (
            *CompanySerializer.Meta.fields,
            "description",
            "twitter_handle",
            "github_org",
            "linkedin_url",
            "instagram_handle",
            "founded_year",
            "pricing",
            "recent_items",
            "sources",
        )
        read_only_fields = fields


class SubscriptionSerializer(serializers.Serializer[dict[str, Any]]):
    company = serializers.SlugField(read_only=True)
    tracked = serializers.BooleanField(read_only=True)


# ---------------------------------------------------------------- discovery


class DiscoverRequestSerializer(serializers.Serializer[dict[str, Any]]):
    url = serializers.CharField(
        max_length=500, help_text=_("The company's homepage, for example https://acme.com")
    )

    def validate_url(self, value: str) -> str:
        # The web form's own field: the same addresses are accepted, "acme.com" included.
        cleaned: str = DiscoverForm.base_fields["url"].clean(value)
        return cleaned


class DiscoveredSourceSerializer(serializers.Serializer[dict[str, Any]]):
    url = serializers.URLField(read_only=True)
    kind = _kind_field(read_only=True)
    source_type = serializers.ChoiceField(choices=Source.SourceType.choices, read_only=True)
    name = serializers.CharField(read_only=True)


class SampleItemSerializer(serializers.Serializer[dict[str, Any]]):
    title = serializers.CharField(read_only=True)
    url = serializers.URLField(read_only=True)
    published_at = serializers.DateTimeField(read_only=True, allow_null=True)
    source_url = serializers.URLField(read_only=True)
    source_type = serializers.CharField(read_only=True)
    category = serializers.CharField(read_only=True, allow_null=True)


class DiscoveryPreviewSerializer(serializers.Serializer[dict[str, Any]]):
    """What confirming would create; nothing is written until then."""

    name = serializers.CharField(read_only=True)
    website = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    logo_url = serializers.CharField(read_only=True)
    twitter_handle = serializers.CharField(read_only=True)
    github_org = serializers.CharField(read_only=True)
    linkedin_url = serializers.CharField(read_only=True)
    instagram_handle = serializers.CharField(read_only=True)
    segment = serializers.CharField(read_only=True)
    feeds = DiscoveredSourceSerializer(many=True, read_only=True)
    pages = DiscoveredSourceSerializer(many=True, read_only=True)
    github_releases = DiscoveredSourceSerializer(many=True, read_only=True)
    sample = SampleItemSerializer(many=True, read_only=True)
    existing_company = serializers.SlugField(
        read_only=True,
        allow_null=True,
        help_text=_(
            "Slug of the listed company with this website: confirming adds the new sources to it."
        ),
    )
    preview = serializers.CharField(
        read_only=True,
        help_text=_("Send this to the confirm endpoint within an hour to create the company."),
    )


class DiscoveryConfirmSerializer(serializers.Serializer[dict[str, Any]]):
    preview = serializers.CharField(
        help_text=_("The `preview` value of the discovery answer, unchanged.")
    )

    def validate_preview(self, value: str) -> Any:
        # The web's confirm form: signed, time-limited, so what is created is what was shown.
        form = ConfirmPreviewForm({"preview": value})
        if not form.is_valid():
            raise serializers.ValidationError(BAD_PREVIEW, code="bad_preview")
        return form.cleaned_data["preview"]


# ---------------------------------------------------------------- sources


class SourceFilterSerializer(serializers.Serializer[dict[str, Any]]):
    company = serializers.CharField(
        required=False, allow_blank=True, max_length=120, help_text=_("A company slug.")
    )
    status = _status_field(required=False)
    source_type = serializers.ChoiceField(choices=Source.SourceType.choices, required=False)
    kind = _kind_field(required=False)


class SourceSerializer(serializers.ModelSerializer[Source]):
    status = _status_field(read_only=True)
    kind = _kind_field(read_only=True)
    company: serializers.SlugRelatedField[Company] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True
    )
    health = serializers.SerializerMethodField()
    interval_seconds = serializers.SerializerMethodField(
        help_text=_("How often the source is fetched; it adapts to how often it posts.")
    )
    items_last_7_days = serializers.IntegerField(read_only=True)
    last_fetch_failed = serializers.SerializerMethodField()
    last_error = serializers.SerializerMethodField(
        help_text=_("Why the last fetch failed; shown to staff only, empty for others.")
    )

    class Meta:
        model = Source
        fields = (
            "id",
            "company",
            "name",
            "url",
            "kind",
            "source_type",
            "css_selector",
            "status",
            "health",
            "interval_seconds",
            "last_fetched_at",
            "last_success_at",
            "next_fetch_at",
            "consecutive_failures",
            "last_fetch_failed",
            "last_error",
            "items_last_7_days",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields

    def get_health(self, source: Source) -> insights.Health:
        return insights.source_health(source)

    def get_interval_seconds(self, source: Source) -> int:
        return int(source.interval.total_seconds())

    def get_last_fetch_failed(self, source: Source) -> bool:
        return bool(source.last_error)

    def get_last_error(self, source: Source) -> str:
        # As on the company page: the error text can name internal hosts and addresses.
        request = self.context.get("request")
        is_staff = bool(request and request.user.is_staff)
        return source.last_error if is_staff else ""


class SourceWriteSerializer(serializers.Serializer[dict[str, Any]]):
    """The operator-editable fields; the rest of validation is the model's (the admin's)."""

    company: serializers.SlugRelatedField[Company] = serializers.SlugRelatedField(
        slug_field="slug", queryset=Company.objects.all(), required=False, allow_null=True
    )
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    url = serializers.CharField(max_length=1000)
    kind = _kind_field(required=False)
    source_type = serializers.ChoiceField(choices=Source.SourceType.choices, required=False)
    css_selector = serializers.CharField(max_length=300, required=False, allow_blank=True)

    def validate_url(self, value: str) -> str:
        # Stored canonical, as `manage.py add_source` and discovery store it, so one
        # address is one source however it was typed.
        try:
            return canonical_url(value)
        except ValueError:
            raise serializers.ValidationError(
                _("Enter an http or https address."), code="invalid"
            ) from None
