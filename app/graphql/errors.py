"""Top-level GraphQL errors we mean to show (everything else is masked)."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError

from domain.errors import ValidationFailed


class PublicError(Exception):
    """An error whose message is safe to show; carries `extensions.code`."""

    code = "BAD_REQUEST"

    def __init__(self, message: str, **extensions: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extensions = {"code": self.code, **extensions}


class Unauthenticated(PublicError):
    code = "UNAUTHENTICATED"

    def __init__(self, message: str = "Log in first: send Authorization: Bearer <token>") -> None:
        super().__init__(message)


class ForbiddenError(PublicError):
    code = "FORBIDDEN"

    def __init__(self, message: str = "Your role may not do this") -> None:
        super().__init__(message)


class NotFoundError(PublicError):
    code = "NOT_FOUND"


class OrderUnavailableError(PublicError):
    code = "ORDER_UNAVAILABLE"


def is_public(error: GraphQLError) -> bool:
    original = error.original_error
    if original is None:
        return True  # syntax and validation errors from graphql-core itself
    return isinstance(original, PublicError)


def should_mask(error: GraphQLError) -> bool:
    return not is_public(error)


class InvalidArgument(PublicError):
    code = "BAD_USER_INPUT"


class ServiceUnavailable(PublicError):
    code = "SERVICE_UNAVAILABLE"


def argument_error(exc: ValidationFailed) -> InvalidArgument:
    """A domain validation error about an argument, worded after it: "first must be between 1
    and 100" (the wording of the arguments that resolvers check before any read)."""
    return InvalidArgument("; ".join(f"{f.field} {f.message}" for f in exc.fields))
