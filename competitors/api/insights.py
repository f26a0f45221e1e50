"""Insights API: compare companies, their shared and unique themes, one company's
activity and its most similar companies, and each user's saved comparisons.

Periods are whole UTC days, as every time in the API. Saved comparisons are
per user: another user's answers 404, staff included, and is never changed.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any, NoReturn

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import slug_re
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from competitors import selectors, services
from competitors.activity import company_activity, comparison_build, period_last_days
from competitors.api.insight_serializers import (
    ActivityQuerySerializer,
    CompaniesPeriodSerializer,
    CompanyActivityReportSerializer,
    ComparisonSerializer,
    SavedComparisonSerializer,
    SavedComparisonWriteSerializer,
    SimilarCompanySerializer,
    SimilarQuerySerializer,
    ThemesSerializer,
)
from competitors.models import Company, SavedComparison
from competitors.similarity import similar_companies
from competitors.themes import themes_cached
from config.api.permissions import api_account
from config.api.schema import (
    INVALID,
    NO_PAGE,
    THROTTLED,
    UNAUTHENTICATED,
    UNSUPPORTED_MEDIA,
    error,
)

COMPANY_NOT_FOUND = error(_("No such listed company."))
COMPARISON_NOT_FOUND = error(_("No such comparison among yours."))
# Every operation here answers these besides its own.
COMMON: dict[int, Any] = {401: UNAUTHENTICATED, 429: THROTTLED}
WITH_BODY: dict[int, Any] = {**COMMON, 400: INVALID, 415: UNSUPPORTED_MEDIA}


def _validated(
    serializer_class: type[serializers.Serializer[Any]], data: Any, **kwargs: Any
) -> dict[str, Any]:
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _raise_invalid(error: DjangoValidationError) -> NoReturn:
    fields = (
        error.message_dict if hasattr(error, "error_dict") else {"non_field_errors": error.messages}
    )
    raise exceptions.ValidationError(fields)


def _listed_company(slug: str) -> Company:
    # Anything no slug can be (a NUL byte, say, which the database would refuse)
    # is a 404 before any query.
    company = (
        selectors.companies_active().filter(slug=slug).first() if slug_re.fullmatch(slug) else None
    )
    if company is None:
        raise exceptions.NotFound
    return company


# ---------------------------------------------------------------- comparing


class CompareView(APIView):
    @extend_schema(
        operation_id="competitors_compare",
        request=CompaniesPeriodSerializer,
        responses={200: ComparisonSerializer, **WITH_BODY},
    )
    def post(self, request: Request) -> Response:
        """Activity of 2 to 5 companies side by side over the same UTC days: volume,
        category mix, daily and weekly counts, top items and the activity score.
        Writes nothing."""
        values = _validated(CompaniesPeriodSerializer, request.data)
        comparison = comparison_build(companies=values["companies"], period=values["period"])
        return Response(ComparisonSerializer(comparison).data)


class ThemesView(APIView):
    @extend_schema(
        operation_id="competitors_themes",
        request=CompaniesPeriodSerializer,
        responses={200: ThemesSerializer, **WITH_BODY},
    )
    def post(self, request: Request) -> Response:
        """The themes (recurring keywords) 2 to 5 companies share over the same UTC
        days, and those only one of them has. Writes nothing."""
        values = _validated(CompaniesPeriodSerializer, request.data)
        companies = values["companies"]
        themes = themes_cached(companies=companies, period=values["period"])
        return Response(ThemesSerializer(themes, context={"companies": companies}).data)


# ---------------------------------------------------------------- one company


class CompanyActivityView(APIView):
    @extend_schema(
        operation_id="companies_activity",
        parameters=[ActivityQuerySerializer],
        responses={
            200: CompanyActivityReportSerializer,
            400: INVALID,
            404: COMPANY_NOT_FOUND,
            **COMMON,
        },
    )
    def get(self, request: Request, slug: str) -> Response:
        """A listed company's activity over the last `days` UTC days, today included."""
        company = _listed_company(slug)
        days = _validated(ActivityQuerySerializer, request.query_params)["days"]
        activity = company_activity(company=company, period=period_last_days(days=days, tz=UTC))
        return Response(CompanyActivityReportSerializer(activity).data)


class SimilarCompaniesView(APIView):
    @extend_schema(
        operation_id="companies_similar",
        parameters=[SimilarQuerySerializer],
        responses={
            200: SimilarCompanySerializer(many=True),
            400: INVALID,
            404: COMPANY_NOT_FOUND,
            **COMMON,
        },
    )
    def get(self, request: Request, slug: str) -> Response:
        """The listed companies most like this one (by category mix, kinds of sources,
        volume of news and segment), most similar first, each with a one-line reason."""
        company = _listed_company(slug)
        limit = _validated(SimilarQuerySerializer, request.query_params)["limit"]
        similar = similar_companies(company=company, limit=limit)
        return Response(SimilarCompanySerializer(similar, many=True).data)


# ---------------------------------------------------------------- saved comparisons


def _comparison(request: Request, pk: int) -> SavedComparison:
    comparison = selectors.saved_comparison_get(user=api_account(request), pk=pk)
    if comparison is None:
        raise exceptions.NotFound
    return comparison


def _represent(request: Request, pk: int) -> Any:
    # Read back through the selector: the answer shows exactly what a GET would.
    return SavedComparisonSerializer(_comparison(request, pk)).data


class SavedComparisonListView(generics.ListAPIView[SavedComparison]):
    serializer_class = SavedComparisonSerializer

    def get_queryset(self) -> QuerySet[SavedComparison]:
        return selectors.saved_comparisons_for(user=api_account(self.request))

    @extend_schema(
        operation_id="comparisons_list",
        responses={200: SavedComparisonSerializer(many=True), 404: NO_PAGE, **COMMON},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Your saved comparisons, newest first."""
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="comparisons_create",
        request=SavedComparisonWriteSerializer,
        responses={201: SavedComparisonSerializer, **WITH_BODY},
    )
    def post(self, request: Request) -> Response:
        """Save 2 to 5 companies under a name of your own (unique among yours), with a
        rolling period (`days`) or a fixed one (`date_from` and `date_to`)."""
        user = api_account(request)
        values = _validated(SavedComparisonWriteSerializer, request.data, context={})
        try:
            comparison = services.saved_comparison_create(user=user, **values)
        except DjangoValidationError as invalid:
            _raise_invalid(invalid)
        return Response(_represent(request, comparison.pk), status=status.HTTP_201_CREATED)


class SavedComparisonDetailView(APIView):
    @extend_schema(
        operation_id="comparisons_retrieve",
        responses={200: SavedComparisonSerializer, 404: COMPARISON_NOT_FOUND, **COMMON},
    )
    def get(self, request: Request, pk: int) -> Response:
        """One of your saved comparisons."""
        return Response(_represent(request, pk))

    def _update(self, request: Request, pk: int, *, partial: bool) -> Response:
        comparison = _comparison(request, pk)
        values = _validated(
            SavedComparisonWriteSerializer,
            request.data,
            partial=partial,
            context={"comparison": comparison},
        )
        try:
            services.saved_comparison_update(comparison=comparison, **values)
        except DjangoValidationError as invalid:
            _raise_invalid(invalid)
        return Response(_represent(request, pk))

    @extend_schema(
        operation_id="comparisons_update",
        request=SavedComparisonWriteSerializer,
        responses={200: SavedComparisonSerializer, 404: COMPARISON_NOT_FOUND, **WITH_BODY},
    )
    def put(self, request: Request, pk: int) -> Response:
        """Replace a saved comparison: name and companies are needed; without a period,
        the last 30 days."""
        return self._update(request, pk, partial=False)

    @extend_schema(
        operation_id="comparisons_partial_update",
        request=SavedComparisonWriteSerializer(partial=True),
        responses={200: SavedComparisonSerializer, 404: COMPARISON_NOT_FOUND, **WITH_BODY},
    )
    def patch(self, request: Request, pk: int) -> Response:
        """Change what is sent. `days` makes the period rolling; a date makes it fixed,
        keeping the other date of a fixed period."""
        return self._update(request, pk, partial=True)

    @extend_schema(
        operation_id="comparisons_destroy",
        responses={
            204: OpenApiResponse(description=_("The comparison is deleted.")),
            404: COMPARISON_NOT_FOUND,
            **COMMON,
        },
    )
    def delete(self, request: Request, pk: int) -> Response:
        """Delete one of your saved comparisons."""
        if not services.saved_comparison_delete(user=api_account(request), comparison_id=pk):
            raise exceptions.NotFound
        return Response(status=status.HTTP_204_NO_CONTENT)
