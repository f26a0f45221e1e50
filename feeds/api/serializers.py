from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers

from feeds.opml import MAX_DOCUMENT_BYTES


class FeedStatusSerializer(serializers.Serializer[Any]):
    exists = serializers.BooleanField()
    prefix = serializers.CharField(
        allow_null=True, help_text="The first characters of the URL's secret."
    )
    created_at = serializers.DateTimeField(allow_null=True)
    last_used_at = serializers.DateTimeField(
        allow_null=True, help_text="When a feed reader last read the feed (to the minute)."
    )


class FeedCreatedSerializer(serializers.Serializer[Any]):
    url = serializers.URLField(help_text="The secret feed URL. Shown only once.")
    prefix = serializers.CharField()
    created_at = serializers.DateTimeField()


class OpmlUploadSerializer(serializers.Serializer[Any]):
    file = serializers.FileField(
        allow_empty_file=False, help_text="An OPML 2.0 document of at most 1 MB."
    )

    def validate_file(self, value: Any) -> Any:
        if value.size > MAX_DOCUMENT_BYTES:
            raise serializers.ValidationError(
                _("The file is larger than %(size)d KB.") % {"size": MAX_DOCUMENT_BYTES // 1024}
            )
        return value


class OpmlImportErrorSerializer(serializers.Serializer[Any]):
    url = serializers.CharField()
    reason = serializers.CharField()


class OpmlImportReportSerializer(serializers.Serializer[Any]):
    created = serializers.IntegerField(help_text="Sources created.")
    skipped = serializers.IntegerField(help_text="Sources that already existed.")
    companies_created = serializers.IntegerField()
    # DRF's metaclass takes declared fields off the class, so this does not hide
    # Serializer.errors at run time; the stubs only see the name clash.
    errors = OpmlImportErrorSerializer(  # type: ignore[assignment]
        many=True, help_text="Outlines that were not imported."
    )
