"""POST /webhooks/order-system over ASGI against PostgreSQL + Redis (the API harness), and the
order simulator's operator endpoint delivering real signed webhooks to the app.

"Nothing written" is checked in the database itself: the delivery row, the order's version row
and the ORDER_UPDATED entries of the case about the order.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import itertools
import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.routing import Route

from adapters.clock import FixedClock
from adapters.order_system.simulator import iso_utc
from adapters.order_system.webhook_sender import signed_headers
from adapters.sql.db import create_engine, create_session_factory
from adapters.sql.unit_of_work import SqlUnitOfWorkFactory
from app.main import ORDER_WEBHOOK_PATH, Runtime, order_webhook_endpoint
from app.settings import Settings
from domain.order_events import StoredDelivery
from tests.api._helpers import REQUEST_REFUND, gid, open_case
from tests.api.conftest import Api, Customer, running_api
from tests.toolbox.graphql import internal_id
from tests.toolbox.network import free_port
from tests.toolbox.polling import poll_until
from tests.toolbox.services import REDIS_URL, throwaway_database

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

TIMELINE = """
query($id: ID!) { supportCase(id: $id) {
  order { id status stale }
  timeline(first: 100) { edges { node { type summary before after actor { id } } } }
}}"""


def event_body(order: dict[str, Any], event_type: str, *, changed_at: datetime) -> bytes:
    changed = {**order, "updated_at": iso_utc(changed_at)}
    payload = {"type": event_type, "timestamp": iso_utc(changed_at), "data": {"order": changed}}
    return json.dumps(payload, separators=(",", ":")).encode()


@dataclass
class Subject:
    """A customer's shipped order and the case about it."""

    customer: Customer
    order_id: str
    case_id: str  # global id
    case_pk: str  # database id

    def order(self, api: Api, **changes: Any) -> dict[str, Any]:
        order = api.orders.get(self.order_id)
        assert order is not None
        return {**order, **changes}


async def new_subject(api: Api) -> Subject:
    customer = await api.new_customer("Webhook Customer")
    order_id = customer.order_ids["shipped"]
    case = await open_case(api, customer.token, order_id, category="DELIVERY_PROBLEM")
    return Subject(customer, order_id, case["id"], internal_id(case["id"]))


@pytest.fixture
async def subject(api: Api) -> Subject:
    return await new_subject(api)


async def deliver(
    http: httpx.AsyncClient,
    body: bytes,
    *,
    secret: str,
    delivery_id: str | None = None,
    timestamp: int | None = None,
) -> httpx.Response:
    headers = signed_headers(
        secret,
        delivery_id or f"msg_{uuid.uuid4().hex}",
        int(time.time()) if timestamp is None else timestamp,
        body,
    )
    return await http.post(ORDER_WEBHOOK_PATH, content=body, headers=headers)


async def written(api: Api, subject: Subject, delivery_id: str | None = None) -> tuple[int, ...]:
    """(delivery rows of the id, version rows of the order, ORDER_UPDATED entries of the case)."""
    async with api.runtime.engine.connect() as conn:
        deliveries = (
            await conn.execute(
                text("SELECT count(*) FROM order_webhook_deliveries WHERE delivery_id = :d"),
                {"d": delivery_id or ""},
            )
        ).scalar_one()
        versions = (
            await conn.execute(
                text("SELECT count(*) FROM order_versions WHERE order_id = :o"),
                {"o": subject.order_id},
            )
        ).scalar_one()
        entries = (
            await conn.execute(
                text(
                    "SELECT count(*) FROM case_events WHERE case_id = :c AND type = 'ORDER_UPDATED'"
                ),
                {"c": subject.case_pk},
            )
        ).scalar_one()
    return (int(deliveries), int(versions), int(entries))


async def all_deliveries(api: Api) -> int:
    async with api.runtime.engine.connect() as conn:
        count = await conn.execute(text("SELECT count(*) FROM order_webhook_deliveries"))
        return int(count.scalar_one())


async def timeline(api: Api, subject: Subject) -> dict[str, Any]:
    data = await api.gql.ok(TIMELINE, {"id": subject.case_id}, subject.customer.token)
    view: dict[str, Any] = data["supportCase"]
    return view


def order_updates(view: dict[str, Any]) -> list[dict[str, Any]]:
    return [e["node"] for e in view["timeline"]["edges"] if e["node"]["type"] == "ORDER_UPDATED"]


# -- rejected deliveries ------------------------------------------------------------------------

OTHER_SECRET = "whsec_" + base64.b64encode(b"not-the-order-systems-secret").decode()


def _rejections() -> list[str]:
    return [
        "forged signature",
        "wrong secret",
        "one changed byte",
        "stale timestamp",
        "future timestamp",
        "no webhook-id",
        "no webhook-timestamp",
        "no webhook-signature",
        "no headers at all",
        "oversized body",
        "oversized body, streamed",
        "not json",
    ]


@pytest.mark.parametrize("attack", _rejections())
async def test_rejected_deliveries_write_nothing(api: Api, subject: Subject, attack: str) -> None:
    secret = api.settings.order_webhook_secret.get_secret_value()
    delivery_id = f"msg_{uuid.uuid4().hex}"
    now = int(time.time())
    body = event_body(
        subject.order(api, status="DELIVERED"), "order.delivered", changed_at=datetime.now(UTC)
    )
    headers = signed_headers(secret, delivery_id, now, body)
    content: Any = body
    expected = 401
    if attack == "forged signature":
        headers["webhook-signature"] = "v1," + base64.b64encode(b"\x01" * 32).decode()
    elif attack == "wrong secret":
        headers = signed_headers(OTHER_SECRET, delivery_id, now, body)
    elif attack == "one changed byte":
        at = body.index(b"DELIVERED")
        content = body[:at] + b"C" + body[at + 1 :]  # "CELIVERED": one byte, still JSON
    elif attack == "stale timestamp":
        headers = signed_headers(secret, delivery_id, now - 301, body)
    elif attack == "future timestamp":
        headers = signed_headers(secret, delivery_id, now + 301, body)
    elif attack.startswith("no webhook-"):
        del headers[attack[3:]]
        expected = 400
    elif attack == "no headers at all":
        headers = {"content-type": "application/json"}
        expected = 400
    elif attack.startswith("oversized body"):
        padded = json.loads(body)
        padded["padding"] = "x" * (api.settings.order_webhook_max_body_bytes + 1)
        big = json.dumps(padded).encode()
        headers = signed_headers(secret, delivery_id, now, big)  # validly signed, still refused
        content = big
        if attack.endswith("streamed"):

            async def chunks() -> AsyncIterator[bytes]:
                for start in range(0, len(big), 8192):
                    yield big[start : start + 8192]

            content = chunks()
        expected = 413
    elif attack == "not json":
        content = b"<xml>surprise</xml>"
        headers = signed_headers(secret, delivery_id, now, content)
        expected = 400
    before = await all_deliveries(api)

    response = await api.http.post(ORDER_WEBHOOK_PATH, content=content, headers=headers)

    assert response.status_code == expected, response.text
    assert await written(api, subject, delivery_id) == (0, 0, 0)
    assert await all_deliveries(api) == before
    assert order_updates(await timeline(api, subject)) == []

    # The check can fail: the same delivery, done right, is written.
    ok = await deliver(api.http, body, secret=secret, delivery_id=delivery_id)
    assert ok.status_code == 200 and ok.json()["status"] == "applied", ok.text
    assert await written(api, subject, delivery_id) == (1, 1, 1)


async def test_unknown_event_types_are_acknowledged_and_ignored(api: Api, subject: Subject) -> None:
    delivery_id = f"msg_{uuid.uuid4().hex}"
    body = json.dumps({"type": "order.refunded", "data": {"anything": 1}}).encode()

    response = await deliver(
        api.http,
        body,
        secret=api.settings.order_webhook_secret.get_secret_value(),
        delivery_id=delivery_id,
    )

    assert response.status_code == 200 and response.json() == {"status": "ignored"}
    assert await written(api, subject, delivery_id) == (0, 0, 0)


async def test_a_verified_but_malformed_event_is_a_bad_request(api: Api, subject: Subject) -> None:
    delivery_id = f"msg_{uuid.uuid4().hex}"
    order = subject.order(api)
    order["total"] = "a lot"
    body = event_body(order, "order.updated", changed_at=datetime.now(UTC))

    response = await deliver(
        api.http,
        body,
        secret=api.settings.order_webhook_secret.get_secret_value(),
        delivery_id=delivery_id,
    )

    assert response.status_code == 400, response.text
    assert await written(api, subject, delivery_id) == (0, 0, 0)


# -- exactly one effect -------------------------------------------------------------------------


async def test_ten_duplicates_concurrent_then_sequential_have_one_effect(
    api: Api, subject: Subject
) -> None:
    secret = api.settings.order_webhook_secret.get_secret_value()
    delivery_id = f"msg_{uuid.uuid4().hex}"
    body = event_body(
        subject.order(api, status="DELIVERED"), "order.delivered", changed_at=datetime.now(UTC)
    )

    concurrent = await asyncio.gather(
        *(deliver(api.http, body, secret=secret, delivery_id=delivery_id) for _ in range(10))
    )
    assert [r.status_code for r in concurrent] == [200] * 10
    assert sorted(r.json()["status"] for r in concurrent) == ["applied"] + ["duplicate"] * 9

    for _ in range(10):
        again = await deliver(api.http, body, secret=secret, delivery_id=delivery_id)
        assert again.status_code == 200 and again.json()["status"] == "duplicate"

    assert await written(api, subject, delivery_id) == (1, 1, 1)
    [entry] = order_updates(await timeline(api, subject))
    assert entry["after"] == "DELIVERED" and entry["actor"] is None


async def test_a_redelivery_48_hours_later_has_no_effect(
    api: Api, subject: Subject, postgres_url: str
) -> None:
    """Another instance of the app on the same database, with a clock that can be moved: the
    order system redelivers the same event (same webhook-id, fresh timestamp) two days later."""
    clock = FixedClock(datetime.now(UTC).replace(microsecond=0))
    secret = api.settings.order_webhook_secret.get_secret_value()
    delivery_id = f"msg_{uuid.uuid4().hex}"
    body = event_body(
        subject.order(api, status="DELIVERED"), "order.delivered", changed_at=clock.now()
    )
    sent_at = int(clock.now().timestamp())
    original = signed_headers(secret, delivery_id, sent_at, body)
    async with running_api(api.settings.model_copy(), seed_demo=False, clock=clock) as later:
        first = await later.http.post(ORDER_WEBHOOK_PATH, content=body, headers=original)
        assert first.json()["status"] == "applied", first.text

        clock.advance(hours=48)
        replayed = await later.http.post(ORDER_WEBHOOK_PATH, content=body, headers=original)
        assert replayed.status_code == 401  # the captured request is too old to verify
        redelivered = await deliver(
            later.http,
            body,
            secret=secret,
            delivery_id=delivery_id,
            timestamp=int(clock.now().timestamp()),
        )
        assert redelivered.status_code == 200, redelivered.text
        assert redelivered.json()["status"] == "duplicate"

    assert await written(api, subject, delivery_id) == (1, 1, 1)


STATUSES = [("SHIPPED", "order.updated"), ("DELIVERED", "order.delivered")]
STATUSES.append(("CANCELLED", "order.cancelled"))


@pytest.mark.parametrize("arrival", list(itertools.permutations(range(3))))
async def test_every_arrival_order_ends_in_the_newest_state(
    api: Api, arrival: tuple[int, ...]
) -> None:
    subject = await new_subject(api)  # its order is cached as SHIPPED by opening the case
    secret = api.settings.order_webhook_secret.get_secret_value()
    base = datetime.now(UTC) - timedelta(minutes=3)
    events = []
    for n, (status, event_type) in enumerate(STATUSES):
        order = subject.order(api, status=status)
        events.append(event_body(order, event_type, changed_at=base + timedelta(minutes=n)))
    # The order system holds the newest state (the events describe its history).
    api.orders.update(subject.order_id, status="CANCELLED")

    outcomes = []
    for index in arrival:
        response = await deliver(api.http, events[index], secret=secret)
        assert response.status_code == 200, response.text
        outcomes.append(response.json()["status"])

    view = await timeline(api, subject)
    assert view["order"]["status"] == "CANCELLED"  # no older copy survived in the cache
    updates = order_updates(view)
    assert updates[-1]["after"] == "CANCELLED"
    assert len(updates) == outcomes.count("applied")
    rank = {status: n for n, (status, _) in enumerate(STATUSES)}
    assert [rank[u["after"]] for u in updates] == sorted(rank[u["after"]] for u in updates)
    async with api.runtime.engine.connect() as conn:
        stored = (
            await conn.execute(
                text("SELECT status FROM order_versions WHERE order_id = :o"),
                {"o": subject.order_id},
            )
        ).scalar_one()
    assert stored == "CANCELLED"


# -- failures to store: the sender must retry -----------------------------------------------------


async def test_a_database_outage_answers_503_and_the_retry_applies(
    api: Api, subject: Subject
) -> None:
    dead = create_engine(f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/nothing")
    try:
        assert api.runtime.orders is not None
        broken = dataclasses.replace(
            api.runtime.services, uow=SqlUnitOfWorkFactory(create_session_factory(dead))
        )
        endpoint = order_webhook_endpoint(dataclasses.replace(api.runtime, services=broken))
        down = Starlette(routes=[Route(ORDER_WEBHOOK_PATH, endpoint.handle, methods=["POST"])])
        transport = httpx.ASGITransport(app=down)
        body = event_body(
            subject.order(api, status="DELIVERED"), "order.delivered", changed_at=datetime.now(UTC)
        )
        delivery_id = f"msg_{uuid.uuid4().hex}"
        async with httpx.AsyncClient(transport=transport, base_url="http://down.test") as http:
            response = await deliver(
                http,
                body,
                secret=api.settings.order_webhook_secret.get_secret_value(),
                delivery_id=delivery_id,
            )
        assert response.status_code == 503, response.text
        assert response.headers["retry-after"]
        assert await written(api, subject, delivery_id) == (0, 0, 0)
    finally:
        await dead.dispose()

    retried = await deliver(
        api.http,
        body,
        secret=api.settings.order_webhook_secret.get_secret_value(),
        delivery_id=delivery_id,
    )
    assert retried.json()["status"] == "applied"
    assert await written(api, subject, delivery_id) == (1, 1, 1)


async def test_the_previous_secret_is_wired_in(api: Api, subject: Subject) -> None:
    previous = "whsec_" + base64.b64encode(b"last-months-secret-0123").decode()
    rotated: Runtime = dataclasses.replace(
        api.runtime,
        settings=api.settings.model_copy(update={"order_webhook_previous_secret": previous}),
    )
    endpoint = order_webhook_endpoint(rotated)
    app = Starlette(routes=[Route(ORDER_WEBHOOK_PATH, endpoint.handle, methods=["POST"])])
    body = event_body(subject.order(api), "order.updated", changed_at=datetime.now(UTC))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://rotated.test"
    ) as http:
        with_previous = await deliver(http, body, secret=previous)
        with_other = await deliver(http, body, secret=OTHER_SECRET)
    assert with_previous.status_code == 200, with_previous.text
    assert with_other.status_code == 401
    # ...and the live app (no previous secret configured) refuses the previous one.
    assert (await deliver(api.http, body, secret=previous)).status_code == 401


# -- the order simulator sends them ---------------------------------------------------------------


@pytest.fixture(scope="module")
async def demo() -> AsyncIterator[Api]:
    """The demo as `make run` serves it (embedded simulator, demo data), on its own PostgreSQL
    database, so that alice's demo orders and refund limits are untouched by other tests."""
    async with throwaway_database("demo") as url:
        settings = Settings(
            app_env="test",
            database_url=url,
            redis_url=REDIS_URL,
            login_attempts_per_minute=100_000,
        )
        async with running_api(settings) as demo:
            # The demo's Redis cache keys are shared with the API harness: start clean for ours.
            assert demo.runtime.orders is not None
            await demo.runtime.orders.invalidate(
                [f"ord-alice-{n}" for n in range(1, 6)] + ["ord-bob-1"]
            )
            yield demo


async def test_marking_alices_shipped_order_delivered_makes_it_refundable(
    demo: Api,
) -> None:
    gql, http = demo.gql, demo.http
    alice = await gql.login("alice@example.com")
    data = await gql.ok(
        """mutation($o: ID) { openCase(input: {subject: "Notebooks", description: "Late?",
           category: DELIVERY_PROBLEM, orderId: $o}) {
             ... on CaseOpened { supportCase { id } } } }""",
        {"o": gid("Order", "ord-alice-3")},
        alice,
    )
    case_id = data["openCase"]["supportCase"]["id"]
    refund = {"caseId": case_id, "reason": "DAMAGED", "amount": 1200}

    async def request() -> dict[str, Any]:
        answer: dict[str, Any] = (await gql.ok(REQUEST_REFUND, {"input": refund}, alice))[
            "requestRefund"
        ]
        return answer

    denied = await request()
    assert (denied["__typename"], denied["denial"]) == ("RefundNotAllowed", "ORDER_NOT_DELIVERED")

    # What `make order-status ORDER=ord-alice-3 STATUS=DELIVERED` posts.
    marked = await http.post(
        "/_sim/orders/_operator/orders/ord-alice-3/status", json={"status": "DELIVERED"}
    )
    assert marked.status_code == 200, marked.text
    assert marked.json()["order"]["status"] == "DELIVERED"
    webhook_id = marked.json()["webhook"]["id"]

    async def case_view() -> dict[str, Any]:
        view: dict[str, Any] = (await gql.ok(TIMELINE, {"id": case_id}, alice))["supportCase"]
        return view

    view = await poll_until(case_view, until=order_updates, what="the order update on the case")
    await poll_until(request, until=lambda r: r.get("__typename") == "RefundRequested")

    [update] = order_updates(view)
    assert update["summary"] == "Order #1003 was delivered"
    assert update["after"] == "DELIVERED"
    assert view["order"]["status"] == "DELIVERED"
    [delivery] = [d for d in demo.orders.webhook_deliveries if d.message_id == webhook_id]
    assert delivery.delivered and delivery.outcomes == [200]


async def test_the_operator_endpoint_refuses_what_an_order_system_would(
    demo: Api,
) -> None:
    http = demo.http
    base = "/_sim/orders/_operator/orders"
    unknown = await http.post(f"{base}/ord-nobody/status", json={"status": "DELIVERED"})
    assert unknown.status_code == 404
    bad = await http.post(f"{base}/ord-alice-4/status", json={"status": "LOST"})
    assert bad.status_code == 400
    backwards = await http.post(f"{base}/ord-alice-1/status", json={"status": "SHIPPED"})
    assert backwards.status_code == 409
    not_json = await http.post(f"{base}/ord-alice-4/status", content=b"DELIVERED")
    assert not_json.status_code == 400


# -- replays (admins) ----------------------------------------------------------------------------

REPLAY = """mutation($id: String!) { replayOrderWebhook(input: {deliveryId: $id}) {
  __typename
  ... on OrderWebhookReplayed { deliveryId outcome casesUpdated }
  ... on ValidationFailed { fields { field message } }
  ... on Error { message code }
}}"""


async def test_an_admin_replays_a_stored_delivery(api: Api, subject: Subject) -> None:
    admin = await api.token("admin@example.com")
    agent = await api.token("agent@example.com")
    secret = api.settings.order_webhook_secret.get_secret_value()
    delivery_id = f"msg_{uuid.uuid4().hex}"
    body = event_body(
        subject.order(api, status="DELIVERED"), "order.delivered", changed_at=datetime.now(UTC)
    )
    delivered = await deliver(api.http, body, secret=secret, delivery_id=delivery_id)
    assert delivered.json()["status"] == "applied", delivered.text
    assert await written(api, subject, delivery_id) == (1, 1, 1)

    # Applied already: the replay changes nothing but the order cache.
    again = await api.gql.ok(REPLAY, {"id": delivery_id}, admin)
    assert again["replayOrderWebhook"] == {
        "__typename": "OrderWebhookReplayed",
        "deliveryId": delivery_id,
        "outcome": "OUTDATED",
        "casesUpdated": 0,
    }
    assert await written(api, subject, delivery_id) == (1, 1, 1)

    # After a restore that lost the order's applied state, the replay applies it again.
    async with api.runtime.engine.begin() as conn:
        await conn.execute(
            text("DELETE FROM order_versions WHERE order_id = :o"), {"o": subject.order_id}
        )
    restored = await api.gql.ok(REPLAY, {"id": delivery_id}, admin)
    assert restored["replayOrderWebhook"]["outcome"] == "APPLIED"
    assert restored["replayOrderWebhook"]["casesUpdated"] == 1
    assert await written(api, subject, delivery_id) == (1, 1, 2)
    assert len(order_updates(await timeline(api, subject))) == 2

    audit = await api.gql.ok(
        "{ auditLog(first: 10) { edges { node { action details { key value } } } } }", {}, admin
    )
    replays = [
        {d["key"]: d["value"] for d in e["node"]["details"]}
        for e in audit["auditLog"]["edges"]
        if e["node"]["action"] == "ORDER_WEBHOOK_REPLAYED"
    ]
    assert [r["outcome"] for r in replays if r["delivery"] == delivery_id] == [
        "applied",
        "outdated",
    ]  # newest first

    refused = await api.gql(REPLAY, {"id": delivery_id}, agent)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    missing = await api.gql.ok(REPLAY, {"id": "msg_never_delivered"}, admin)
    assert missing["replayOrderWebhook"]["code"] == "NOT_FOUND"


async def test_a_delivery_stored_without_its_payload_cannot_be_replayed(api: Api) -> None:
    admin = await api.token("admin@example.com")
    delivery_id = f"msg_{uuid.uuid4().hex}"
    async with api.runtime.services.uow() as uow:
        await uow.order_webhooks.record_delivery(
            StoredDelivery(
                delivery_id,
                event_type="order.delivered",
                order_id=None,
                received_at=datetime.now(UTC),
            )
        )
        await uow.commit()
    data = await api.gql.ok(REPLAY, {"id": delivery_id}, admin)
    result = data["replayOrderWebhook"]
    assert result["__typename"] == "ValidationFailed", result
    assert result["fields"][0]["field"] == "deliveryId"
