"""GET /metrics: each figure moves when the thing it counts happens (and only then), on the real
app over PostgreSQL and Redis."""

from __future__ import annotations

import time
import uuid

import pytest

from adapters.order_system.webhook_sender import signed_headers
from app.composition.webhooks import ORDER_WEBHOOK_PATH
from tests.api._helpers import open_case, request_refund
from tests.api.conftest import Api
from tests.toolbox.metrics import scrape
from tests.toolbox.polling import poll_until
from tests.toolbox.ws import asgi_ws

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

OPS = "support_graphql_operations_total"
DURATION_COUNT = "support_graphql_operation_duration_seconds_count"
ERRORS = "support_graphql_errors_total"


async def test_operations_are_counted_by_name_and_outcome(api: Api) -> None:
    token = await api.token("agent@example.com")
    name = f"Probe{uuid.uuid4().hex[:8]}"
    before = await scrape(api.http)
    await api.gql.ok(f"query {name} {{ viewer {{ id }} }}", token=token)
    await api.gql.ok(f"query {name} {{ viewer {{ id }} }}", token=token)
    denied = await api.gql(f"query {name} {{ supportCases(first: 1) {{ totalCount }} }}")
    assert denied["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    invalid = await api.gql(f"query {name} {{ noSuchField }}", token=token)
    assert invalid["errors"]
    after = await scrape(api.http)

    ok = {"operation": name, "type": "query", "outcome": "ok"}
    error = {"operation": name, "type": "query", "outcome": "error"}
    assert before.value(OPS, **ok) == 0
    assert after.value(OPS, **ok) == 2
    assert after.value(DURATION_COUNT, **ok) == 2
    # The anonymous caller's and the invalid document's (it parses: its type is known).
    assert after.value(OPS, **error) == 2
    assert (
        after.value(ERRORS, code="UNAUTHENTICATED") - before.value(ERRORS, code="UNAUTHENTICATED")
        == 1
    )
    assert (
        after.value(ERRORS, code="GRAPHQL_VALIDATION")
        - before.value(ERRORS, code="GRAPHQL_VALIDATION")
        == 1
    )


async def test_unbounded_names_do_not_make_labels(api: Api) -> None:
    token = await api.token("agent@example.com")
    before = await scrape(api.http)
    await api.gql.ok("{ viewer { id } }", token=token)
    after = await scrape(api.http)
    anonymous = {"operation": "anonymous", "type": "query", "outcome": "ok"}
    assert after.value(OPS, **anonymous) - before.value(OPS, **anonymous) == 1


async def test_dataloader_batches_and_order_system_calls(api: Api) -> None:
    customer = await api.new_customer()
    staff = await api.token("agent@example.com")
    for key in ("delivered", "small", "big"):
        await open_case(api, customer.token, customer.order_ids[key])
    before = await scrape(api.http)
    # The customer's orders: one order-system call; every order goes into the cache.
    await api.gql.ok("{ myOrders(first: 10) { edges { node { id } } } }", token=customer.token)
    # Three cases with their customer and order: one user batch, one order batch (cache hits).
    data = await api.gql.ok(
        'query Batch { supportCases(first: 3, filter: {search: "Broken"}) { edges { node {'
        " customer { id } order { id } } } } }",
        token=staff,
    )
    assert data["supportCases"]["edges"]
    after = await scrape(api.http)

    def delta(name: str, **labels: str) -> float:
        return after.value(name, **labels) - before.value(name, **labels)

    calls = "support_order_system_calls_total"
    assert delta(calls, operation="list_customer_orders", outcome="ok") == 1
    assert delta("support_order_cache_lookups_total", result="hit") >= 1
    assert delta("support_dataloader_batch_size_count", loader="user_by_id") == 1
    assert delta("support_dataloader_batch_size_count", loader="order_by_id") == 1
    assert after.value("support_order_system_breaker_state", state="closed") == 1
    assert after.value("support_order_system_breaker_state", state="open") == 0


async def test_refund_jobs_by_state_and_the_oldest_pending(api: Api) -> None:
    customer = await api.new_customer()
    case = await open_case(api, customer.token, customer.order_ids["small"])
    before = await scrape(api.http)
    # 19.99 on the order delivered yesterday: approved by policy, so a job waits for a worker
    # (no worker runs in these tests).
    result = await request_refund(api, customer.token, case["id"], reason="DAMAGED", amount=1999)
    assert result["__typename"] == "RefundRequested", result
    after = await scrape(api.http)
    pending = after.value("support_refund_jobs", state="pending")
    assert pending - before.value("support_refund_jobs", state="pending") == 1
    assert after.value("support_refund_jobs", state="due") >= 1
    assert "support_refund_jobs_oldest_pending_age_seconds" in after.names()


async def test_webhooks_accepted_and_refused_by_reason(api: Api) -> None:
    before = await scrape(api.http)
    body = b'{"type": "order.updated"}'
    refused = await api.http.post(ORDER_WEBHOOK_PATH, content=body)
    assert refused.status_code == 400
    forged = signed_headers(
        "whsec_" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB", f"msg_{uuid.uuid4().hex}", 0, body
    )
    assert (
        await api.http.post(ORDER_WEBHOOK_PATH, content=body, headers=forged)
    ).status_code == 401
    secret = api.settings.order_webhook_secret.get_secret_value()
    ignored = b'{"type": "order.something_else", "data": {}}'
    headers = signed_headers(secret, f"msg_{uuid.uuid4().hex}", int(time.time()), ignored)
    assert (
        await api.http.post(ORDER_WEBHOOK_PATH, content=ignored, headers=headers)
    ).status_code == 200
    after = await scrape(api.http)

    name = "support_webhooks_received_total"

    def delta(result: str, reason: str) -> float:
        labels = {"source": "order_system", "result": result, "reason": reason}
        return after.value(name, **labels) - before.value(name, **labels)

    assert delta("refused", "missing_headers") == 1
    assert delta("refused", "timestamp_outside_window") == 1
    assert delta("accepted", "ignored") == 1
    assert delta("refused", "bad_signature") == 0


async def test_websocket_connections_and_subscriptions(api: Api) -> None:
    token = await api.token("agent@example.com")
    before = await scrape(api.http)
    async with asgi_ws(api.app) as ws:
        await ws.init_ok(token)
        await ws.subscribe("all")
        # An event through the subscription proves that it runs.
        customer = await api.new_customer()
        await open_case(api, customer.token, customer.order_ids["delivered"])
        await ws.next_for("all")
        during = await scrape(api.http)
    connections = "support_websocket_connections"
    subscriptions = "support_graphql_subscriptions"
    # The server notices the close on its own time.
    after = await poll_until(
        lambda: scrape(api.http),
        until=lambda s: s.value(connections) == before.value(connections),
        what="the connection gauge back to its value before",
    )
    assert during.value(connections) - before.value(connections) == 1
    assert (
        during.value(subscriptions, field="caseEvents")
        - before.value(subscriptions, field="caseEvents")
        == 1
    )
    assert (
        during.value("support_websocket_connections_opened_total")
        - before.value("support_websocket_connections_opened_total")
        == 1
    )
    assert after.value(connections) == before.value(connections)
    assert after.value(subscriptions, field="caseEvents") == before.value(
        subscriptions, field="caseEvents"
    )
