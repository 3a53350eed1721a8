"""The order system goes dark and comes back, with the service running throughout.

A real order simulator served by uvicorn on 127.0.0.1, the fault proxy (tests/faults) in front of
it, and the app configured as in production (ORDER_SYSTEM_URL = the proxy, short timeouts,
PostgreSQL + Redis). Blackholed: case lists still answer, with the cached order marked stale;
requestRefund answers ORDER_UNAVAILABLE (money is never decided on a cached copy). Back to normal:
everything works again without a restart.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from adapters.order_system.simulator import (
    OrderSimulatorState,
    create_order_simulator,
    make_order,
    simulator_state,
)
from app.main import Runtime
from domain.users import Role
from tests.api._helpers import OPEN_CASE, REQUEST_REFUND, gid
from tests.api.conftest import Api, running_api
from tests.faults.proxy import FaultProxy
from tests.toolbox.graphql import GraphQLClient
from tests.toolbox.network import serve
from tests.toolbox.polling import poll_until

pytestmark = pytest.mark.postgres

CASES = """
query { supportCases(first: 20) { edges { node { id order { id status stale asOf } } } } }"""


@dataclass
class Outage:
    proxy: FaultProxy
    upstream: OrderSimulatorState
    gql: GraphQLClient
    runtime: Runtime
    token: str
    order_id: str


@pytest.fixture
async def outage(api: Api) -> AsyncIterator[Outage]:
    simulator = create_order_simulator(orders=[])
    upstream = simulator_state(simulator)
    async with (
        serve(simulator) as upstream_url,
        FaultProxy(int(upstream_url.rsplit(":", 1)[1])) as proxy,
    ):
        settings = api.settings.model_copy(
            update={
                "order_system_url": proxy.url,
                "order_system_timeout_seconds": 0.3,
                "order_system_deadline_seconds": 0.8,
                "order_system_retries": 1,
                "order_breaker_failures": 3,
                "order_breaker_reset_seconds": 0.5,
                # Every read asks the order system, so that an outage shows at once.
                "order_cache_fresh_seconds": 0,
            }
        )
        async with running_api(settings, seed_demo=False) as down:
            ref = f"cust-{uuid.uuid4().hex[:8]}"
            user = await down.add_user(f"{ref}@example.com", "Outage Customer", Role.CUSTOMER, ref)
            now = datetime.now(UTC).replace(microsecond=0)
            order_id = f"ord-{ref}-1"
            upstream.upsert(
                make_order(
                    id=order_id,
                    number="#9001",
                    customer_id=ref,
                    status="DELIVERED",
                    placed_at=now - timedelta(days=5),
                    delivered_at=now - timedelta(days=2),
                    lines=[("SKU-O", "Outage kettle", 1, 3000)],
                    shipping=500,
                )
            )
            token = await down.gql.login(user.email)
            yield Outage(proxy, upstream, down.gql, down.runtime, token, order_id)


async def list_orders(outage: Outage) -> list[dict[str, Any]]:
    data = await outage.gql.ok(CASES, token=outage.token)
    return [e["node"]["order"] for e in data["supportCases"]["edges"]]


async def refund(outage: Outage, case_id: str) -> dict[str, Any]:
    data = await outage.gql.ok(
        REQUEST_REFUND,
        {"input": {"caseId": case_id, "reason": "DAMAGED", "amount": 1000}},
        outage.token,
    )
    result: dict[str, Any] = data["requestRefund"]
    return result


async def test_lists_go_stale_refunds_wait_and_all_recovers(outage: Outage) -> None:
    opened = await outage.gql.ok(
        OPEN_CASE,
        {
            "input": {
                "subject": "Kettle leaks",
                "description": "Water everywhere.",
                "category": "PRODUCT_ISSUE",
                "orderId": gid("Order", outage.order_id),
            }
        },
        outage.token,
    )
    case_id = opened["openCase"]["supportCase"]["id"]
    [order] = await list_orders(outage)
    assert order["stale"] is False and order["status"] == "DELIVERED"

    outage.proxy.blackhole()
    upstream_calls = sum(outage.upstream.calls.values())
    async with asyncio.timeout(10):  # a bound, not a measurement: the deadline is 0.8 s
        [stale] = await list_orders(outage)
        denied = await refund(outage, case_id)
    assert stale["stale"] is True
    assert stale["id"] == order["id"] and stale["asOf"] == order["asOf"]  # the cached copy
    assert (denied["__typename"], denied["denial"]) == ("RefundNotAllowed", "ORDER_UNAVAILABLE")
    assert sum(outage.upstream.calls.values()) == upstream_calls  # nothing got through

    outage.proxy.passthrough()  # no restart, no reset of anything in the app
    # The breaker's cool-down is 0.5 s.
    [fresh] = await poll_until(
        lambda: list_orders(outage), until=lambda orders: not orders[0]["stale"], interval=0.1
    )

    def requested(result: dict[str, Any]) -> bool:
        if result.get("__typename") == "RefundRequested":
            return True
        assert result.get("denial") == "ORDER_UNAVAILABLE", result
        return False

    result = await poll_until(lambda: refund(outage, case_id), until=requested, interval=0.1)
    assert fresh["status"] == "DELIVERED"
    assert result["refund"]["amount"]["amount"] == 1000


# -- API 1.1: one shape of "the order system is unavailable" per kind of operation --------------

REFUND_1_1 = """
mutation($input: RequestRefundInput!) { requestRefund(input: $input) {
  __typename
  ... on RefundRequested { refund { id status } }
  ... on OrderUnavailable { message code }
  ... on RefundNotAllowed { denial }
}}"""

APPROVE_1_1 = """
mutation($input: ApproveRefundInput!) { approveRefund(input: $input) { ...outcome } }
fragment outcome on ApproveRefundResult {
  __typename
  ... on RefundDecided { refund { status } }
  ...unavailable
  ... on RefundNotAllowed { denial }
}
fragment unavailable on OrderUnavailable { message code }"""

APPROVE_1_0 = """
mutation($input: ApproveRefundInput!) { approveRefund(input: $input) {
  __typename
  ... on RefundNotAllowed { denial }
  ... on Error { message code }
}}"""

READS = {
    "order": "query($id: ID!) { order(id: $id) { id } }",
    "refundQuote": "query($id: ID!) { refundQuote(orderId: $id) { eligible } }",
    "myOrders": "{ myOrders(first: 5) { edges { node { id } } } }",
}


async def test_one_shape_per_kind_of_operation(outage: Outage) -> None:
    """Queries: a top-level error with extensions.code ORDER_UNAVAILABLE (the field is null,
    the rest of the answer stays); mutations: the OrderUnavailable member (refund mutations:
    to callers that select it; released documents keep RefundNotAllowed{ORDER_UNAVAILABLE})."""
    gql, token = outage.gql, outage.token
    agent = await gql.login("agent@example.com")
    opened = await gql.ok(
        OPEN_CASE,
        {
            "input": {
                "subject": "Kettle hums",
                "description": "Loudly.",
                "category": "PRODUCT_ISSUE",
                "orderId": gid("Order", outage.order_id),
            }
        },
        token,
    )
    case_id = opened["openCase"]["supportCase"]["id"]
    requested = await gql.ok(
        REFUND_1_1, {"input": {"caseId": case_id, "reason": "DAMAGED", "amount": 3000}}, token
    )
    assert requested["requestRefund"]["refund"]["status"] == "REQUESTED", requested
    refund_id = requested["requestRefund"]["refund"]["id"]
    # An order the service has never read: nothing cached to fall back on.
    unseen = outage.order_id.replace("-1", "-2")
    outage.upstream.upsert({**outage.upstream.get(outage.order_id), "id": unseen})  # type: ignore[dict-item]

    outage.proxy.blackhole()
    async with asyncio.timeout(20):
        for field, query in READS.items():
            body = await gql(query, {"id": gid("Order", unseen)}, token)
            assert [e["extensions"]["code"] for e in body["errors"]] == ["ORDER_UNAVAILABLE"]
            assert body["errors"][0]["path"] == [field]
            assert (body["data"] or {}).get(field) is None
        # An order read before is served from the cache instead, marked stale (no error).
        cached = await gql(
            "query($id: ID!) { supportCase(id: $id) { id order { id stale } } }",
            {"id": case_id},
            token,
        )
        assert "errors" not in cached and cached["data"]["supportCase"]["order"]["stale"] is True

        open_unseen = await gql.ok(
            OPEN_CASE,
            {
                "input": {
                    "subject": "Where is it?",
                    "description": "Never came.",
                    "category": "DELIVERY_PROBLEM",
                    "orderId": gid("Order", unseen),
                }
            },
            token,
        )
        assert open_unseen["openCase"]["__typename"] == "OrderUnavailable"
        assert open_unseen["openCase"]["code"] == "ORDER_UNAVAILABLE"

        refund_input = {"input": {"caseId": case_id, "reason": "DAMAGED", "amount": 100}}
        asked = (await gql.ok(REFUND_1_1, refund_input, token))["requestRefund"]
        assert (asked["__typename"], asked["code"]) == ("OrderUnavailable", "ORDER_UNAVAILABLE")
        released = (await gql.ok(REQUEST_REFUND, refund_input, token))["requestRefund"]
        assert (released["__typename"], released["denial"]) == (
            "RefundNotAllowed",
            "ORDER_UNAVAILABLE",
        )

        approve_input = {"input": {"refundId": refund_id}}
        approved = (await gql.ok(APPROVE_1_1, approve_input, agent))["approveRefund"]
        assert (approved["__typename"], approved["code"]) == (
            "OrderUnavailable",
            "ORDER_UNAVAILABLE",
        )
        old = (await gql.ok(APPROVE_1_0, approve_input, agent))["approveRefund"]
        assert (old["__typename"], old["denial"]) == ("RefundNotAllowed", "ORDER_UNAVAILABLE")
