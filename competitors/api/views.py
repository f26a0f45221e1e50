"""Companies and sources API: the catalogue, following, adding a competitor by URL
(the web's discovery preview and confirm, with its rules) and source operations."""

from __future__ import annotations

import logging
from typing import Any, NoReturn

from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import slug_re
from django.db.models import QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_ratelimit.core import is_ratelimited
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, serializers, status
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from accounts.services import company_follow_set
from competitors import selectors, services
from competitors.api.serializers import (
    CompanyDetailSerializer,
    CompanyFilterSerializer,
    CompanySerializer,
    DiscoverRequestSerializer,
    DiscoveryConfirmSerializer,
    DiscoveryPreviewSerializer,
    SourceFilterSerializer,
    SourceSerializer,
    SourceWriteSerializer,
    SubscriptionSerializer,
)
from competitors.discovery import (
    DiscoveryError,
    DiscoveryPreview,
    NameTakenError,
    competitor_create_from_preview,
    competitor_discover,
)
from competitors.forms import sign_preview
from competitors.models import Company, Source
from competitors.views import DISCOVERY_RATE, SCAN_LOCK_SECONDS
from config.api.permissions import IsStaff, api_account
from config.api.schema import INVALID, NO_PAGE, STAFF_ONLY, UNAUTHENTICATED, error
from news.classification import category_of
from news.fetching import BlockedURLError, DNSLookupError

logger = logging.getLogger(__name__)

NOT_FOUND = error(_("No such company or source."))


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("The request conflicts with the current state.")
    default_code = "conflict"


class IsVerified(BasePermission):
    """Companies added by users are public: only confirmed addresses may add them,
    as on the web."""

    message = _("Please confirm your email address before adding a company.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        return bool(getattr(request.user, "is_verified", False))


class ReadOrStaff(BasePermission):
    """Everyone signed in reads; only staff change sources."""

    message = _("Only staff can change sources.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        return request.method in SAFE_METHODS or IsStaff().has_permission(request, view)


def _slug(value: str) -> str:
    """The path's company slug; anything no slug can be (a NUL byte, say, which the
    database would refuse) is a 404 before any query."""
    if not slug_re.fullmatch(value):
        raise exceptions.NotFound
    return value


def _validated(serializer_class: type[serializers.Serializer[Any]], data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


# ---------------------------------------------------------------- companies


@extend_schema(
    parameters=[CompanyFilterSerializer],
    responses={200: CompanySerializer, 400: INVALID, 401: UNAUTHENTICATED, 404: NO_PAGE},
)
class CompanyListView(generics.ListAPIView[Company]):
    """Active companies by name; `tracked` says whether you follow each."""

    serializer_class = CompanySerializer

    def get_queryset(self) -> QuerySet[Company]:
        filters = _validated(CompanyFilterSerializer, self.request.query_params)
        return selectors.company_search(
            user=self.request.user,
            query=filters.get("q", ""),
            segment=filters.get("segment", ""),
            tracked=filters.get("tracked"),
        )


@extend_schema(responses={200: CompanyDetailSerializer, 401: UNAUTHENTICATED, 404: NOT_FOUND})
class CompanyDetailView(APIView):
    def get(self, request: Request, slug: str) -> Response:
        company = selectors.company_detail_get(user=request.user, slug=_slug(slug))
        if company is None:
            raise exceptions.NotFound
        return Response(CompanyDetailSerializer(company).data)


class CompanySubscriptionView(APIView):
    """Follow or unfollow a company. Both are idempotent."""

    def _company(self, slug: str) -> Company:
        company = selectors.companies_active().filter(slug=_slug(slug)).first()
        if company is None:
            raise exceptions.NotFound
        return company

    @extend_schema(
        request=None,
        responses={200: SubscriptionSerializer, 401: UNAUTHENTICATED, 404: NOT_FOUND},
    )
    def put(self, request: Request, slug: str) -> Response:
        company = self._company(slug)
        tracked = company_follow_set(
            user=api_account(request), company_id=company.pk, following=True
        )
        return Response(SubscriptionSerializer({"company": company.slug, "tracked": tracked}).data)

    @extend_schema(
        request=None,
        responses={
            204: OpenApiResponse(description=_("You no longer follow the company.")),
            401: UNAUTHENTICATED,
            404: NOT_FOUND,
        },
    )
    def delete(self, request: Request, slug: str) -> Response:
        company = self._company(slug)
        company_follow_set(user=api_account(request), company_id=company.pk, following=False)
        return Response(status=status.HTTP_204_NO_CONTENT)


# ---------------------------------------------------------------- add by URL


def _scan_lock(user: User) -> str:
    # The web wizard's key (competitors.views._scan_lock): one scan per user, web or API.
    return f"competitors:scan:{user.pk}"


def _discover(url: str) -> DiscoveryPreview:
    """The preview of the site, or a 400 on `url` with the web wizard's wording."""
    try:
        return competitor_discover(url=url, categorize=category_of)
    except DiscoveryError as error:
        if isinstance(error.__cause__, BlockedURLError | DNSLookupError):
            # How the server resolves names is not the client's business.
            message = gettext("We could not reach this website.")
        else:
            message = gettext("We could not scan this website: %(reason)s") % {"reason": error}
    except Exception:
        # Third-party HTML reaches the parsers: a parser bug on one odd site is logged
        # and answered like any site that cannot be scanned, never as a 500.
        logger.exception("discovery of %s failed", url)
        message = gettext("We could not scan this website. Please try again later.")
    raise exceptions.ValidationError({"url": [message]})


class DiscoverView(APIView):
    permission_classes = [IsAuthenticated, IsVerified]

    @extend_schema(
        request=DiscoverRequestSerializer,
        responses={
            200: DiscoveryPreviewSerializer,
            400: INVALID,
            401: UNAUTHENTICATED,
            403: error(_("The email address is not confirmed yet.")),
            409: error(_("Another scan of yours is still running.")),
            429: error(_("Too many scans; see Retry-After.")),
        },
    )
    def post(self, request: Request) -> Response:
        """Scan a company's website and preview what adding it would create. Nothing
        is written. Shares the web wizard's limit of scans per user and hour."""
        user = api_account(request)
        # The web wizard's limit, counted in the same place: web and API scans add up.
        if is_ratelimited(
            request._request,
            group="competitors.scan",
            key="user",
            rate=DISCOVERY_RATE,
            method="POST",
            increment=True,
        ):
            raise exceptions.Throttled(
                wait=3600,
                detail=gettext(
                    "You have scanned many websites recently. Please try again in an hour."
                ),
            )
        url = _validated(DiscoverRequestSerializer, request.data)["url"]
        # A scan holds a worker for up to a minute: one at a time per user.
        if not cache.add(_scan_lock(user), 1, SCAN_LOCK_SECONDS):
            raise Conflict(gettext("A scan of yours is still running. Please wait."))
        try:
            preview = _discover(url)
        finally:
            cache.delete(_scan_lock(user))
        existing = selectors.company_active_by_id(pk=preview.existing_company_id)
        data = preview.to_dict() | {
            "existing_company": existing.slug if existing else None,
            "preview": sign_preview(preview),
        }
        return Response(DiscoveryPreviewSerializer(data).data)


class DiscoverConfirmView(APIView):
    permission_classes = [IsAuthenticated, IsVerified]

    @extend_schema(
        request=DiscoveryConfirmSerializer,
        responses={
            200: OpenApiResponse(
                CompanyDetailSerializer,
                description=_("The company was already listed; its new sources were added."),
            ),
            201: OpenApiResponse(CompanyDetailSerializer, description=_("The company was added.")),
            400: INVALID,
            401: UNAUTHENTICATED,
            403: error(_("The email address is not confirmed yet.")),
            409: error(_("Another website's company already has this name.")),
        },
    )
    def post(self, request: Request) -> Response:
        """Create the previewed company and its sources, or add the sources to the
        company that already has this website. Idempotent."""
        preview: DiscoveryPreview = _validated(DiscoveryConfirmSerializer, request.data)["preview"]
        try:
            company, _created = competitor_create_from_preview(preview=preview, merge_by_name=False)
        except NameTakenError:
            raise Conflict(
                gettext(
                    "A company called %(name)s is already listed with another website. "
                    "If this is the same company, ask an administrator to add the website."
                )
                % {"name": preview.name}
            ) from None
        except DjangoValidationError:
            logger.warning("preview of %s could not be saved", preview.website, exc_info=True)
            raise exceptions.ValidationError(
                {"preview": [gettext("This company could not be added. Please try again.")]}
            ) from None
        # Merging into a company operators retired answers it too, though it stays unlisted.
        detail = selectors.company_detail_get(
            user=request.user, slug=company.slug, active_only=False
        )
        merged = preview.existing_company_id == company.pk
        return Response(
            CompanyDetailSerializer(detail).data,
            status=status.HTTP_200_OK if merged else status.HTTP_201_CREATED,
        )


# ---------------------------------------------------------------- sources


def _raise_invalid(error: DjangoValidationError) -> NoReturn:
    fields = (
        error.message_dict if hasattr(error, "error_dict") else {"non_field_errors": error.messages}
    )
    raise exceptions.ValidationError(fields)


class SourceListView(generics.ListAPIView[Source]):
    serializer_class = SourceSerializer

    permission_classes = [IsAuthenticated, ReadOrStaff]

    def get_queryset(self) -> QuerySet[Source]:
        filters = _validated(SourceFilterSerializer, self.request.query_params)
        return selectors.sources_visible(
            user=self.request.user,
            company_slug=filters.get("company", ""),
            status=filters.get("status", ""),
            source_type=filters.get("source_type", ""),
            kind=filters.get("kind", ""),
        )

    @extend_schema(
        parameters=[SourceFilterSerializer],
        responses={
            200: SourceSerializer(many=True),
            400: INVALID,
            401: UNAUTHENTICATED,
            404: NO_PAGE,
        },
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Sources with their fetch health. Staff see every source, others those of
        listed companies."""
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=SourceWriteSerializer,
        responses={201: SourceSerializer, 400: INVALID, 401: UNAUTHENTICATED, 403: STAFF_ONLY},
    )
    def post(self, request: Request) -> Response:
        """Add a source (staff). It is fetched at the next dispatch."""
        values = _validated(SourceWriteSerializer, request.data)
        try:
            source = services.source_create(
                url=values["url"],
                company=values.get("company"),
                kind=values.get("kind", Source.Kind.FEED),
                source_type=values.get("source_type", Source.SourceType.BLOG),
                name=values.get("name", ""),
                css_selector=values.get("css_selector", ""),
            )
        except DjangoValidationError as error:
            _raise_invalid(error)
        return Response(self._represent(source.pk), status=status.HTTP_201_CREATED)

    def _represent(self, pk: int) -> Any:
        source = selectors.sources_visible(user=self.request.user).get(pk=pk)
        return SourceSerializer(source, context={"request": self.request}).data


class _SourceObjectView(APIView):
    def _source(self, request: Request, pk: int) -> Source:
        source = selectors.sources_visible(user=request.user).filter(pk=pk).first()
        if source is None:
            raise exceptions.NotFound
        return source

    def _represent(self, request: Request, pk: int) -> Any:
        return SourceSerializer(self._source(request, pk), context={"request": request}).data


class SourceDetailView(_SourceObjectView):
    permission_classes = [IsAuthenticated, ReadOrStaff]

    @extend_schema(responses={200: SourceSerializer, 401: UNAUTHENTICATED, 404: NOT_FOUND})
    def get(self, request: Request, pk: int) -> Response:
        """A source with its status, last fetch outcome and next fetch time."""
        return Response(self._represent(request, pk))

    @extend_schema(
        request=SourceWriteSerializer(partial=True),
        responses={
            200: SourceSerializer,
            400: INVALID,
            401: UNAUTHENTICATED,
            403: STAFF_ONLY,
            404: NOT_FOUND,
        },
    )
    def patch(self, request: Request, pk: int) -> Response:
        """Change a source (staff). Only the fields sent change."""
        source = self._source(request, pk)
        serializer = SourceWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        try:
            services.source_update(source=source, values=dict(serializer.validated_data))
        except DjangoValidationError as error:
            _raise_invalid(error)
        return Response(self._represent(request, pk))


_ACTION_RESPONSES: dict[int, Any] = {
    401: UNAUTHENTICATED,
    403: STAFF_ONLY,
    404: NOT_FOUND,
}


class SourcePauseView(_SourceObjectView):
    permission_classes = [IsStaff]

    @extend_schema(request=None, responses={200: SourceSerializer, **_ACTION_RESPONSES})
    def post(self, request: Request, pk: int) -> Response:
        """Stop fetching a source until it is resumed (staff)."""
        services.source_pause(source=self._source(request, pk))
        return Response(self._represent(request, pk))


class SourceResumeView(_SourceObjectView):
    permission_classes = [IsStaff]

    @extend_schema(request=None, responses={200: SourceSerializer, **_ACTION_RESPONSES})
    def post(self, request: Request, pk: int) -> Response:
        """Fetch a paused or failing source again: active, failures reset, due now (staff)."""
        services.source_reactivate(source=self._source(request, pk))
        return Response(self._represent(request, pk))


class SourceFetchView(_SourceObjectView):
    permission_classes = [IsStaff]

    @extend_schema(
        request=None,
        responses={
            202: OpenApiResponse(SourceSerializer, description=_("A fetch is queued.")),
            409: error(_("The source is paused; resume it first.")),
            **_ACTION_RESPONSES,
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        """Queue a fetch of the source now (staff)."""
        source = self._source(request, pk)
        if not services.source_fetch_now(source=source):
            raise Conflict(gettext("This source is paused. Resume it to fetch it."))
        return Response(self._represent(request, pk), status=status.HTTP_202_ACCEPTED)
