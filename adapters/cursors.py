"""Opaque keyset cursors, one format for every keyset-paginated list of the adapters.

A cursor is url-safe base64 (unpadded) of JSON `[kind, key, id]`: the kind names the list, so a
cursor of one list is refused by another; the key is the sort key (an ISO 8601 timestamp, or a
name) and the id breaks ties. Anything that is not a cursor of the kind asked for is
ValidationFailed on `after`. Event lists use the log sequence instead (domain.live).
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime

from domain.errors import ValidationFailed

MAX_CURSOR_LENGTH = 512

Key = datetime | str


def _invalid_cursor() -> ValidationFailed:
    return ValidationFailed.single("after", "is not a valid cursor for this list")


def encode_cursor(kind: str, key: Key, item_id: str) -> str:
    text = key.isoformat() if isinstance(key, datetime) else key
    raw = json.dumps([kind, text, item_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_name_cursor(kind: str, cursor: str) -> tuple[str, str]:
    """The (name, id) of a cursor of `kind`."""
    if not cursor or len(cursor) > MAX_CURSOR_LENGTH:
        raise _invalid_cursor()
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        decoded = json.loads(
            base64.b64decode(padded.encode("ascii"), altchars=b"-_", validate=True)
        )
        if not (isinstance(decoded, list) and len(decoded) == 3 and decoded[0] == kind):
            raise ValueError("wrong shape")
        _, key, item_id = decoded
        if not isinstance(key, str) or not isinstance(item_id, str) or not item_id:
            raise ValueError("wrong types")
        if not (key.isprintable() and item_id.isprintable()):  # e.g. NUL: PostgreSQL refuses it
            raise ValueError("unprintable")
    except (ValueError, UnicodeError, binascii.Error, json.JSONDecodeError) as exc:
        raise _invalid_cursor() from exc
    return key, item_id


def decode_cursor(kind: str, cursor: str) -> tuple[datetime, str]:
    """The (timestamp, id) of a cursor of `kind`; the timestamp must carry its zone."""
    stamp, item_id = decode_name_cursor(kind, cursor)
    try:
        created_at = datetime.fromisoformat(stamp)
    except ValueError as exc:
        raise _invalid_cursor() from exc
    if created_at.tzinfo is None:
        raise _invalid_cursor()
    return created_at, item_id
