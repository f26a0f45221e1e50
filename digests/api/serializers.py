"""Serializers of the digest and notification API.

A digest's content is served as the web shows it (digests.rendering.common):
company, then category, then entries, with labels in the request's language and
original links only when they are http(s).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import NotificationFrequency, NotifyPriority, Preferences
from config.api.schema import EnumField
from digests.content import DigestContent
from digests.forms import PreviewForm
from digests.models import Delivery, Digest, Notification
from digests.rendering.common import (
    CategoryView,
    CompanyView,
    EntryView,
    digest_sections,
    digest_title,
    show_summaries,
)

# ---------------------------------------------------------------- digests


class DigestDeliverySerializer(serializers.Serializer[Delivery]):
    channel = EnumField(
        enum_name="DigestDeliveryChannelEnum", choices=Delivery.Channel.choices, read_only=True
    )
    status = EnumField(
        enum_name="DigestDeliveryStatusEnum", choices=Delivery.Status.choices, read_only=True
    )
    sent_at = serializers.DateTimeField(read_only=True, allow_null=True)
    error = serializers.SerializerMethodField(
        help_text="Why the delivery failed or was not sent, in the request's language."
    )

    def get_error(self, delivery: Delivery) -> str | None:
        # As on the web: stored errors are English msgids (gettext_noop) or a
        # server's own text, shown only once the delivery has given up.
        if not delivery.last_error or delivery.status not in {
            Delivery.Status.FAILED,
            Delivery.Status.SKIPPED,
        }:
            return None
        return gettext(delivery.last_error)


class DigestSerializer(serializers.Serializer[Digest]):
    id = serializers.IntegerField(read_only=True)
    title = serializers.SerializerMethodField()
    kind = EnumField(enum_name="DigestKindEnum", choices=Digest.Kind.choices, read_only=True)
    frequency = serializers.CharField(
        read_only=True, help_text="daily, weekly or custom; empty when unknown."
    )
    period_start = serializers.DateTimeField(read_only=True)
    period_end = serializers.DateTimeField(
        read_only=True, help_text="The digest covers [period_start, period_end)."
    )
    status = EnumField(enum_name="DigestStatusEnum", choices=Digest.Status.choices, read_only=True)
    item_count = serializers.IntegerField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    built_at = serializers.DateTimeField(read_only=True, allow_null=True)
    deliveries = DigestDeliverySerializer(many=True, read_only=True)

    def get_title(self, digest: Digest) -> str:
        return digest_title(digest)


class DigestEntrySerializer(serializers.Serializer[EntryView]):
    item_id = serializers.IntegerField(source="entry.item_id")
    title = serializers.CharField()
    url = serializers.CharField(
        source="original_url",
        help_text="The original article; empty when it is not an http(s) address.",
    )
    page_url = serializers.CharField(help_text="The item's page in the web app.")
    # Declared fields leave the class at creation; the stubs see Field.source.
    source = serializers.CharField()  # type: ignore[assignment]
    published_at = serializers.DateTimeField(source="entry.published")
    priority = EnumField(
        enum_name="DigestEntryPriorityEnum",
        choices=Notification.Priority.choices,
        source="entry.priority",
    )
    category = serializers.SerializerMethodField(help_text="Empty for uncategorised items.")
    summary = serializers.CharField(help_text="Empty when the digest's format leaves it out.")
    extra_sources = serializers.IntegerField(
        source="entry.extra_sources",
        help_text="Other items of the same story, collapsed into this entry.",
    )
    sources_note = serializers.CharField(help_text="“+N sources”, or empty.")

    def get_category(self, view: EntryView) -> str:
        # The category is the heading an entry sits under (see DigestCategorySectionSerializer).
        category: str = self.context.get("category", "")
        return category


class DigestCategorySectionSerializer(serializers.Serializer[CategoryView]):
    category = serializers.CharField(source="value", help_text="Empty for uncategorised items.")
    label = serializers.CharField()  # type: ignore[assignment]  # as `source` above
    emoji = serializers.CharField()
    entries = serializers.SerializerMethodField()

    @extend_schema_field(DigestEntrySerializer(many=True))
    def get_entries(self, category: CategoryView) -> list[dict[str, Any]]:
        context = {"category": category.value}
        return [DigestEntrySerializer(entry, context=context).data for entry in category.entries]


class DigestCompanySectionSerializer(serializers.Serializer[CompanyView]):
    company_name = serializers.CharField(source="name", help_text="“Other news” without one.")
    company_slug = serializers.CharField(source="slug", help_text="Empty without a company.")
    categories = DigestCategorySectionSerializer(many=True)


@dataclass(frozen=True)
class ContentView:
    """A built digest as the web shows it."""

    groups: list[CompanyView]
    entry_count: int
    matched: int
    omitted: int


def content_view(*, content: DigestContent, site_url: str, summaries: bool) -> ContentView:
    return ContentView(
        groups=digest_sections(content=content, site_url=site_url, summaries=summaries),
        entry_count=content.entry_count,
        matched=content.matched,
        omitted=content.omitted,
    )


class DigestContentSerializer(serializers.Serializer[ContentView]):
    groups = DigestCompanySectionSerializer(many=True)
    entry_count = serializers.IntegerField()
    matched = serializers.IntegerField(help_text="Items that matched, before stories collapsed.")
    omitted = serializers.IntegerField(help_text="Entries left out by the cap per digest.")


class DigestDetailSerializer(DigestSerializer):
    # Needs "site_url" in the context: the entries' page links are made absolute.
    content = serializers.SerializerMethodField()

    @extend_schema_field(DigestContentSerializer)
    def get_content(self, digest: Digest) -> dict[str, Any]:
        view = content_view(
            content=DigestContent.from_json(digest.content),
            site_url=self.context["site_url"],
            summaries=show_summaries(digest),
        )
        data: dict[str, Any] = DigestContentSerializer(view).data
        return data


class DigestPreviewQuerySerializer(serializers.Serializer[Any]):
    """The web preview's parameters and rules (digests.forms.PreviewForm)."""

    form: PreviewForm

    start = serializers.DateField(input_formats=["%Y-%m-%d"], help_text="First day, YYYY-MM-DD.")
    end = serializers.DateField(
        input_formats=["%Y-%m-%d"], help_text="Last day (included), YYYY-MM-DD."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start: date = attrs["start"]
        end: date = attrs["end"]
        # The form holds the range rules (years, order, 31 days), so both agree.
        self.form = PreviewForm({"start": start.isoformat(), "end": end.isoformat()})
        if not self.form.is_valid():
            raise serializers.ValidationError(
                {
                    name: [str(message) for message in errors]
                    for name, errors in self.form.errors.items()
                }
            )
        return attrs

    def period(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) in ``zone``, once the serializer is valid."""
        return self.form.period(zone)


@dataclass(frozen=True)
class Preview:
    period_start: datetime
    period_end: datetime
    content: ContentView


class DigestPreviewSerializer(serializers.Serializer[Preview]):
    period_start = serializers.DateTimeField()
    period_end = serializers.DateTimeField(
        help_text="The preview covers [period_start, period_end)."
    )
    content = DigestContentSerializer()


class DigestGenerateSerializer(serializers.Serializer[Any]):
    # The web's "send me today's / this week's digest now" (digests.forms.SendNowForm).
    frequency = EnumField(
        enum_name="DigestGenerateFrequencyEnum",
        choices=[("daily", _("Today's digest")), ("weekly", _("This week's digest"))],
    )


class DigestGeneratedSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    status = EnumField(enum_name="DigestStatusEnum", choices=Digest.Status.choices)
    status_url = serializers.CharField(help_text="Where the digest and its deliveries are shown.")


# ---------------------------------------------------------------- notifications


class NotificationCompanySerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    name = serializers.CharField()


class NotificationSerializer(serializers.Serializer[Notification]):
    id = serializers.IntegerField(read_only=True)
    type = EnumField(
        enum_name="NotificationTypeEnum", choices=Notification.Type.choices, read_only=True
    )
    priority = EnumField(
        enum_name="NotificationPriorityEnum", choices=Notification.Priority.choices, read_only=True
    )
    title = serializers.CharField(read_only=True)
    body = serializers.CharField(read_only=True)
    item_id = serializers.IntegerField(read_only=True, allow_null=True)
    company = NotificationCompanySerializer(read_only=True, allow_null=True)
    category = serializers.CharField(read_only=True)
    is_read = serializers.SerializerMethodField()
    read_at = serializers.DateTimeField(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)

    def get_is_read(self, notification: Notification) -> bool:
        return notification.read_at is not None


class NotificationFilterSerializer(serializers.Serializer[Any]):
    unread = serializers.BooleanField(
        required=False, default=False, help_text="Only unread notifications."
    )


class NotificationUnreadCountSerializer(serializers.Serializer[Any]):
    count = serializers.IntegerField()


class NotificationsMarkedSerializer(serializers.Serializer[Any]):
    marked = serializers.IntegerField(help_text="How many notifications were unread until now.")


class NotificationSettingsSerializer(serializers.Serializer[Preferences]):
    # The choices of the web's alerts form (accounts.digest_settings_forms.AlertSettingsForm).
    notify_enabled = serializers.BooleanField()
    notify_min_priority = EnumField(
        enum_name="AlertMinPriorityEnum", choices=NotifyPriority.choices
    )
    notify_company_alerts = serializers.BooleanField()
    notify_keyword_alerts = serializers.BooleanField()
    notify_category_trends = serializers.BooleanField()
    notification_frequency = EnumField(
        enum_name="AlertFrequencyEnum", choices=NotificationFrequency.choices
    )
