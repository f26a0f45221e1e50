"""One JSON error format for the whole API.

    {"error": {"status": 400, "code": "invalid", "message": "…", "fields": {"email": ["…"]}}}

`fields` appears only for validation errors: field name to messages, with
"non_field_errors" for errors about the request as a whole.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler


def error_body(*, status: int, code: str, message: str, fields: Any = None) -> dict[str, Any]:
    error: dict[str, Any] = {"status": status, "code": code, "message": message}
    if fields is not None:
        error["fields"] = fields
    return {"error": error}


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    response = exception_handler(exc, context)
    if response is None:
        return None  # an unexpected exception: Django's 500 handling takes over
    if isinstance(exc, exceptions.ValidationError):
        fields = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = error_body(
            status=response.status_code,
            code="invalid",
            message=_("The request has invalid fields."),
            fields=fields,
        )
    elif isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        response.data = error_body(
            status=response.status_code,
            code=codes if isinstance(codes, str) else exc.default_code,
            message=str(exc.detail) if not isinstance(exc.detail, dict | list) else str(exc),
        )
    else:  # Http404 and PermissionDenied, which DRF turns into responses itself
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
        code = "not_found" if response.status_code == 404 else "permission_denied"
        response.data = error_body(status=response.status_code, code=code, message=str(detail))
    return response


@csrf_exempt  # a 404 changes nothing, and must not turn into the HTML CSRF page
def api_not_found(request: HttpRequest) -> JsonResponse:
    """A 404 for an API path that matches no route, in the API's format."""
    return JsonResponse(
        error_body(status=404, code="not_found", message=_("No such endpoint.")), status=404
    )


def api_server_error(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        error_body(status=500, code="server_error", message=_("Something went wrong.")),
        status=500,
    )
