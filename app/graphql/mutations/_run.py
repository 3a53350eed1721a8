"""The shared tail of every mutation: domain errors become union members; Forbidden is
a top-level error.

"The order system is unavailable" is the `OrderUnavailable` member for every mutation (API 1.1).
The refund mutations answered RefundNotAllowed{denial: ORDER_UNAVAILABLE} in 1.0; a union member
that a released client never selected would reach it as an empty object, so they answer
OrderUnavailable only to a caller whose selection names it (`... on OrderUnavailable`, directly
or through fragments), and the deprecated RefundNotAllowed form to everyone else.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionSetNode,
)

from app.graphql.context import Info
from app.graphql.errors import ForbiddenError
from app.graphql.types.errors import Error, OrderUnavailable, to_graphql_error
from domain.errors import DomainError, ErrorCode, Forbidden, RefundDenial, RefundNotAllowed

T = TypeVar("T")
R = TypeVar("R")


async def run(work: Awaitable[T], info: Info | None = None) -> T | Error:
    """`info`: pass it where RefundNotAllowed{ORDER_UNAVAILABLE} may come out (see above)."""
    try:
        return await work
    except Forbidden as exc:
        raise ForbiddenError(exc.message) from None
    except RefundNotAllowed as exc:
        if (
            exc.denial is RefundDenial.ORDER_UNAVAILABLE
            and info is not None
            and selects_type(info, "OrderUnavailable")
        ):
            return OrderUnavailable(message=exc.message, code=ErrorCode.ORDER_UNAVAILABLE)
        return to_graphql_error(exc)
    except DomainError as exc:
        return to_graphql_error(exc)


async def run_then(
    work: Callable[[], Awaitable[T]], then: Callable[[T], R], info: Info | None = None
) -> R | Error:
    """`run` of `then(await work())`. `work` is called inside `run`, so what it raises while
    building its arguments (an id that does not decode: NotFound) becomes a union member too."""

    async def mapped() -> R:
        return then(await work())

    return await run(mapped(), info)


def selects_type(info: Info, type_name: str) -> bool:
    """Whether the current field's selection has a fragment on `type_name` (at any depth of
    fragments, not of fields)."""
    raw = info._raw_info
    fragments = raw.fragments
    seen: set[str] = set()

    def walk(selection_set: SelectionSetNode | None) -> bool:
        if selection_set is None:
            return False
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                continue
            if isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                if condition is not None and condition.name.value == type_name:
                    return True
                if walk(selection.selection_set):
                    return True
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment: FragmentDefinitionNode | None = fragments.get(name)
                if fragment is None or name in seen:
                    continue
                seen.add(name)
                if fragment.type_condition.name.value == type_name:
                    return True
                if walk(fragment.selection_set):
                    return True
        return False

    return any(walk(node.selection_set) for node in raw.field_nodes)


def case_id(global_id: str) -> str:
    """The internal id of a SupportCase.id argument (NotFound "Case" otherwise)."""
    return internal_id(global_id, "SupportCase", "Case")


def refund_id(global_id: str) -> str:
    """The internal id of a Refund.id argument (NotFound "Refund" otherwise)."""
    return internal_id(global_id, "Refund", "Refund")


def user_id(global_id: str) -> str:
    """The internal id of a User.id argument (NotFound "User" otherwise)."""
    return internal_id(global_id, "User", "User")


def internal_id(global_id: str, type_name: str, what: str) -> str:
    """Decode a global id of the expected type; anything else is simply not found."""
    from app.graphql.ids import decode_expected
    from domain.errors import NotFound

    decoded = decode_expected(global_id, type_name)
    if decoded is None:
        raise NotFound(what)
    return decoded
