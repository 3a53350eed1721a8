"""The shared tail of every mutation: domain errors become union members; Forbidden is
a top-level error."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

from app.graphql.errors import ForbiddenError
from app.graphql.types.errors import Error, to_graphql_error
from domain.errors import DomainError, Forbidden

T = TypeVar("T")


async def run(work: Awaitable[T]) -> T | Error:
    try:
        return await work
    except Forbidden as exc:
        raise ForbiddenError(exc.message) from None
    except DomainError as exc:
        return to_graphql_error(exc)


def internal_id(global_id: str, type_name: str, what: str) -> str:
    """Decode a global id of the expected type; anything else is simply not found."""
    from app.graphql.ids import decode_expected
    from domain.errors import NotFound

    decoded = decode_expected(global_id, type_name)
    if decoded is None:
        raise NotFound(what)
    return decoded
