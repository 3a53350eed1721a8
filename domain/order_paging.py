"""Paging a customer's orders with one cursor per order, over an order system that only hands out
the cursor of a page's end.

The order system lists a customer's orders newest first and answers a page with `next_cursor`, the
position right after the page's last order. An order in the middle of a page has no cursor of its
own there, so the service composes one: `(base, offset, order id)`, "the order `offset` places
after the order system's cursor `base` (None: the start of the list), which is this order".
Resuming after it asks the order system for `offset + first` orders from `base` in one call and
starts right after the order with that id (by position when it is no longer listed there, e.g.
after orders were placed between two requests and the base is the start of the list); the last
edge of a page that has more carries the order system's own `next_cursor` (offset 0), so paging
by `pageInfo.endCursor` costs one call per page, as before.

Composite cursors are `oc1.` + base64url JSON; anything else is taken as a cursor of the order
system itself (what API 1.0 returned as endCursor), which keeps those working.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from domain.errors import ValidationFailed

PREFIX = "oc1."
MAX_OFFSET = 100  # = the largest page: offsets never exceed one order-system call's limit
MAX_BASE_LENGTH = 512


@dataclass(frozen=True, slots=True)
class OrderCursor:
    base: str | None  # the order system's cursor (None: the start of the list)
    offset: int  # 0: right at `base`; n: right after the n-th order from `base`
    order_id: str | None  # the order at `offset` (None when offset is 0)


def _invalid() -> ValidationFailed:
    return ValidationFailed.single("after", "is not a valid cursor")


def encode_order_cursor(cursor: OrderCursor) -> str:
    raw = json.dumps([cursor.base, cursor.offset, cursor.order_id], separators=(",", ":"))
    return PREFIX + base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_order_cursor(cursor: str) -> OrderCursor:
    if not cursor or len(cursor) > 4 * MAX_BASE_LENGTH:
        raise _invalid()
    if not cursor.startswith(PREFIX):
        if len(cursor) > MAX_BASE_LENGTH:
            raise _invalid()
        return OrderCursor(base=cursor, offset=0, order_id=None)  # an order-system cursor (1.0)
    body = cursor[len(PREFIX) :]
    try:
        value = json.loads(base64.b64decode(body + "=" * (-len(body) % 4), altchars=b"-_"))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise _invalid() from None
    if not (isinstance(value, list) and len(value) == 3):
        raise _invalid()
    base, offset, order_id = value
    if base is not None and (not isinstance(base, str) or not base or len(base) > MAX_BASE_LENGTH):
        raise _invalid()
    if isinstance(offset, bool) or not isinstance(offset, int) or not 0 <= offset <= MAX_OFFSET:
        raise _invalid()
    if offset == 0 and order_id is not None:
        raise _invalid()
    if offset > 0 and (not isinstance(order_id, str) or not order_id):
        raise _invalid()
    return OrderCursor(base=base, offset=offset, order_id=order_id)
