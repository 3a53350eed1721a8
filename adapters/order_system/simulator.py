"""A stand-in for the shop's external order system: a small Starlette app speaking JSON over HTTP.

Endpoints (GET):
- `/orders?ids=a,b,c`: batch lookup, at most 100 ids -> `{"orders": [...]}`; unknown ids are absent.
- `/orders/{order_id}`: one order, or 404.
- `/customers/{customer_id}/orders?limit=20&cursor=...`: newest first (placed_at desc, then id)
  -> `{"orders": [...], "next_cursor": str | null}`; limit 1..100.
- `/healthz`.

Operator endpoint (what the shop's staff or carrier integration would do; not counted in `calls`,
not affected by `fail_status`/`delay_seconds`):
- `POST /_operator/orders/{order_id}/status` with `{"status": "SHIPPED" | "DELIVERED" |
  "CANCELLED"}`: changes the order (DELIVERED sets `delivered_at` = now; every change moves
  `updated_at` forward) and, when webhooks are configured
  (`OrderSimulatorState.configure_webhooks`), sends the signed event (order.updated /
  order.delivered / order.cancelled) in the background, with retries
  (adapters.order_system.webhook_sender).
  -> `{"order": ..., "webhook": {"id", "type"} | null}`; 404 unknown order, 400 bad status,
  409 a move the order's status does not allow.

Orders are plain JSON dicts held in memory by `OrderSimulatorState` (reachable as
`app.state.simulator`), which also counts the requests it served per endpoint (`calls`) and can be
told to answer slowly (`delay_seconds`) or with an error status (`fail_status`), so that tests can
count order-system calls and play "the order system is down".

Run standalone: `python -m adapters.order_system.simulator --port 9100`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import copy
import json
import logging
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from adapters.order_system.webhook_sender import WebhookDelivery, WebhookSender
from adapters.simulation import command_line, serve, state_of

ALICE_CUSTOMER_ID = "cust-alice"
BOB_CUSTOMER_ID = "cust-bob"

MAX_BATCH_IDS = 100
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20

# Keys of OrderSimulatorState.calls, one per endpoint.
CALL_BATCH = "batch"
CALL_ORDER = "order"
CALL_CUSTOMER_ORDERS = "customer_orders"
CALL_HEALTHZ = "healthz"

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# Which status an operator may move an order to, from each status.
STATUS_MOVES: dict[str, frozenset[str]] = {
    "PLACED": frozenset({"SHIPPED", "DELIVERED", "CANCELLED"}),
    "SHIPPED": frozenset({"DELIVERED", "CANCELLED"}),
    "DELIVERED": frozenset(),
    "CANCELLED": frozenset(),
}
EVENT_TYPES = {
    "SHIPPED": "order.updated",
    "DELIVERED": "order.delivered",
    "CANCELLED": "order.cancelled",
}


def iso_utc(value: datetime) -> str:
    """`2025-01-31T12:00:00Z` (microseconds kept when present)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("order timestamps must be timezone-aware")
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def make_order(
    *,
    id: str,
    number: str,
    customer_id: str,
    status: str,
    placed_at: datetime,
    lines: Sequence[tuple[str, str, int, int]],
    shipping: int = 0,
    currency: str = "USD",
    promised_delivery_date: date | None = None,
    delivered_at: datetime | None = None,
    payment_reference: str | None = None,
    updated_at: datetime | None = None,
) -> dict[str, Any]:
    """Build one order in the order system's JSON shape; the total is computed from the lines.

    `lines` are `(sku, name, quantity, unit_price_minor)`; line ids are `<order id>-l<n>`.
    `updated_at` (when the order last changed) defaults to delivered_at, else placed_at."""
    json_lines = [
        {
            "id": f"{id}-l{index}",
            "sku": sku,
            "name": name,
            "quantity": quantity,
            "unit_price": unit_price,
        }
        for index, (sku, name, quantity, unit_price) in enumerate(lines, start=1)
    ]
    total = sum(quantity * unit_price for _, _, quantity, unit_price in lines) + shipping
    return {
        "id": id,
        "number": number,
        "customer_id": customer_id,
        "status": status,
        "placed_at": iso_utc(placed_at),
        "promised_delivery_date": (
            promised_delivery_date.isoformat() if promised_delivery_date else None
        ),
        "delivered_at": iso_utc(delivered_at) if delivered_at else None,
        "currency": currency,
        "total": total,
        "shipping": shipping,
        "lines": json_lines,
        "payment_reference": payment_reference or f"pay_{id.replace('-', '_')}",
        "updated_at": iso_utc(updated_at or delivered_at or placed_at),
    }


# The demo orders: id, number, customer, status, placed (days ago), promised delivery (days from
# today; negative: in the past), delivered (days ago, or None), shipping and payment reference,
# then the lines (sku, title, quantity, unit price in cents).
_DEMO_ORDERS: tuple[
    tuple[str, str, str, str, int, int, int | None, int, str, list[tuple[str, str, int, int]]], ...
] = (
    ("ord-alice-1", "#1001", ALICE_CUSTOMER_ID, "DELIVERED", 8, -3, 3, 500, "pay_3f9a1c1001",
     [("HP-100", "Wireless headphones", 1, 4000), ("SPK-200", "Bluetooth speaker", 1, 7500)]),
    ("ord-alice-2", "#1002", ALICE_CUSTOMER_ID, "DELIVERED", 50, -46, 45, 500, "pay_3f9a1c1002",
     [("MUG-010", "Ceramic mug", 2, 2750)]),
    ("ord-alice-3", "#1003", ALICE_CUSTOMER_ID, "SHIPPED", 2, 2, None, 400, "pay_3f9a1c1003",
     [("BK-301", "Hardcover notebook", 3, 1200)]),
    ("ord-alice-4", "#1004", ALICE_CUSTOMER_ID, "SHIPPED", 20, -10, None, 500, "pay_3f9a1c1004",
     [("LMP-050", "Desk lamp", 1, 4500)]),
    ("ord-alice-5", "#1005", ALICE_CUSTOMER_ID, "DELIVERED", 4, -1, 1, 0, "pay_3f9a1c1005",
     [("CBL-007", "USB-C cable", 1, 1999)]),
    ("ord-bob-1", "#1006", BOB_CUSTOMER_ID, "DELIVERED", 9, -5, 5, 1000, "pay_7b2e4d1006",
     [("TV-550", '55" television', 1, 79000)]),
)  # fmt: skip


def demo_orders(now: datetime) -> list[dict[str, Any]]:
    """The demo orders of API.md "Demo data", with dates relative to `now` (aware, UTC).

    - ord-alice-1 #1001 cust-alice DELIVERED 3 days ago, USD 120.00 = 40.00 + 75.00 + 5.00 shipping
    - ord-alice-2 #1002 cust-alice DELIVERED 45 days ago (outside the 30-day window), USD 60.00
    - ord-alice-3 #1003 cust-alice SHIPPED, promised in 2 days, USD 40.00
    - ord-alice-4 #1004 cust-alice SHIPPED, promised 10 days ago, never delivered (NOT_RECEIVED)
    - ord-alice-5 #1005 cust-alice DELIVERED yesterday, USD 19.99, no shipping (automatic approval)
    - ord-bob-1   #1006 cust-bob   DELIVERED 5 days ago, USD 800.00 = 790.00 + 10.00 shipping
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("demo_orders needs a timezone-aware now")
    now = now.astimezone(UTC).replace(microsecond=0)

    def ago(days: int) -> datetime:
        return now - timedelta(days=days)

    today = now.date()
    return [
        make_order(
            id=id,
            number=number,
            customer_id=customer_id,
            status=status,
            placed_at=ago(placed),
            promised_delivery_date=today + timedelta(days=promised),
            delivered_at=ago(delivered) if delivered is not None else None,
            lines=lines,
            shipping=shipping,
            payment_reference=payment_reference,
        )
        for (
            id,
            number,
            customer_id,
            status,
            placed,
            promised,
            delivered,
            shipping,
            payment_reference,
            lines,
        ) in _DEMO_ORDERS
    ]


def _parse_instant(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError("placed_at must be an ISO 8601 string")
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError("placed_at must carry a UTC offset")
    return parsed.astimezone(UTC)


def _sort_key(order: dict[str, Any]) -> tuple[int, str]:
    """Newest first, then by id: (-microseconds since the epoch, id)."""
    placed_at = _parse_instant(order["placed_at"])
    return (-((placed_at - _EPOCH) // timedelta(microseconds=1)), str(order["id"]))


def _encode_cursor(key: tuple[int, str]) -> str:
    raw = json.dumps([key[0], key[1]], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[int, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("invalid cursor") from exc
    if (
        not isinstance(value, list)
        or len(value) != 2
        or isinstance(value[0], bool)
        or not isinstance(value[0], int)
        or not isinstance(value[1], str)
    ):
        raise ValueError("invalid cursor")
    return (value[0], value[1])


class OrderSimulatorState:
    """The simulator's in-memory orders, request counters and failure switches.

    `calls` counts served requests per endpoint: keys "batch" (GET /orders), "order"
    (GET /orders/{id}), "customer_orders" (GET /customers/{id}/orders) and "healthz".
    `batch_sizes` lists the number of ids of each batch request, in order.
    `fail_status` (e.g. 500 or 503) makes every endpoint answer with that status;
    `delay_seconds` makes every endpoint wait before answering."""

    def __init__(self, orders: Iterable[dict[str, Any]] = ()) -> None:
        self.orders: dict[str, dict[str, Any]] = {}
        self.calls: Counter[str] = Counter()
        self.batch_sizes: list[int] = []
        self.fail_status: int | None = None
        self.delay_seconds: float = 0.0
        self.webhooks: WebhookSender | None = None
        for order in orders:
            self.upsert(order)

    # -- webhooks ----------------------------------------------------------------------------

    def configure_webhooks(
        self,
        url: str,
        secret: str,
        *,
        client: httpx.AsyncClient | None = None,
        **options: Any,
    ) -> WebhookSender:
        """Deliver signed events to `url` from now on (options: see WebhookSender)."""
        self.webhooks = WebhookSender(url, secret, client=client, **options)
        return self.webhooks

    @property
    def webhook_deliveries(self) -> list[WebhookDelivery]:
        return self.webhooks.deliveries if self.webhooks is not None else []

    async def aclose(self) -> None:
        """Cancel pending webhook deliveries (and close the sender's own client)."""
        sender, self.webhooks = self.webhooks, None
        if sender is not None:
            await sender.aclose()

    def set_status(
        self, order_id: str, status: str, *, now: datetime | None = None
    ) -> tuple[dict[str, Any], WebhookDelivery | None]:
        """What the operator endpoint does: move the order to `status` (KeyError: unknown order;
        ValueError: a status or move that is not allowed), then send its webhook, if configured
        (needs a running event loop)."""
        if status not in EVENT_TYPES:
            raise ValueError(f"status must be one of {', '.join(EVENT_TYPES)}")
        current = self.orders[order_id]
        if status not in STATUS_MOVES.get(current["status"], frozenset()):
            raise _NotAllowed(f"an order cannot move from {current['status']} to {status}")
        moment = (now or datetime.now(UTC)).astimezone(UTC)
        previous = current.get("updated_at")
        if isinstance(previous, str):
            # updated_at only ever grows, even when two changes share a clock reading.
            moment = max(moment, _parse_instant(previous) + timedelta(microseconds=1))
        changes: dict[str, Any] = {"status": status, "updated_at": iso_utc(moment)}
        if status == "DELIVERED" and not current.get("delivered_at"):
            changes["delivered_at"] = iso_utc(moment)
        order = self.update(order_id, **changes)
        delivery = self.webhooks.send(EVENT_TYPES[status], order) if self.webhooks else None
        return order, delivery

    def upsert(self, order: dict[str, Any]) -> None:
        """Add or replace an order (stored as a deep copy)."""
        if not isinstance(order.get("id"), str) or not order["id"]:
            raise ValueError("an order needs a non-empty string id")
        if not isinstance(order.get("customer_id"), str):
            raise ValueError("an order needs a string customer_id")
        _parse_instant(order.get("placed_at"))
        self.orders[order["id"]] = copy.deepcopy(order)

    def update(self, order_id: str, **changes: Any) -> dict[str, Any]:
        """Change fields of a stored order (e.g. status, delivered_at); returns a copy of it."""
        order = copy.deepcopy(self.orders[order_id])
        order.update(changes)
        self.upsert(order)
        return copy.deepcopy(order)

    def get(self, order_id: str) -> dict[str, Any] | None:
        order = self.orders.get(order_id)
        return copy.deepcopy(order) if order is not None else None

    def reset_counters(self) -> None:
        self.calls.clear()
        self.batch_sizes.clear()

    def customer_page(
        self, customer_id: str, *, limit: int, cursor: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        mine = sorted(
            (o for o in self.orders.values() if o["customer_id"] == customer_id), key=_sort_key
        )
        if cursor is not None:
            after = _decode_cursor(cursor)
            mine = [o for o in mine if _sort_key(o) > after]
        page = mine[:limit]
        next_cursor = _encode_cursor(_sort_key(page[-1])) if len(mine) > limit else None
        return [copy.deepcopy(o) for o in page], next_cursor


class _NotAllowed(ValueError):
    """A status move the order's current status does not allow."""


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def create_order_simulator(
    *, today: datetime | None = None, orders: list[dict[str, Any]] | None = None
) -> Starlette:
    """The order-system stand-in. `orders=None` loads `demo_orders(today or now)`;
    its state is `app.state.simulator` (an `OrderSimulatorState`)."""
    now = today if today is not None else datetime.now(UTC)
    state = OrderSimulatorState(orders if orders is not None else demo_orders(now))

    async def _gate(endpoint: str) -> Response | None:
        state.calls[endpoint] += 1
        if state.delay_seconds > 0:
            await asyncio.sleep(state.delay_seconds)
        if state.fail_status is not None:
            return _error(state.fail_status, "order system failure (simulated)")
        return None

    async def batch(request: Request) -> Response:
        if (failed := await _gate(CALL_BATCH)) is not None:
            return failed
        raw = request.query_params.get("ids", "")
        ids = [part for part in raw.split(",") if part]
        state.batch_sizes.append(len(ids))
        if len(ids) > MAX_BATCH_IDS:
            return _error(400, f"at most {MAX_BATCH_IDS} ids per request")
        found: list[dict[str, Any]] = []
        seen: set[str] = set()
        for order_id in ids:
            if order_id in seen:
                continue
            seen.add(order_id)
            order = state.get(order_id)
            if order is not None:
                found.append(order)
        return JSONResponse({"orders": found})

    async def one(request: Request) -> Response:
        if (failed := await _gate(CALL_ORDER)) is not None:
            return failed
        order = state.get(request.path_params["order_id"])
        if order is None:
            return _error(404, "order not found")
        return JSONResponse(order)

    async def customer_orders(request: Request) -> Response:
        if (failed := await _gate(CALL_CUSTOMER_ORDERS)) is not None:
            return failed
        raw_limit = request.query_params.get("limit", str(DEFAULT_PAGE_SIZE))
        if (
            not (raw_limit.isascii() and raw_limit.isdigit())
            or not 1 <= int(raw_limit) <= MAX_PAGE_SIZE
        ):
            return _error(400, f"limit must be an integer in 1..{MAX_PAGE_SIZE}")
        cursor = request.query_params.get("cursor") or None
        try:
            page, next_cursor = state.customer_page(
                request.path_params["customer_id"], limit=int(raw_limit), cursor=cursor
            )
        except ValueError:
            return _error(400, "invalid cursor")
        return JSONResponse({"orders": page, "next_cursor": next_cursor})

    async def operator_status(request: Request) -> Response:
        try:
            payload = json.loads(await request.body())
        except ValueError:
            return _error(400, 'the body must be JSON: {"status": ...}')
        status = payload.get("status") if isinstance(payload, dict) else None
        if not isinstance(status, str):
            return _error(400, "status is required")
        try:
            order, delivery = state.set_status(request.path_params["order_id"], status.upper())
        except KeyError:
            return _error(404, "order not found")
        except _NotAllowed as exc:
            return _error(409, str(exc))
        except ValueError as exc:
            return _error(400, str(exc))
        webhook = (
            {"id": delivery.message_id, "type": delivery.event_type}
            if delivery is not None
            else None
        )
        return JSONResponse({"order": order, "webhook": webhook})

    async def healthz(request: Request) -> Response:
        if (failed := await _gate(CALL_HEALTHZ)) is not None:
            return failed
        return JSONResponse({"status": "ok"})

    app = Starlette(
        routes=[
            Route("/orders", batch, methods=["GET"]),
            Route("/orders/{order_id}", one, methods=["GET"]),
            Route("/customers/{customer_id}/orders", customer_orders, methods=["GET"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/_operator/orders/{order_id}/status", operator_status, methods=["POST"]),
        ]
    )
    app.state.simulator = state
    return app


def simulator_state(app: Starlette) -> OrderSimulatorState:
    """The state of an app made by `create_order_simulator` (typed access to app.state)."""
    return state_of(app, "simulator", OrderSimulatorState)


def main(argv: Sequence[str] | None = None) -> None:
    parser = command_line("Run the order-system simulator with demo data.", port=9100)
    parser.add_argument(
        "--webhook-url",
        help="deliver signed order events here, e.g. http://127.0.0.1:8000/webhooks/order-system",
    )
    parser.add_argument(
        "--webhook-secret",
        default=os.environ.get("ORDER_WEBHOOK_SECRET"),
        help="the whsec_... secret (default: $ORDER_WEBHOOK_SECRET)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    app = create_order_simulator()
    if args.webhook_url:
        if not args.webhook_secret:
            parser.error("--webhook-url needs --webhook-secret (or ORDER_WEBHOOK_SECRET)")
        simulator_state(app).configure_webhooks(args.webhook_url, args.webhook_secret)
    serve(app, args)


if __name__ == "__main__":
    main()
