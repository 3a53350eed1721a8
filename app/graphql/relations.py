"""Relations between node types: one small function per relation, resolved through a DataLoader.

A field of a relation is a plain (not `async`) method that returns `then(loader.load(key),
convert)`. graphql-core awaits whatever awaitable a resolver returns, so a relation whose value
is not loaded yet costs one coroutine; one whose value is already loaded (a list resolver primed
the loaders for its page: app.graphql.priming) is converted and returned at once, without a task,
an `await` or Strawberry's async resolver path. On a list of 50 cases with their orders, last
messages, authors and refunds this is most of the fields of the page.

`then` is typed as returning the converted value: that is what GraphQL resolves the field to, and
what Strawberry reads from the annotations of the resolvers that use it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar, cast

T = TypeVar("T")
R = TypeVar("R")


def then(
    future: Awaitable[T],
    convert: Callable[[T], R],
    translate: Callable[[BaseException], BaseException | None] | None = None,
) -> R:
    """`convert(value of future)`: at once when the future is done, else when it is.

    `translate` turns a failure of the load into the error the field reports (None: as is)."""
    if isinstance(future, asyncio.Future) and future.done():
        if translate is not None:
            failure = future.exception()
            if failure is not None:
                raise (translate(failure) or failure) from None
        return convert(future.result())
    return cast(R, _later(future, convert, translate))


def or_none(convert: Callable[[T], R]) -> Callable[[T | None], R | None]:
    """`convert` for a relation that may be absent: a missing value (None) stays None."""

    def converted(value: T | None) -> R | None:
        return None if value is None else convert(value)

    return converted


def required(convert: Callable[[T], R]) -> Callable[[T | None], R]:
    """`convert` for a relation a foreign key guarantees (a case's customer, a refund's case):
    a missing value is a bug, not a null."""

    def converted(value: T | None) -> R:
        if value is None:  # pragma: no cover - the foreign key keeps it
            raise LookupError("a relation the schema guarantees is missing")
        return convert(value)

    return converted


async def _later(
    future: Awaitable[T],
    convert: Callable[[T], R],
    translate: Callable[[BaseException], BaseException | None] | None,
) -> R:
    try:
        value = await future
    except Exception as exc:
        if translate is None:
            raise
        raise (translate(exc) or exc) from None
    return convert(value)
