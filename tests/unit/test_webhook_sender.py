"""The order simulator's webhook sender and operator moves, against a receiver app in process
(httpx.ASGITransport): signed like Standard Webhooks, retried with backoff under the same id,
bounded, and given up in the end."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from adapters.clock import FixedClock
from adapters.order_system.simulator import OrderSimulatorState, demo_orders
from adapters.order_system.webhook_sender import WebhookSender
from app.http.webhooks import WebhookVerifier

SECRET = "whsec_ZGVtby1vbmx5LXdlYmhvb2stc2VjcmV0"
NOW = datetime(2025, 3, 10, 12, 0, 0, tzinfo=UTC)


class Receiver:
    """Answers `statuses` in turn (then 200), verifying every request like the service does."""

    def __init__(self, *statuses: int, now: float = NOW.timestamp()) -> None:
        self.statuses = list(statuses)
        self.received: list[dict[str, Any]] = []
        self.clock = FixedClock(NOW)
        self.verifier = WebhookVerifier([SECRET], clock=self.clock)

    async def endpoint(self, request: Request) -> Response:
        body = await request.body()
        h = request.headers
        self.verifier.verify(
            h.get("webhook-id"), h.get("webhook-timestamp"), h.get("webhook-signature"), body
        )
        self.received.append(
            {"id": h["webhook-id"], "timestamp": h["webhook-timestamp"], "body": json.loads(body)}
        )
        status = self.statuses.pop(0) if self.statuses else 200
        return JSONResponse({}, status_code=status)

    def client(self) -> httpx.AsyncClient:
        app = Starlette(routes=[Route("/hook", self.endpoint, methods=["POST"])])
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc")


class Waits:
    def __init__(self, clock: FixedClock) -> None:
        self.clock = clock
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.clock.advance(seconds=seconds)  # time moves as the sender waits
        await asyncio.sleep(0)


def sender(receiver: Receiver, **options: Any) -> tuple[WebhookSender, Waits]:
    waits = Waits(receiver.clock)
    return (
        WebhookSender(
            "http://svc/hook",
            SECRET,
            client=receiver.client(),
            sleep=waits,
            now=lambda: receiver.clock.now().timestamp(),
            **options,
        ),
        waits,
    )


ORDER = {"id": "ord-1", "updated_at": "2025-03-10T12:00:00Z"}


async def test_a_delivery_is_signed_and_sent_once_when_accepted() -> None:
    receiver = Receiver()
    webhooks, waits = sender(receiver)
    delivery = webhooks.send("order.delivered", ORDER)
    async with asyncio.timeout(5):
        await webhooks.drain()
    assert delivery.delivered and delivery.outcomes == [200]
    [got] = receiver.received
    assert got["id"] == delivery.message_id and got["id"].startswith("msg_")
    assert got["body"] == {
        "type": "order.delivered",
        "timestamp": "2025-03-10T12:00:00Z",
        "data": {"order": ORDER},
    }
    assert waits.waits == []


async def test_failures_are_retried_with_backoff_under_the_same_id() -> None:
    receiver = Receiver(503, 500, 429)
    webhooks, waits = sender(receiver, backoff_base=0.5, backoff_max=1.5)
    delivery = webhooks.send("order.updated", ORDER)
    async with asyncio.timeout(5):
        await webhooks.drain()
    assert delivery.outcomes == [503, 500, 429, 200] and delivery.delivered
    assert waits.waits == [0.5, 1.0, 1.5]  # exponential, capped
    assert {r["id"] for r in receiver.received} == {delivery.message_id}
    # Every attempt is signed anew with its own time (the receiver verified each one).
    timestamps = [int(r["timestamp"]) for r in receiver.received]
    assert timestamps == sorted(timestamps) and timestamps[-1] > timestamps[0]


async def test_attempts_are_bounded_then_given_up() -> None:
    receiver = Receiver(*([503] * 10))
    webhooks, waits = sender(receiver, max_attempts=4, backoff_base=0.1)
    delivery = webhooks.send("order.updated", ORDER)
    async with asyncio.timeout(5):
        await webhooks.drain()
    assert delivery.outcomes == [503] * 4
    assert delivery.gave_up and not delivery.delivered
    assert len(waits.waits) == 3


async def test_network_errors_count_as_failed_attempts() -> None:
    async def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    clock = FixedClock(NOW)
    webhooks = WebhookSender(
        "http://svc/hook",
        SECRET,
        client=httpx.AsyncClient(transport=httpx.MockTransport(refuse)),
        max_attempts=2,
        sleep=Waits(clock),
    )
    delivery = webhooks.send("order.updated", ORDER)
    async with asyncio.timeout(5):
        await webhooks.drain()
    assert delivery.outcomes == ["ConnectError", "ConnectError"] and delivery.gave_up


async def test_pending_deliveries_are_cancelled_on_close() -> None:
    receiver = Receiver(*([503] * 10))

    async def forever(_: float) -> None:
        await asyncio.sleep(3600)

    webhooks = WebhookSender("http://svc/hook", SECRET, client=receiver.client(), sleep=forever)
    webhooks.send("order.updated", ORDER)
    await asyncio.sleep(0.05)
    assert webhooks.pending == 1
    async with asyncio.timeout(5):
        await webhooks.aclose()
    assert webhooks.pending == 0


def test_a_malformed_secret_is_refused() -> None:
    with pytest.raises(ValueError):
        WebhookSender("http://svc/hook", "whsec_***")


# -- the operator's moves -----------------------------------------------------------------------


def state() -> OrderSimulatorState:
    return OrderSimulatorState(demo_orders(NOW))


def test_delivered_sets_delivered_at_and_moves_updated_at_forward() -> None:
    orders = state()
    before = orders.get("ord-alice-3")
    assert before is not None and before["delivered_at"] is None
    later = NOW + timedelta(minutes=5)
    order, delivery = orders.set_status("ord-alice-3", "DELIVERED", now=later)
    assert delivery is None  # no webhooks configured
    assert order["status"] == "DELIVERED"
    assert order["delivered_at"] == order["updated_at"] == "2025-03-10T12:05:00Z"
    cancelled = state()
    cancelled.set_status("ord-alice-3", "CANCELLED", now=later)
    with pytest.raises(ValueError):
        cancelled.set_status("ord-alice-3", "DELIVERED", now=later)  # CANCELLED is final


def test_updated_at_only_grows() -> None:
    orders = state()
    first, _ = orders.set_status("ord-alice-4", "DELIVERED", now=NOW + timedelta(days=1))
    # (A clock that went back: the order system still stamps a later updated_at.)
    orders.update("ord-alice-3", status="PLACED", updated_at=first["updated_at"])
    second, _ = orders.set_status("ord-alice-3", "SHIPPED", now=NOW)
    parse = datetime.fromisoformat
    assert parse(second["updated_at"]) > parse(first["updated_at"])


@pytest.mark.parametrize(
    ("order_id", "status", "error"),
    [
        ("ord-nobody", "DELIVERED", KeyError),
        ("ord-alice-3", "LOST", ValueError),
        ("ord-alice-1", "SHIPPED", ValueError),  # DELIVERED cannot go back
    ],
)
def test_moves_an_order_system_refuses(order_id: str, status: str, error: type) -> None:
    with pytest.raises(error):
        state().set_status(order_id, status, now=NOW)


async def test_a_move_sends_the_matching_event() -> None:
    receiver = Receiver()
    orders = state()
    webhooks = orders.configure_webhooks(
        "http://svc/hook", SECRET, client=receiver.client(), now=lambda: NOW.timestamp()
    )
    _, delivery = orders.set_status("ord-alice-3", "CANCELLED", now=NOW)
    assert delivery is not None
    async with asyncio.timeout(5):
        await webhooks.drain()
    [got] = receiver.received
    assert got["body"]["type"] == "order.cancelled"
    assert got["body"]["data"]["order"]["status"] == "CANCELLED"
    assert orders.webhook_deliveries == [delivery]
    await orders.aclose()
    assert orders.webhooks is None
