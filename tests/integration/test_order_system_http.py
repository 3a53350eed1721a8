"""HttpOrderSystem against the order-system simulator over real HTTP (uvicorn on 127.0.0.1),
plus the failure modes: a server that never answers, connection refused, 5xx, malformed payloads."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from adapters.order_system.http_client import HttpOrderSystem
from adapters.order_system.simulator import (
    ALICE_CUSTOMER_ID,
    BOB_CUSTOMER_ID,
    OrderSimulatorState,
    create_order_simulator,
    make_order,
    simulator_state,
)
from domain.errors import OrderSystemUnavailable
from domain.money import Money
from domain.orders import Order, OrderStatus
from domain.ports import OrderSystem
from tests.toolbox.network import free_port, serve, silent_server

ALICE_IDS = ["ord-alice-1", "ord-alice-2", "ord-alice-3", "ord-alice-4", "ord-alice-5"]
DEMO_IDS = [*ALICE_IDS, "ord-bob-1"]


@dataclass
class Simulator:
    url: str
    state: OrderSimulatorState
    started_at: datetime


@pytest_asyncio.fixture(scope="module")
async def simulator_server() -> AsyncIterator[Simulator]:
    now = datetime.now(UTC)
    app = create_order_simulator(today=now)
    async with serve(app) as url:
        yield Simulator(url, simulator_state(app), now)


@pytest.fixture
def sim(simulator_server: Simulator) -> Iterator[Simulator]:
    state = simulator_server.state
    state.reset_counters()
    state.fail_status = None
    state.delay_seconds = 0.0
    yield simulator_server
    state.fail_status = None
    state.delay_seconds = 0.0


@pytest_asyncio.fixture
async def orders(sim: Simulator) -> AsyncIterator[HttpOrderSystem]:
    client = HttpOrderSystem(sim.url, timeout=2.0)
    yield client
    await client.aclose()


# -- batch lookup ------------------------------------------------------------------------------


async def test_three_ids_are_one_batch_call(sim: Simulator, orders: HttpOrderSystem) -> None:
    port: OrderSystem = orders  # mypy checks that the adapter implements the port
    found = await port.get_orders(["ord-alice-1", "ord-alice-5", "ord-bob-1"])
    assert set(found) == {"ord-alice-1", "ord-alice-5", "ord-bob-1"}
    assert all(isinstance(o, Order) and found_id == o.id for found_id, o in found.items())
    assert sim.state.calls["batch"] == 1
    assert sim.state.calls.total() == 1


async def test_150_ids_are_two_batch_calls(sim: Simulator, orders: HttpOrderSystem) -> None:
    ids = [f"ord-missing-{n}" for n in range(147)] + ["ord-alice-1", "ord-alice-2", "ord-bob-1"]
    found = await orders.get_orders(ids + ids[:20])  # duplicates are not asked twice
    assert set(found) == {"ord-alice-1", "ord-alice-2", "ord-bob-1"}
    assert sim.state.calls["batch"] == 2
    assert sim.state.batch_sizes == [100, 50]


async def test_duplicates_and_empty_input(sim: Simulator, orders: HttpOrderSystem) -> None:
    assert await orders.get_orders([]) == {}
    assert sim.state.calls.total() == 0
    found = await orders.get_orders(["ord-alice-1"] * 5)
    assert list(found) == ["ord-alice-1"]
    assert sim.state.batch_sizes == [1]


async def test_unknown_ids_are_absent(sim: Simulator, orders: HttpOrderSystem) -> None:
    found = await orders.get_orders(["nope", "ord-alice-3", "", "ord-alice-1,ord-bob-1"])
    assert list(found) == ["ord-alice-3"]
    assert sim.state.batch_sizes == [2]  # "" and the id with a comma cannot exist: not sent
    assert await orders.get_orders(["nope-1", "nope-2"]) == {}


# -- customer listing --------------------------------------------------------------------------


async def test_customer_listing_paginates_without_duplicates(
    sim: Simulator, orders: HttpOrderSystem
) -> None:
    everything = await orders.list_customer_orders(ALICE_CUSTOMER_ID, limit=100)
    assert everything.next_cursor is None
    assert sorted(o.id for o in everything.orders) == ALICE_IDS
    placed = [o.placed_at for o in everything.orders]
    assert placed == sorted(placed, reverse=True)  # newest first

    walked: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        page = await orders.list_customer_orders(ALICE_CUSTOMER_ID, limit=2, cursor=cursor)
        pages += 1
        assert 1 <= len(page.orders) <= 2
        assert {o.customer_id for o in page.orders} == {ALICE_CUSTOMER_ID}
        walked += [o.id for o in page.orders]
        cursor = page.next_cursor
        if cursor is None:
            break
        assert pages < 10
    assert pages == 3
    assert walked == [o.id for o in everything.orders]
    assert len(set(walked)) == len(walked)
    assert sim.state.calls["customer_orders"] == 4


async def test_listing_of_unknown_customer_is_empty(orders: HttpOrderSystem) -> None:
    page = await orders.list_customer_orders("cust-nobody", limit=20)
    assert page.orders == () and page.next_cursor is None


async def test_listing_rejects_bad_limits_before_calling(
    sim: Simulator, orders: HttpOrderSystem
) -> None:
    for limit in (0, 101, -1):
        with pytest.raises(ValueError):
            await orders.list_customer_orders(ALICE_CUSTOMER_ID, limit=limit)
    assert sim.state.calls.total() == 0


# -- demo data ---------------------------------------------------------------------------------


def _about(actual: datetime | None, expected: datetime) -> bool:
    return actual is not None and abs(actual - expected) < timedelta(minutes=1)


async def test_demo_orders_have_the_documented_shapes(
    sim: Simulator, orders: HttpOrderSystem
) -> None:
    before = datetime.now(UTC)
    found = await orders.get_orders(DEMO_IDS)
    assert set(found) == set(DEMO_IDS)
    now = sim.started_at
    today = now.date()

    for order in found.values():
        lines_sum = sum(line.quantity * line.unit_price.amount for line in order.lines)
        assert order.total.amount == lines_sum + order.shipping.amount
        assert order.total.currency == order.currency == "USD"
        assert order.number.startswith("#")
        assert order.payment_reference.startswith("pay_")
        assert order.placed_at.tzinfo is UTC
        assert order.stale is False
        assert before <= order.as_of <= datetime.now(UTC)
        assert order.as_of.utcoffset() == timedelta(0)

    a1 = found["ord-alice-1"]
    assert a1.customer_id == ALICE_CUSTOMER_ID
    assert a1.status is OrderStatus.DELIVERED
    assert a1.total == Money(12000, "USD") and a1.total.formatted() == "USD 120.00"
    assert a1.shipping == Money(500, "USD")
    assert sorted(line.unit_price.amount for line in a1.lines) == [4000, 7500]
    assert all(line.quantity == 1 for line in a1.lines)
    assert _about(a1.delivered_at, now - timedelta(days=3))

    a2 = found["ord-alice-2"]
    assert a2.status is OrderStatus.DELIVERED
    assert _about(a2.delivered_at, now - timedelta(days=45))

    a3 = found["ord-alice-3"]
    assert a3.status is OrderStatus.SHIPPED and a3.delivered_at is None
    assert a3.promised_delivery_date == today + timedelta(days=2)

    a4 = found["ord-alice-4"]
    assert a4.status in (OrderStatus.PLACED, OrderStatus.SHIPPED) and a4.delivered_at is None
    assert a4.promised_delivery_date == today - timedelta(days=10)

    a5 = found["ord-alice-5"]
    assert a5.status is OrderStatus.DELIVERED
    assert a5.total == Money(1999, "USD") and a5.shipping == Money(0, "USD")
    assert len(a5.lines) == 1 and a5.lines[0].unit_price == Money(1999, "USD")
    assert _about(a5.delivered_at, now - timedelta(days=1))

    b1 = found["ord-bob-1"]
    assert b1.customer_id == BOB_CUSTOMER_ID
    assert b1.status is OrderStatus.DELIVERED
    assert b1.total == Money(80000, "USD")
    assert _about(b1.delivered_at, now - timedelta(days=5))

    assert len({o.number for o in found.values()}) == len(DEMO_IDS)
    assert len({line.id for o in found.values() for line in o.lines}) == sum(
        len(o.lines) for o in found.values()
    )


# -- the simulator's own HTTP surface ----------------------------------------------------------


async def test_simulator_endpoints(sim: Simulator) -> None:
    async with httpx.AsyncClient(base_url=sim.url, timeout=2) as http:
        assert (await http.get("/healthz")).json() == {"status": "ok"}
        one = await http.get("/orders/ord-bob-1")
        assert one.status_code == 200 and one.json()["number"] == "#1006"
        assert (await http.get("/orders/nope")).status_code == 404
        too_many = ",".join(f"x{n}" for n in range(101))
        assert (await http.get("/orders", params={"ids": too_many})).status_code == 400
        exactly_100 = ",".join(f"x{n}" for n in range(99)) + ",ord-alice-1"
        batch = await http.get("/orders", params={"ids": exactly_100})
        assert [o["id"] for o in batch.json()["orders"]] == ["ord-alice-1"]
        listing = f"/customers/{ALICE_CUSTOMER_ID}/orders"
        for bad in ({"limit": "0"}, {"limit": "101"}, {"limit": "x"}, {"cursor": "%%%"}):
            assert (await http.get(listing, params=bad)).status_code == 400
        default = (await http.get(listing)).json()
        assert len(default["orders"]) == 5 and default["next_cursor"] is None
    assert sim.state.calls["healthz"] == 1
    assert sim.state.calls["order"] == 2
    assert sim.state.calls["batch"] == 2
    assert sim.state.calls["customer_orders"] == 5


async def test_simulator_serves_given_orders_only() -> None:
    placed = datetime(2025, 1, 1, tzinfo=UTC)
    mine = make_order(
        id="o-1",
        number="#1",
        customer_id="c-1",
        status="PLACED",
        placed_at=placed,
        lines=[("S", "Thing", 2, 250)],
    )
    app = create_order_simulator(orders=[mine])
    state = simulator_state(app)
    async with HttpOrderSystem(
        "http://sim", timeout=2, client=httpx.AsyncClient(transport=httpx.ASGITransport(app))
    ) as client:
        found = await client.get_orders(["o-1", "ord-alice-1"])
        assert list(found) == ["o-1"] and found["o-1"].total == Money(500, "USD")
        state.update("o-1", status="DELIVERED", delivered_at="2025-01-03T10:00:00Z")
        again = await client.get_orders(["o-1"])
        assert again["o-1"].status is OrderStatus.DELIVERED
    assert state.calls["batch"] == 2


# -- failures ----------------------------------------------------------------------------------


async def test_server_that_never_answers_times_out() -> None:
    timeout = 0.3
    async with silent_server() as url:
        client = HttpOrderSystem(url, timeout=timeout)
        try:
            for call in (
                lambda: client.get_orders(["ord-alice-1"]),
                lambda: client.list_customer_orders(ALICE_CUSTOMER_ID, limit=5),
            ):
                started = time.monotonic()
                with pytest.raises(OrderSystemUnavailable, match="timed out") as info:
                    await call()
                elapsed = time.monotonic() - started
                assert elapsed < timeout + 1.0, f"took {elapsed:.2f} s"
                assert "127.0.0.1" not in str(info.value)
        finally:
            await client.aclose()


async def test_connection_refused() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    async with HttpOrderSystem(url, timeout=2) as client:
        with pytest.raises(OrderSystemUnavailable, match="network error"):
            await client.get_orders(["ord-alice-1"])
        with pytest.raises(OrderSystemUnavailable, match="network error"):
            await client.list_customer_orders(ALICE_CUSTOMER_ID, limit=5)


async def test_error_messages_never_contain_credentials() -> None:
    secret = "s3cr3t-pa55"
    async with silent_server() as silent:
        targets = [
            f"http://partner:{secret}@127.0.0.1:{free_port()}/api",
            silent.replace("http://", f"http://partner:{secret}@"),
        ]
        for url in targets:
            async with HttpOrderSystem(url, timeout=0.3) as client:
                with pytest.raises(OrderSystemUnavailable) as info:
                    await client.get_orders(["ord-alice-1"])
                text = f"{info.value!s} {info.value!r}"
                assert secret not in text and "partner" not in text
                assert "/orders" in text


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_5xx_is_unavailable(sim: Simulator, orders: HttpOrderSystem, status: int) -> None:
    sim.state.fail_status = status
    with pytest.raises(OrderSystemUnavailable, match=str(status)):
        await orders.get_orders(["ord-alice-1"])
    with pytest.raises(OrderSystemUnavailable, match=str(status)):
        await orders.list_customer_orders(ALICE_CUSTOMER_ID, limit=5)
    sim.state.fail_status = None
    assert "ord-alice-1" in await orders.get_orders(["ord-alice-1"])  # and recovers


async def test_wrong_base_path_is_unavailable(sim: Simulator) -> None:
    async with HttpOrderSystem(sim.url + "/not-here", timeout=2) as client:
        with pytest.raises(OrderSystemUnavailable, match="unexpected status 404"):
            await client.get_orders(["ord-alice-1"])


@dataclass
class Scripted:
    """What the scripted order system answers to every request."""

    url: str = ""
    status: int = 200
    body: bytes = b""
    requests: list[str] = field(default_factory=list)

    def answer(self, payload: Any, status: int = 200) -> None:
        self.status = status
        self.body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()


@pytest_asyncio.fixture(scope="module")
async def scripted_server() -> AsyncIterator[Scripted]:
    script = Scripted()

    async def respond(request: Request) -> Response:
        script.requests.append(request.url.path)
        return Response(script.body, status_code=script.status, media_type="application/json")

    app = Starlette(
        routes=[
            Route("/orders", respond),
            Route("/customers/{customer_id}/orders", respond),
        ]
    )
    async with serve(app) as url:
        script.url = url
        yield script


@pytest.fixture
def scripted(scripted_server: Scripted) -> Scripted:
    scripted_server.requests.clear()
    return scripted_server


def _good_order(**changes: Any) -> dict[str, Any]:
    order = make_order(
        id="ord-alice-1",
        number="#1001",
        customer_id=ALICE_CUSTOMER_ID,
        status="DELIVERED",
        placed_at=datetime(2025, 1, 1, tzinfo=UTC),
        lines=[("S", "Thing", 1, 1000)],
    )
    return order | changes


BATCH_MALFORMED: list[tuple[str, Any]] = [
    ("not json", b"{not json"),
    ("truncated json", b'{"orders": [{"id": "ord-alice-1"'),
    ("invalid utf-8", b'{"orders": "\xff\xfe"}'),
    ("empty body", b""),
    ("top-level list", [_good_order()]),
    ("top-level null", None),
    ("orders missing", {"items": []}),
    ("orders not a list", {"orders": {"ord-alice-1": _good_order()}}),
    ("order not an object", {"orders": ["ord-alice-1"]}),
    ("order missing fields", {"orders": [{"id": "ord-alice-1"}]}),
    ("total as float", {"orders": [_good_order(total=10.0)]}),
    ("total as string", {"orders": [_good_order(total="10.00")]}),
    ("lines as null", {"orders": [_good_order(lines=None)]}),
    ("naive timestamp", {"orders": [_good_order(placed_at="2025-01-01T00:00:00")]}),
    ("unknown status", {"orders": [_good_order(status="RETURNED")]}),
]


@pytest.mark.parametrize(
    ("case", "payload"), BATCH_MALFORMED, ids=[case for case, _ in BATCH_MALFORMED]
)
async def test_malformed_batch_payload_is_unavailable(
    scripted: Scripted, case: str, payload: Any
) -> None:
    scripted.answer(payload)
    async with HttpOrderSystem(scripted.url, timeout=2) as client:
        with pytest.raises(OrderSystemUnavailable, match="malformed payload"):
            await client.get_orders(["ord-alice-1"])
    assert scripted.requests == ["/orders"]


LIST_MALFORMED: list[tuple[str, Any, str]] = [
    ("next_cursor a number", {"orders": [], "next_cursor": 5}, "next_cursor"),
    ("next_cursor empty", {"orders": [], "next_cursor": ""}, "next_cursor"),
    ("orders missing", {"next_cursor": None}, "'orders' must be a list"),
    ("line quantity string", {"orders": [_good_order(lines=[{"id": "l"}])]}, "lines"),
    ("someone else's order", {"orders": [_good_order(customer_id=BOB_CUSTOMER_ID)]}, "another"),
    ("more than the limit", {"orders": [_good_order(id=f"o{n}") for n in range(3)]}, "limit"),
]


@pytest.mark.parametrize(
    ("case", "payload", "message"), LIST_MALFORMED, ids=[case for case, _, _ in LIST_MALFORMED]
)
async def test_malformed_listing_payload_is_unavailable(
    scripted: Scripted, case: str, payload: Any, message: str
) -> None:
    scripted.answer(payload)
    async with HttpOrderSystem(scripted.url, timeout=2) as client:
        with pytest.raises(OrderSystemUnavailable, match=message):
            await client.list_customer_orders(ALICE_CUSTOMER_ID, limit=2)


async def test_orders_not_asked_for_are_dropped(scripted: Scripted) -> None:
    scripted.answer({"orders": [_good_order(), _good_order(id="ord-other")]})
    async with HttpOrderSystem(scripted.url, timeout=2) as client:
        assert list(await client.get_orders(["ord-alice-1"])) == ["ord-alice-1"]


async def test_4xx_is_unavailable(scripted: Scripted) -> None:
    scripted.answer({"error": "bad request"}, status=400)
    async with HttpOrderSystem(scripted.url, timeout=2) as client:
        with pytest.raises(OrderSystemUnavailable, match="unexpected status 400"):
            await client.get_orders(["ord-alice-1"])


# -- embedded mode: the simulator in the same process through ASGITransport --------------------


async def test_embedded_simulator_under_a_path_prefix() -> None:
    simulator = create_order_simulator()
    app = Starlette(routes=[Mount("/_sim/orders", app=simulator)])
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app))
    try:
        client = HttpOrderSystem("http://embedded/_sim/orders", timeout=2, client=http)
        found = await client.get_orders(DEMO_IDS)
        assert set(found) == set(DEMO_IDS)
        page = await client.list_customer_orders(BOB_CUSTOMER_ID, limit=10)
        assert [o.id for o in page.orders] == ["ord-bob-1"]
        await client.aclose()  # does not close a client it was given
        assert not http.is_closed
    finally:
        await http.aclose()


async def test_embedded_timeout_holds_without_a_network() -> None:
    simulator = create_order_simulator()
    simulator_state(simulator).delay_seconds = 30
    http = httpx.AsyncClient(transport=httpx.ASGITransport(simulator))
    try:
        client = HttpOrderSystem("http://embedded", timeout=0.2, client=http)
        started = time.monotonic()
        with pytest.raises(OrderSystemUnavailable, match="timed out"):
            await client.get_orders(["ord-alice-1"])
        assert time.monotonic() - started < 1.2
    finally:
        await http.aclose()
