"""`OrderSystem` (domain.ports) over HTTP/JSON with httpx.

Every call has timeouts (connect/read/write/pool, plus an overall deadline that also holds for
in-process transports such as `httpx.ASGITransport`, which ignore httpx timeouts). Network errors,
timeouts, 5xx and any other unexpected status, undecodable JSON and payloads of the wrong shape all
raise `domain.errors.OrderSystemUnavailable`; its message names the failure and the request path,
never the host or credentials of the base URL.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx

from adapters.http_service import HttpServiceClient
from adapters.order_system.codec import MalformedOrder, order_from_json, order_to_json
from domain.errors import OrderSystemUnavailable, ValidationFailed
from domain.orders import Order, OrderPage
from domain.ports import Clock

__all__ = [
    "MAX_BATCH_IDS",
    "MAX_PAGE_SIZE",
    "HttpOrderSystem",
    "MalformedOrder",
    "order_from_json",
    "order_to_json",
]

MAX_BATCH_IDS = 100
MAX_PAGE_SIZE = 100
_MAX_CURSOR = 1000


class _UtcClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class HttpOrderSystem(HttpServiceClient):
    """The order system's HTTP API: `GET /orders?ids=...` and `GET /customers/{id}/orders`.

    `base_url` may carry a path prefix (e.g. `http://127.0.0.1:8000/_sim/orders`). Pass `client`
    to reuse an existing `httpx.AsyncClient` (e.g. one with `transport=httpx.ASGITransport(app)`
    for the embedded simulator); it is then the caller's to close, otherwise `aclose()` closes the
    client made here. `clock` stamps `Order.as_of` (default: the system clock, UTC)."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 3.0,
        client: httpx.AsyncClient | None = None,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(base_url, timeout=timeout, client=client)
        self._clock: Clock = clock or _UtcClock()

    # -- OrderSystem ------------------------------------------------------------------------

    async def get_orders(self, order_ids: Sequence[str]) -> dict[str, Order]:
        """Batch lookup, one request per 100 distinct ids; unknown ids are absent.

        Ids that cannot exist (empty, or containing the batch separator ",") are treated as
        unknown without asking. Orders the server returns that were not asked for are dropped."""
        if isinstance(order_ids, str):
            raise TypeError("order_ids must be a sequence of ids, not a string")
        wanted = list(dict.fromkeys(i for i in order_ids if i and "," not in i))
        found: dict[str, Order] = {}
        for start in range(0, len(wanted), MAX_BATCH_IDS):
            chunk = wanted[start : start + MAX_BATCH_IDS]
            path = "/orders"
            payload = await self._get_json(path, {"ids": ",".join(chunk)})
            as_of = self._clock.now()
            raw_orders = _list_field(payload, "orders", path)
            asked = set(chunk)
            for order in self._parse_orders(raw_orders, as_of, path):
                if order.id in asked:
                    found[order.id] = order
        return found

    async def get_orders_fresh(self, order_ids: Sequence[str]) -> dict[str, Order]:
        """Every call here goes to the order system: the plain client never caches."""
        return await self.get_orders(order_ids)

    async def list_customer_orders(
        self, customer_id: str, *, limit: int, cursor: str | None = None
    ) -> OrderPage:
        """One page of the customer's orders, newest first; `next_cursor` None on the last page."""
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE_SIZE:
            raise ValueError(f"limit must be an integer in 1..{MAX_PAGE_SIZE}")
        if not customer_id:
            raise ValueError("customer_id must not be empty")
        path = f"/customers/{quote(customer_id, safe='')}/orders"
        params: dict[str, str] = {"limit": str(limit)}
        if cursor:
            # The cursor comes from the caller: a forged one is the caller's mistake (as with the
            # in-memory adapter), not an outage that retries and the circuit breaker should count.
            if len(cursor) > _MAX_CURSOR:
                raise ValidationFailed.single("after", "is not a valid cursor")
            params["cursor"] = cursor
        payload = await self._get_json(
            path, params, invalid_on_400=("after", "is not a valid cursor") if cursor else None
        )
        as_of = self._clock.now()
        orders = self._parse_orders(_list_field(payload, "orders", path), as_of, path)
        for order in orders:
            if order.customer_id != customer_id:
                raise OrderSystemUnavailable(
                    f"order system GET {path}: returned an order of another customer"
                )
        if len(orders) > limit:
            raise OrderSystemUnavailable(f"order system GET {path}: more orders than the limit")
        next_cursor = payload.get("next_cursor")
        if next_cursor is not None and (
            not isinstance(next_cursor, str) or not next_cursor or len(next_cursor) > _MAX_CURSOR
        ):
            raise OrderSystemUnavailable(
                f"order system GET {path}: malformed payload: next_cursor must be a string or null"
            )
        return OrderPage(orders=tuple(orders), next_cursor=next_cursor)

    # -- internals --------------------------------------------------------------------------

    def _parse_orders(self, raw_orders: list[Any], as_of: datetime, path: str) -> list[Order]:
        try:
            return [order_from_json(raw, as_of) for raw in raw_orders]
        except MalformedOrder as exc:
            raise OrderSystemUnavailable(
                f"order system GET {path}: malformed payload: {exc}"
            ) from exc

    async def _get_json(
        self,
        path: str,
        params: dict[str, str],
        invalid_on_400: tuple[str, str] | None = None,
    ) -> dict[str, Any]:
        """`invalid_on_400`: (field, message) of the ValidationFailed that a 400 answer means."""
        what = f"order system GET {path}"
        response = await self._send(
            "GET",
            self._base_url + path,
            what=what,
            failed=OrderSystemUnavailable,
            params=params,
            headers={"Accept": "application/json"},
        )
        if response.status_code >= 500:
            raise OrderSystemUnavailable(f"{what}: server error {response.status_code}")
        if response.status_code == 400 and invalid_on_400 is not None:
            raise ValidationFailed.single(*invalid_on_400)
        if response.status_code != 200:
            raise OrderSystemUnavailable(f"{what}: unexpected status {response.status_code}")
        try:
            payload = json.loads(response.content)
        except (ValueError, RecursionError) as exc:
            raise OrderSystemUnavailable(f"{what}: malformed payload: invalid JSON") from exc
        if not isinstance(payload, dict):
            raise OrderSystemUnavailable(
                f"{what}: malformed payload: expected an object, got {type(payload).__name__}"
            )
        return payload


def _list_field(payload: dict[str, Any], key: str, path: str) -> list[Any]:
    value = payload.get(key)
    if not isinstance(value, list):
        raise OrderSystemUnavailable(
            f"order system GET {path}: malformed payload: {key!r} must be a list"
        )
    return value
