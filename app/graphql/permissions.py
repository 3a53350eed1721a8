"""Permission classes: decided from the token's claims alone (no I/O)."""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission

from app.graphql.context import Info
from app.graphql.errors import ForbiddenError
from domain.users import Role


class IsAuthenticated(BasePermission):
    message = "Log in first: send Authorization: Bearer <token>"
    error_extensions = {"code": "UNAUTHENTICATED"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        info.context.require_principal()
        return True


class IsAgent(BasePermission):
    """Agents and admins."""

    message = "Only agents and admins may do this"
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return info.context.require_principal().is_staff

    def on_unauthorized(self) -> None:
        raise ForbiddenError(self.message)  # a public error: not masked as "Unexpected error."


class IsAdmin(BasePermission):
    """Admins only (user administration and the audit log)."""

    message = "Only admins may do this"
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return info.context.require_principal().role is Role.ADMIN

    def on_unauthorized(self) -> None:
        raise ForbiddenError(self.message)
