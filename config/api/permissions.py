from __future__ import annotations

from rest_framework import exceptions
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from accounts.models import User


class IsStaff(BasePermission):
    """Operators only (is_staff and active)."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_active and user.is_staff)


def api_account(request: Request) -> User:
    """The account of a request that IsAuthenticated has already let through."""
    user = request.user
    if not isinstance(user, User):
        raise exceptions.NotAuthenticated
    return user
