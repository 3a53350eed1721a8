"""The foundation issue's "done when": the demo journey and the refund rules, through the API."""

from __future__ import annotations

from tests.api.conftest import Api
from tests.toolbox.graphql import (
    APPROVE_BY_ID,
    MY_ORDERS,
    OPEN_CASE_WITH_ORDER,
    POST_BY_ID,
    REQUEST_REFUND_SHOWN,
    order_gid,
)


async def open_case(api: Api, token: str, order_id: str | None, subject: str = "Broken") -> str:
    data = await api.gql.ok(
        OPEN_CASE_WITH_ORDER,
        {
            "input": {
                "subject": subject,
                "description": "It arrived damaged.",
                "category": "REFUND_REQUEST",
                "orderId": order_gid(order_id) if order_id else None,
            }
        },
        token,
    )
    assert data["openCase"]["__typename"] == "CaseOpened", data
    case_id: str = data["openCase"]["supportCase"]["id"]
    return case_id


async def request_refund(api: Api, token: str, case_id: str, **fields: object) -> dict:
    data = await api.gql.ok(REQUEST_REFUND_SHOWN, {"input": {"caseId": case_id, **fields}}, token)
    result: dict = data["requestRefund"]
    return result


async def test_the_demo_journey_of_alice_and_the_agent(api: Api) -> None:
    alice = await api.token("alice@example.com")
    agent = await api.token("agent@example.com")

    orders = await api.gql.ok(
        MY_ORDERS,
        token=alice,
    )
    assert orders["viewer"] == {"name": "Alice Anders", "role": "CUSTOMER"}
    by_total = {e["node"]["total"]["amount"]: e["node"] for e in orders["myOrders"]["edges"]}
    delivered = by_total[12000]
    assert delivered["status"] == "DELIVERED"

    data = await api.gql.ok(
        OPEN_CASE_WITH_ORDER,
        {
            "input": {
                "subject": "Lamp arrived broken",
                "description": "The lamp's glass was shattered.",
                "category": "REFUND_REQUEST",
                "orderId": delivered["id"],
            }
        },
        alice,
    )
    case = data["openCase"]["supportCase"]
    case_id = case["id"]
    assert case["status"] == "OPEN" and case["number"].startswith("CS-")
    assert case["order"]["total"]["formatted"] == "USD 120.00"

    refund = await request_refund(api, alice, case_id, reason="DAMAGED", amount=4000)
    assert refund["__typename"] == "RefundRequested", refund
    assert refund["refund"]["status"] == "REQUESTED"
    refund_id = refund["refund"]["id"]

    queue = await api.gql.ok(
        "{ supportCases(first: 50, filter: {status: [OPEN]}) { edges { node { id subject "
        "customer { name } } } } }",
        token=agent,
    )
    assert case_id in [e["node"]["id"] for e in queue["supportCases"]["edges"]]

    note = await api.gql.ok(
        POST_BY_ID, {"case": case_id, "body": "Photo looks genuine.", "internal": True}, agent
    )
    assert note["postMessage"]["__typename"] == "MessagePosted"
    reply = await api.gql.ok(
        POST_BY_ID,
        {"case": case_id, "body": "Sorry! Refunding 40.00 now.", "internal": False},
        agent,
    )
    assert reply["postMessage"]["__typename"] == "MessagePosted"

    approved = await api.gql.ok(APPROVE_BY_ID, {"id": refund_id}, agent)
    assert approved["approveRefund"]["__typename"] == "RefundDecided", approved
    assert approved["approveRefund"]["refund"]["status"] == "APPROVED"
    assert approved["approveRefund"]["refund"]["approval"] == "AGENT"

    seen = await api.gql.ok(
        """query($id: ID!) { supportCase(id: $id) {
             refunds { status approval }
             messages(first: 20) { edges { node { body internal author { name } } } }
             timeline(first: 50) { edges { node { type summary message { body } } } }
           } }""",
        {"id": case_id},
        alice,
    )
    sc = seen["supportCase"]
    assert sc["refunds"] == [{"status": "APPROVED", "approval": "AGENT"}]
    bodies = [e["node"]["body"] for e in sc["messages"]["edges"]]
    assert bodies == ["Sorry! Refunding 40.00 now."]
    assert all(not e["node"]["internal"] for e in sc["messages"]["edges"])
    timeline = [e["node"] for e in sc["timeline"]["edges"]]
    assert "Photo looks genuine." not in str(timeline)
    assert [t["type"] for t in timeline] == [
        "CASE_OPENED",
        "REFUND_REQUESTED",
        "MESSAGE_POSTED",
        "REFUND_APPROVED",
        "REFUND_QUEUED",
    ]

    staff_view = await api.gql.ok(
        "query($id: ID!) { supportCase(id: $id) { messages { edges { node { internal } } } "
        "timeline { edges { node { type } } } } }",
        {"id": case_id},
        agent,
    )
    internals = [e["node"]["internal"] for e in staff_view["supportCase"]["messages"]["edges"]]
    assert internals == [True, False]
    assert len(staff_view["supportCase"]["timeline"]["edges"]) == 6


async def test_refund_rules_hold_through_the_api(api: Api) -> None:
    customer = await api.new_customer()
    token = customer.token
    ids = customer.order_ids

    old_case = await open_case(api, token, ids["old"])
    result = await request_refund(api, token, old_case, reason="DAMAGED", amount=1000)
    assert result == {**result, "__typename": "RefundNotAllowed", "denial": "OUTSIDE_REFUND_WINDOW"}

    case = await open_case(api, token, ids["delivered"])
    too_much = await request_refund(api, token, case, reason="DAMAGED", amount=12001)
    assert too_much["denial"] == "EXCEEDS_REFUNDABLE_AMOUNT"

    first = await request_refund(api, token, case, reason="DEFECTIVE", amount=5000)
    assert first["refund"]["status"] == "REQUESTED"
    pending = await request_refund(api, token, case, reason="DEFECTIVE", amount=100)
    assert pending["denial"] == "REFUND_ALREADY_PENDING"

    small_case = await open_case(api, token, ids["small"])
    auto = await request_refund(api, token, small_case, reason="WRONG_ITEM", amount=1999)
    assert auto["refund"]["status"] == "APPROVED"
    assert auto["refund"]["approval"] == "AUTO_POLICY"
    assert auto["refund"]["decisionNote"]

    lost_case = await open_case(api, token, ids["lost"])
    not_received = await request_refund(api, token, lost_case, reason="NOT_RECEIVED", amount=5000)
    assert not_received["refund"]["status"] == "REQUESTED"

    shipped_case = await open_case(api, token, ids["shipped"])
    not_yet = await request_refund(api, token, shipped_case, reason="DAMAGED", amount=100)
    assert not_yet["denial"] == "ORDER_NOT_DELIVERED"


async def test_big_refunds_need_an_admin(api: Api) -> None:
    bob = await api.token("bob@example.com")
    agent = await api.token("agent@example.com")
    admin = await api.token("admin@example.com")
    orders = await api.gql.ok("{ myOrders { edges { node { id total { amount } } } } }", token=bob)
    big = next(
        e["node"]["id"]
        for e in orders["myOrders"]["edges"]
        if e["node"]["total"]["amount"] == 80000
    )
    data = await api.gql.ok(
        OPEN_CASE_WITH_ORDER,
        {
            "input": {
                "subject": "Sofa",
                "description": "Wrong colour",
                "category": "REFUND_REQUEST",
                "orderId": big,
            }
        },
        bob,
    )
    case_id = data["openCase"]["supportCase"]["id"]
    refund = await request_refund(api, bob, case_id, reason="NOT_AS_DESCRIBED", amount=80000)
    refund_id = refund["refund"]["id"]

    by_agent = await api.gql.ok(APPROVE_BY_ID, {"id": refund_id}, agent)
    assert by_agent["approveRefund"]["__typename"] == "ApprovalLimitExceeded"
    assert by_agent["approveRefund"]["code"] == "APPROVAL_LIMIT_EXCEEDED"
    by_admin = await api.gql.ok(APPROVE_BY_ID, {"id": refund_id}, admin)
    assert by_admin["approveRefund"]["refund"]["status"] == "APPROVED"
    assert by_admin["approveRefund"]["refund"]["approval"] == "ADMIN"
    again = await api.gql.ok(APPROVE_BY_ID, {"id": refund_id}, admin)
    assert again["approveRefund"]["__typename"] == "InvalidTransition"
