"""Typed decorators for resolver fields: `@field(description=...)`, `@mutation(...)`,
`@subscription(...)`; `@mutation` also applies the mutations' naming conventions (API.md).

Strawberry types `strawberry.field(...)` called with arguments as returning `Any`, so under
`mypy --strict` every resolver it decorates would become untyped ([untyped-decorator]) and its
body unchecked. These wrappers pass the same arguments to Strawberry and tell mypy what Strawberry
itself says for the bare `@strawberry.field`: the decorated method keeps its signature.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar, cast, get_origin, get_type_hints

import strawberry
from strawberry.permission import BasePermission
from strawberry.types.arguments import StrawberryArgumentAnnotation
from strawberry.types.union import StrawberryUnion
from strawberry.utils.str_converters import to_camel_case

F = TypeVar("F", bound=Callable[..., Any])


def field(
    *,
    description: str,
    deprecation_reason: str | None = None,
    permission_classes: list[type[BasePermission]] | None = None,
) -> Callable[[F], F]:
    """`@strawberry.field(...)` on a resolver method, typed."""
    return cast(
        "Callable[[F], F]",
        strawberry.field(
            description=description,
            deprecation_reason=deprecation_reason,
            permission_classes=permission_classes,
        ),
    )


def mutation(
    *, description: str, permission_classes: list[type[BasePermission]] | None = None
) -> Callable[[F], F]:
    """`@strawberry.mutation(...)` on a resolver, typed, with the conventions every mutation
    shares applied here once: its result union (the resolver's return annotation, a plain
    `Success | SomeError | ...`) is named `<Mutation>Result`, and its single `input` argument
    gets the common description. A resolver that annotates either itself keeps its own."""

    def decorate(resolver: F) -> F:
        name = to_camel_case(resolver.__name__)
        hints = get_type_hints(resolver, include_extras=True)
        result, argument = hints["return"], hints.get("input")
        if get_origin(result) is not Annotated:
            resolver.__annotations__["return"] = Annotated[result, result_union(name)]
        if argument is not None and get_origin(argument) is not Annotated:
            resolver.__annotations__["input"] = Annotated[argument, input_argument(name)]
        return cast(
            "F",
            strawberry.mutation(description=description, permission_classes=permission_classes)(
                resolver
            ),
        )

    return decorate


def result_union(mutation: str) -> StrawberryUnion:
    """The result union of `mutation`, named `<Mutation>Result`."""
    name = mutation[0].upper() + mutation[1:] + "Result"
    return strawberry.union(name, description=f"The outcome of {mutation}.")


def input_argument(mutation: str) -> StrawberryArgumentAnnotation:
    """The annotation of a mutation's single `input` argument."""
    return strawberry.argument(description=f"Everything {mutation} needs, in one object.")


def subscription(*, description: str) -> Callable[[F], F]:
    """`@strawberry.subscription(...)` on a resolver method, typed."""
    return cast("Callable[[F], F]", strawberry.subscription(description=description))
