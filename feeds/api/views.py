"""The personal feed URL (one per account) and the OPML export and import of sources."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ParseError
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from config.api.permissions import IsStaff, api_account
from config.api.schema import STAFF_ONLY, THROTTLED, UNAUTHENTICATED, error
from config.api.throttles import TokenCreateThrottle
from feeds import selectors, services
from feeds.api.content import FirstRendererNegotiation, OpmlParser, TextXmlParser, XmlParser
from feeds.api.serializers import (
    FeedCreatedSerializer,
    FeedStatusSerializer,
    OpmlImportReportSerializer,
    OpmlUploadSerializer,
)
from feeds.opml import OpmlError
from feeds.views import opml_response

ERROR_400 = error("Invalid fields, or a document that is not usable OPML.")
ERROR_415 = error("Send multipart/form-data or an XML body.")


class FeedView(APIView):
    """The caller's secret Atom feed URL: one per account."""

    def get_throttles(self) -> list[BaseThrottle]:
        throttles = list(super().get_throttles())
        if self.request.method == "POST":
            throttles.append(TokenCreateThrottle())
        return throttles

    @extend_schema(
        operation_id="feed_retrieve",
        summary="Your feed URL",
        description="Whether you have a secret Atom feed URL, and when it was made and last read.",
        responses={200: FeedStatusSerializer, 401: UNAUTHENTICATED},
    )
    def get(self, request: Request) -> Response:
        token = selectors.feed_token_get(user=api_account(request))
        data: dict[str, Any] = {
            "exists": token is not None,
            "prefix": token.prefix if token else None,
            "created_at": token.created_at if token else None,
            "last_used_at": token.last_used_at if token else None,
        }
        return Response(FeedStatusSerializer(data).data)

    @extend_schema(
        operation_id="feed_create",
        summary="Issue a new feed URL",
        description=(
            "A new secret URL of your Atom feed (the newest 50 items of your dashboard), "
            "shown only in this answer. Any earlier URL stops working."
        ),
        request=None,
        responses={201: FeedCreatedSerializer, 401: UNAUTHENTICATED, 429: THROTTLED},
    )
    def post(self, request: Request) -> Response:
        issued = services.feed_token_issue(user=api_account(request))
        data = {
            "url": selectors.feed_url(secret=issued.secret),
            "prefix": issued.token.prefix,
            "created_at": issued.token.created_at,
        }
        response = Response(FeedCreatedSerializer(data).data, status=status.HTTP_201_CREATED)
        add_never_cache_headers(response)  # the secret must not linger in any cache
        return response

    @extend_schema(
        operation_id="feed_destroy",
        summary="Revoke the feed URL",
        description="The feed URL stops working. Answers 204 whether or not there was one.",
        responses={204: None, 401: UNAUTHENTICATED},
    )
    def delete(self, request: Request) -> Response:
        # Revoking a URL that does not exist leaves the same state: no feed URL.
        services.feed_token_revoke(user=api_account(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class SourcesOpmlView(APIView):
    """Every source as an OPML 2.0 document, grouped by company. Feeds are
    type="rss" outlines; web pages and GitHub release lists are type="link"
    outlines with their address in `url`."""

    content_negotiation_class = FirstRendererNegotiation

    @extend_schema(
        operation_id="sources_opml_retrieve",
        summary="Export sources as OPML",
        responses={
            (200, "text/x-opml"): OpenApiResponse(
                response=OpenApiTypes.STR, description="The OPML document."
            ),
            401: UNAUTHENTICATED,
        },
    )
    def get(self, request: Request) -> HttpResponse:
        return opml_response(selectors.sources_opml(now=timezone.now()))


class SourcesOpmlImportView(APIView):
    """Staff: create the companies and sources an OPML document lists that do not
    exist yet. Send the document as the multipart field `file` or as the raw body
    (application/xml, text/xml or text/x-opml), at most 1 MB. Importing the same
    document twice creates nothing the second time."""

    permission_classes = [IsStaff]
    parser_classes = [MultiPartParser, XmlParser, TextXmlParser, OpmlParser]

    @extend_schema(
        operation_id="sources_opml_import",
        summary="Import sources from OPML (staff)",
        request={
            "multipart/form-data": OpmlUploadSerializer,
            "application/xml": OpenApiTypes.BINARY,
            "text/xml": OpenApiTypes.BINARY,
            "text/x-opml": OpenApiTypes.BINARY,
        },
        responses={
            200: OpmlImportReportSerializer,
            400: ERROR_400,
            401: UNAUTHENTICATED,
            403: STAFF_ONLY,
            415: ERROR_415,
        },
    )
    def post(self, request: Request) -> Response:
        upload = OpmlUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        document = upload.validated_data["file"].read()
        try:
            report = services.opml_import(data=document)
        except OpmlError as error:
            raise ParseError(str(error)) from error
        return Response(OpmlImportReportSerializer(report).data)
