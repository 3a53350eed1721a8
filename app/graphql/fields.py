"""Typed decorators for resolver fields: `@field(description=...)`, `@mutation(...)`,
`@subscription(...)`.

Strawberry types `strawberry.field(...)` called with arguments as returning `Any`, so under
`mypy --strict` every resolver it decorates would become untyped ([untyped-decorator]) and its
body unchecked. These wrappers pass the same arguments to Strawberry and tell mypy what Strawberry
itself says for the bare `@strawberry.field`: the decorated method keeps its signature.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import strawberry
from strawberry.permission import BasePermission

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
    """`@strawberry.mutation(...)` on a resolver, typed."""
    return cast(
        "Callable[[F], F]",
        strawberry.mutation(description=description, permission_classes=permission_classes),
    )


def subscription(*, description: str) -> Callable[[F], F]:
    """`@strawberry.subscription(...)` on a resolver method, typed."""
    return cast("Callable[[F], F]", strawberry.subscription(description=description))
