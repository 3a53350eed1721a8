"""Keyset pagination in SQL: the row-value conditions a cursor's position (adapters.cursors)
becomes, with typed binds."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import literal, tuple_
from sqlalchemy.types import String

from adapters.cursors import Key
from adapters.sql.tables import UtcDateTime


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
