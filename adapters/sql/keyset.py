"""Keyset pagination in SQL: the row-value conditions a cursor's position (adapters.cursors)
becomes, with typed binds, and the page statement and page built on them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, literal, tuple_
from sqlalchemy.engine import RowMapping
from sqlalchemy.types import String

from adapters.cursors import Key
from adapters.sql.tables import UtcDateTime
from domain.queries import Page

T = TypeVar("T")


def _bound(key: Key, item_id: str) -> Any:
    # Typed binds: a timestamp goes through UtcDateTime (UTC text on SQLite, timestamptz on PG).
    key_type = UtcDateTime() if isinstance(key, datetime) else String()
    return tuple_(literal(key, key_type), literal(item_id, String()))


def before(key_col: Any, id_col: Any, key: Key, item_id: str) -> Any:
    """The rows before the cursor's (key, id) position: the next page of a descending list."""
    return tuple_(key_col, id_col) < _bound(key, item_id)


def after(key_col: Any, id_col: Any, key: Key, item_id: str) -> Any:
    """The rows after the cursor's (key, id) position: the next page of an ascending list."""
    return tuple_(key_col, id_col) > _bound(key, item_id)


def paged(
    stmt: Select[Any],
    key_col: Any,
    id_col: Any,
    *,
    position: tuple[Key, str] | None,
    first: int,
    descending: bool = False,
) -> Select[Any]:
    """`stmt` past a cursor's (key, id) `position` (None: from the start), in keyset order, and
    limited to one row more than a page: that row only tells whether a next page exists."""
    if position is not None:
        past = before if descending else after
        stmt = stmt.where(past(key_col, id_col, *position))
    order = (key_col.desc(), id_col.desc()) if descending else (key_col, id_col)
    return stmt.order_by(*order).limit(first + 1)


def page(
    rows: Sequence[RowMapping],
    first: int,
    to_domain: Callable[[RowMapping], T],
    cursor_of: Callable[[T], str],
) -> Page[T]:
    """The page of the rows of a `paged` statement: the first `first`, and whether there are
    more."""
    items = [to_domain(row) for row in rows[:first]]
    return Page(
        items=items, cursors=[cursor_of(item) for item in items], has_next_page=len(rows) > first
    )
