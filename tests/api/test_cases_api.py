"""Cases and refunds through the API: lifecycle, SLA, assignment, lists, and the refund rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from adapters.sql.tables import refunds as refunds_table
from app.graphql.ids import decode_expected
from tests.api._helpers import (
    APPROVE_REFUND,
    ASSIGN,
    CANCEL_REFUND,
    CHANGE_STATUS,
    OPEN_CASE,
    REJECT_REFUND,
    SET_PRIORITY,
    codes,
    gid,
    open_case,
    post_message,
    request_refund,
    unique,
)
from tests.api.conftest import Api, Customer
from tests.toolbox.graphql import order_gid
from tests.toolbox.polling import poll_until

CASE = """query($id: ID!) { supportCase(id: $id) {
  id number status priority createdAt firstResponseDueAt resolutionDueAt
  assignee { id name }
  refunds { id status amount { amount } }
  timeline(first: 100) { edges { node { type summary before after actor { id name role } } } }
} }"""


async def change_status(api: Api, token: str, case_id: str, status: str) -> dict[str, Any]:
    body = await api.gql(CHANGE_STATUS, {"input": {"caseId": case_id, "status": status}}, token)
    result: dict[str, Any] = body if body.get("errors") else body["data"]["changeCaseStatus"]
    return result


async def case_view(api: Api, token: str, case_id: str) -> dict[str, Any]:
    data = await api.gql.ok(CASE, {"id": case_id}, token)
    case: dict[str, Any] = data["supportCase"]
    return case


def when(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    assert parsed.utcoffset() == timedelta(0), value  # ISO 8601, UTC
    return parsed


async def staff(api: Api, token: str, email: str) -> tuple[str, str]:
    """(id, name) of a staff member, from the `agents` list."""
    data = await api.gql.ok("{ agents { id name email } }", token=token)
    return next((a["id"], a["name"]) for a in data["agents"] if a["email"] == email)


# -- status, messages, timeline ---------------------------------------------------------------


async def test_the_case_lifecycle(api: Api) -> None:
    customer = await api.new_customer("Lifecycle Lou")
    agent = await api.token("agent@example.com")
    case_id = (await open_case(api, customer.token, subject="Lifecycle", category="OTHER"))["id"]

    illegal = await change_status(api, agent, case_id, "WAITING_ON_CUSTOMER")
    assert illegal["__typename"] == "InvalidTransition", illegal
    assert (illegal["fromStatus"], illegal["toStatus"]) == ("OPEN", "WAITING_ON_CUSTOMER")
    assert "OPEN" in illegal["message"] and "WAITING_ON_CUSTOMER" in illegal["message"]
    assert illegal["code"] == "INVALID_TRANSITION"

    moved = await change_status(api, agent, case_id, "IN_PROGRESS")
    assert moved["__typename"] == "CaseUpdated"
    assert moved["supportCase"]["status"] == "IN_PROGRESS"
    waiting = await change_status(api, agent, case_id, "WAITING_ON_CUSTOMER")
    assert waiting["supportCase"]["status"] == "WAITING_ON_CUSTOMER"

    # The customer answers: the case goes back to the agents.
    reply = await post_message(api, customer.token, case_id, "Here is the photo you asked for")
    assert reply["__typename"] == "MessagePosted"
    assert reply["supportCase"]["status"] == "IN_PROGRESS"

    # Customers may only resolve or reopen.
    body = await change_status(api, customer.token, case_id, "WAITING_ON_CUSTOMER")
    assert codes(body) == ["FORBIDDEN"], body

    resolved = await change_status(api, agent, case_id, "RESOLVED")
    assert resolved["supportCase"]["status"] == "RESOLVED"
    reopened = await change_status(api, customer.token, case_id, "OPEN")
    assert reopened["__typename"] == "CaseUpdated", reopened
    assert reopened["supportCase"]["status"] == "OPEN"
    again = await change_status(api, customer.token, case_id, "OPEN")
    assert again["__typename"] == "InvalidTransition"
    assert (again["fromStatus"], again["toStatus"]) == ("OPEN", "OPEN")

    by_customer = await change_status(api, customer.token, case_id, "RESOLVED")
    assert by_customer["supportCase"]["status"] == "RESOLVED"
    closed = await change_status(api, agent, case_id, "CLOSED")
    assert closed["supportCase"]["status"] == "CLOSED"
    for who in (customer.token, agent):
        dead = await change_status(api, who, case_id, "OPEN")
        assert dead["__typename"] == "InvalidTransition", dead
        assert (dead["fromStatus"], dead["toStatus"]) == ("CLOSED", "OPEN")
    late = await post_message(api, customer.token, case_id, "Hello?")
    assert late["__typename"] == "ValidationFailed", late

    view = await case_view(api, agent, case_id)
    steps = [
        (e["node"]["type"], e["node"]["before"], e["node"]["after"], e["node"]["actor"]["role"])
        for e in view["timeline"]["edges"]
    ]
    assert steps == [
        ("CASE_OPENED", None, None, "CUSTOMER"),
        ("STATUS_CHANGED", "OPEN", "IN_PROGRESS", "AGENT"),
        ("STATUS_CHANGED", "IN_PROGRESS", "WAITING_ON_CUSTOMER", "AGENT"),
        ("MESSAGE_POSTED", None, None, "CUSTOMER"),
        ("STATUS_CHANGED", "WAITING_ON_CUSTOMER", "IN_PROGRESS", "CUSTOMER"),
        ("STATUS_CHANGED", "IN_PROGRESS", "RESOLVED", "AGENT"),
        ("STATUS_CHANGED", "RESOLVED", "OPEN", "CUSTOMER"),
        ("STATUS_CHANGED", "OPEN", "RESOLVED", "CUSTOMER"),
        ("STATUS_CHANGED", "RESOLVED", "CLOSED", "AGENT"),
    ]
    actors = {
        e["node"]["actor"]["role"]: e["node"]["actor"]["name"] for e in view["timeline"]["edges"]
    }
    assert actors == {"CUSTOMER": "Lifecycle Lou", "AGENT": actors["AGENT"]}
    assert actors["AGENT"] != "Lifecycle Lou"


async def test_priority_changes_recompute_the_due_times(api: Api) -> None:
    customer = await api.new_customer()
    agent = await api.token("agent@example.com")
    case = await open_case(api, customer.token, subject="SLA", category="BILLING")
    created = when(case["createdAt"])
    assert case["priority"] == "NORMAL"
    assert when(case["firstResponseDueAt"]) == created + timedelta(hours=24)
    assert when(case["resolutionDueAt"]) == created + timedelta(hours=72)

    expected = {
        "URGENT": (timedelta(hours=1), timedelta(hours=8)),
        "HIGH": (timedelta(hours=4), timedelta(hours=24)),
        "LOW": (timedelta(hours=72), timedelta(days=7)),
    }
    for priority, (first_response, resolution) in expected.items():
        data = await api.gql.ok(
            SET_PRIORITY, {"input": {"caseId": case["id"], "priority": priority}}, agent
        )
        result = data["setCasePriority"]
        assert result["__typename"] == "CaseUpdated", result
        updated = result["supportCase"]
        assert updated["priority"] == priority
        assert when(updated["createdAt"]) == created
        assert when(updated["firstResponseDueAt"]) == created + first_response
        assert when(updated["resolutionDueAt"]) == created + resolution

    view = await case_view(api, customer.token, case["id"])
    changes = [
        (e["node"]["before"], e["node"]["after"])
        for e in view["timeline"]["edges"]
        if e["node"]["type"] == "PRIORITY_CHANGED"
    ]
    assert changes == [("NORMAL", "URGENT"), ("URGENT", "HIGH"), ("HIGH", "LOW")]


async def test_assignment(api: Api) -> None:
    customer = await api.new_customer()
    agent = await api.token("agent@example.com")
    sam_id, sam_name = await staff(api, agent, "sam@example.com")
    case_id = (await open_case(api, customer.token, subject="Assign me", category="OTHER"))["id"]

    data = await api.gql.ok(ASSIGN, {"input": {"caseId": case_id, "assigneeId": sam_id}}, agent)
    result = data["assignCase"]
    assert result["__typename"] == "CaseUpdated", result
    assert result["supportCase"]["assignee"]["id"] == sam_id

    customer_id = gid("User", customer.user_id)
    for not_an_agent in (customer_id, gid("User", "no-such-user"), gid("SupportCase", "x")):
        data = await api.gql.ok(
            ASSIGN, {"input": {"caseId": case_id, "assigneeId": not_an_agent}}, agent
        )
        assert data["assignCase"]["__typename"] == "NotFound", data
        assert data["assignCase"]["code"] == "NOT_FOUND"
    view = await case_view(api, agent, case_id)
    assert view["assignee"]["id"] == sam_id  # unchanged by the refused attempts

    data = await api.gql.ok(ASSIGN, {"input": {"caseId": case_id, "assigneeId": None}}, agent)
    assert data["assignCase"]["supportCase"]["assignee"] is None
    view = await case_view(api, agent, case_id)
    assigned = [e["node"] for e in view["timeline"]["edges"] if e["node"]["type"] == "ASSIGNED"]
    assert [a["summary"] for a in assigned] == [f"Assigned to {sam_name}", "Unassigned"]
    assert {a["actor"]["role"] for a in assigned} == {"AGENT"}


# -- lists ------------------------------------------------------------------------------------

LIST = """query($first: Int, $after: String, $filter: SupportCaseFilter) {
  supportCases(first: $first, after: $after, filter: $filter) {
    edges { cursor node { id number subject status priority createdAt } }
    pageInfo { hasNextPage endCursor }
  } }"""


async def list_ids(api: Api, token: str, **filter: Any) -> list[str]:
    data = await api.gql.ok(LIST, {"first": 100, "filter": filter}, token)
    return [e["node"]["id"] for e in data["supportCases"]["edges"]]


async def test_pagination_walks_every_case_once(api: Api) -> None:
    customer = await api.new_customer()
    opened = [
        (await open_case(api, customer.token, subject=f"Page {i}", category="OTHER"))["id"]
        for i in range(7)
    ]
    seen: list[str] = []
    pages: list[int] = []
    after = None
    while True:
        data = await api.gql.ok(LIST, {"first": 3, "after": after}, customer.token)
        connection = data["supportCases"]
        seen += [e["node"]["id"] for e in connection["edges"]]
        pages.append(len(connection["edges"]))
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
        assert after == connection["edges"][-1]["cursor"]
    assert pages == [3, 3, 1]
    assert len(seen) == len(set(seen)) == 7
    assert set(seen) == set(opened)
    assert seen == list(reversed(opened))  # newest first


async def test_filters(api: Api) -> None:
    word = unique("filter")
    customer = await api.new_customer()
    other = await api.new_customer()
    agent = await api.token("agent@example.com")
    sam = await api.token("sam@example.com")
    agent_id, _ = await staff(api, agent, "agent@example.com")

    kettle = await open_case(api, customer.token, subject=f"Kettle {word}", category="OTHER")
    toaster = await open_case(api, customer.token, subject=f"Toaster {word}", category="OTHER")
    lamp = await open_case(api, other.token, subject=f"Lamp {word}", category="OTHER")
    await api.gql.ok(SET_PRIORITY, {"input": {"caseId": kettle["id"], "priority": "HIGH"}}, agent)
    await api.gql.ok(ASSIGN, {"input": {"caseId": kettle["id"], "assigneeId": agent_id}}, agent)
    await change_status(api, agent, toaster["id"], "IN_PROGRESS")

    everyone = {kettle["id"], toaster["id"], lamp["id"]}
    assert set(await list_ids(api, agent, search=word)) == everyone
    assert set(await list_ids(api, customer.token, search=word)) == {kettle["id"], toaster["id"]}
    assert await list_ids(api, agent, search=f"kettle {word}".upper()) == [kettle["id"]]
    assert await list_ids(api, agent, search=word, status=["IN_PROGRESS"]) == [toaster["id"]]
    assert set(await list_ids(api, agent, search=word, status=["OPEN"])) == {
        kettle["id"],
        lamp["id"],
    }
    assert await list_ids(api, agent, search=word, priority=["HIGH"]) == [kettle["id"]]
    assert await list_ids(api, agent, search=word, priority=["LOW", "URGENT"]) == []
    assert await list_ids(api, agent, search=word, assignedToMe=True) == [kettle["id"]]
    assert await list_ids(api, sam, search=word, assignedToMe=True) == []
    assert set(await list_ids(api, agent, search=word, unassigned=True)) == {
        toaster["id"],
        lamp["id"],
    }
    customer_gid = gid("User", customer.user_id)
    assert set(await list_ids(api, agent, search=word, customerId=customer_gid)) == {
        kettle["id"],
        toaster["id"],
    }
    # A customer's staff-only filters are ignored: they still see exactly their own cases.
    assert set(await list_ids(api, customer.token, search=word, unassigned=True)) == {
        kettle["id"],
        toaster["id"],
    }

    # By number: CS-000042, without the prefix or the zeros.
    number = lamp["number"]
    digits = number.removeprefix("CS-").lstrip("0")
    for term in (number, number.lower(), digits):
        assert lamp["id"] in await list_ids(api, agent, search=term), term
        assert await list_ids(api, other.token, search=term) == [lamp["id"]]
    assert await list_ids(api, customer.token, search=number) == []  # not theirs


async def test_overdue_filter_for_agents_only(api: Api) -> None:
    word = unique("overdue")
    customer = await api.new_customer()
    agent = await api.token("agent@example.com")
    late = await open_case(api, customer.token, subject=f"Late {word}", category="OTHER")
    on_time = await open_case(api, customer.token, subject=f"On time {word}", category="OTHER")
    late_resolved = await open_case(api, customer.token, subject=f"Done {word}", category="OTHER")
    # Time passes for two of them: their first response is now an hour overdue.
    past = datetime.now(UTC) - timedelta(hours=1)
    async with api.runtime.services.uow() as uow:
        for case_gid in (late["id"], late_resolved["id"]):
            case = await uow.cases.get(decode_expected(case_gid, "SupportCase") or "-")
            assert case is not None
            case.first_response_due_at = past
            await uow.cases.save(case)
        await uow.commit()
    await change_status(api, agent, late_resolved["id"], "RESOLVED")

    assert await list_ids(api, agent, search=word, overdue=True) == [late["id"]]
    assert set(await list_ids(api, agent, search=word, overdue=False)) == {
        on_time["id"],
        late_resolved["id"],
    }
    # Listed as overdue, shown as breached: the same rule.
    view = await case_view(api, agent, late["id"])
    assert when(view["firstResponseDueAt"]) < datetime.now(UTC)
    # A customer's `overdue` is ignored, like the other staff-only filters.
    all_three = {late["id"], on_time["id"], late_resolved["id"]}
    assert set(await list_ids(api, customer.token, search=word, overdue=True)) == all_three
    assert set(await list_ids(api, customer.token, search=word, overdue=False)) == all_three


# -- refunds ----------------------------------------------------------------------------------

ORDER_LINES = """query($id: ID!) { order(id: $id) {
  total { amount } shipping { amount } refundableAmount { amount }
  lines { id quantity unitPrice { amount } refundedQuantity } } }"""


async def lines_of(api: Api, token: str, order_id: str) -> list[dict[str, Any]]:
    data = await api.gql.ok(ORDER_LINES, {"id": order_gid(order_id)}, token)
    lines: list[dict[str, Any]] = data["order"]["lines"]
    return lines


async def decide(api: Api, token: str, document: str, refund_id: str, **extra: Any) -> dict:
    data = await api.gql.ok(document, {"input": {"refundId": refund_id, **extra}}, token)
    result: dict[str, Any] = next(iter(data.values()))
    return result


async def test_refund_by_lines_shipping_once_and_line_quantities(api: Api) -> None:
    customer = await api.new_customer()
    agent = await api.token("agent@example.com")
    case = await open_case(api, customer.token, customer.order_ids["delivered"])
    mug, lamp = await lines_of(api, customer.token, customer.order_ids["delivered"])
    assert (mug["unitPrice"]["amount"], lamp["unitPrice"]["amount"]) == (4000, 7500)

    async def refund(reason: str = "DAMAGED", **fields: Any) -> dict[str, Any]:
        return await request_refund(api, customer.token, case["id"], reason=reason, **fields)

    def one_line(line: dict[str, Any], quantity: int) -> list[dict[str, Any]]:
        return [{"lineId": line["id"], "quantity": quantity}]

    first = await refund(lines=one_line(mug, 1), includeShipping=True)
    assert first["__typename"] == "RefundRequested", first
    requested = first["refund"]
    assert requested["amount"] == {"amount": 4000 + 500, "currency": "USD"}
    assert requested["includeShipping"] is True
    assert requested["lines"] == [{"lineId": mug["id"], "quantity": 1}]
    approved = await decide(api, agent, APPROVE_REFUND, requested["id"])
    assert approved["__typename"] == "RefundDecided"

    shipping_again = await refund(includeShipping=True)
    assert shipping_again["__typename"] == "RefundNotAllowed", shipping_again
    assert shipping_again["denial"] == "SHIPPING_ALREADY_REFUNDED"
    mug_again = await refund(lines=one_line(mug, 1))
    assert mug_again["denial"] == "LINE_QUANTITY_EXCEEDED"
    too_many = await refund(lines=one_line(lamp, 2))
    assert too_many["denial"] == "LINE_QUANTITY_EXCEEDED"
    zero = await refund(lines=one_line(lamp, 0))
    assert zero["__typename"] == "ValidationFailed"
    assert [f["field"] for f in zero["fields"]] == ["lines[0].quantity"]
    other = await refund(reason="OTHER", amount=100)
    assert other["__typename"] == "ValidationFailed", other
    assert [f["field"] for f in other["fields"]] == ["note"]
    both = await refund(amount=100, lines=one_line(lamp, 1))
    assert both["__typename"] == "ValidationFailed"

    lines = {
        line["id"]: line["refundedQuantity"]
        for line in await lines_of(api, customer.token, customer.order_ids["delivered"])
    }
    assert lines == {mug["id"]: 1, lamp["id"]: 0}
    # Only the one accepted request counts: the refused ones were not stored.
    view = await case_view(api, customer.token, case["id"])
    assert [r["status"] for r in view["refunds"]] == ["APPROVED"]


async def test_cancel_reject_and_the_daily_limit(api: Api) -> None:
    customer = await api.new_customer()
    agent = await api.token("agent@example.com")
    ids = customer.order_ids
    case = await open_case(api, customer.token, ids["delivered"])

    first = await request_refund(api, customer.token, case["id"], reason="DEFECTIVE", amount=3000)
    cancelled = await decide(api, customer.token, CANCEL_REFUND, first["refund"]["id"])
    assert cancelled["__typename"] == "RefundCancelled", cancelled
    assert cancelled["refund"]["status"] == "CANCELLED"
    twice = await decide(api, customer.token, CANCEL_REFUND, first["refund"]["id"])
    assert twice["__typename"] == "InvalidTransition"

    second = await request_refund(api, customer.token, case["id"], reason="DEFECTIVE", amount=3000)
    refund_id = second["refund"]["id"]
    for blank in ("", "   "):
        no_note = await decide(api, agent, REJECT_REFUND, refund_id, note=blank)
        assert no_note["__typename"] == "ValidationFailed", no_note
        assert [f["field"] for f in no_note["fields"]] == ["note"]
    rejected = await decide(api, agent, REJECT_REFUND, refund_id, note="Normal wear and tear")
    assert rejected["__typename"] == "RefundDecided", rejected
    assert rejected["refund"]["status"] == "REJECTED"
    assert rejected["refund"]["decisionNote"] == "Normal wear and tear"
    assert rejected["refund"]["decidedBy"]["name"]
    mine = await case_view(api, customer.token, case["id"])
    assert [r["status"] for r in mine["refunds"]] == ["CANCELLED", "REJECTED"]
    kinds = [e["node"]["type"] for e in mine["timeline"]["edges"]]
    assert kinds.count("REFUND_CANCELLED") == 1 and kinds.count("REFUND_REJECTED") == 1

    lost = await open_case(api, customer.token, ids["lost"])
    third = await request_refund(
        api, customer.token, lost["id"], reason="NOT_RECEIVED", amount=5000
    )
    assert third["__typename"] == "RefundRequested", third
    big = await open_case(api, customer.token, ids["big"])
    fourth = await request_refund(api, customer.token, big["id"], reason="DAMAGED", amount=1000)
    assert fourth["__typename"] == "RefundNotAllowed", fourth
    assert fourth["denial"] == "TOO_MANY_REQUESTS"


async def test_refund_quote_values(api: Api) -> None:
    customer = await api.new_customer()
    token = customer.token
    query = """query($id: ID!) { refundQuote(orderId: $id) {
      eligible denial windowEndsAt refundableAmount { amount currency }
      order { id deliveredAt } } }"""

    async def quote(key: str) -> dict[str, Any]:
        data = await api.gql.ok(query, {"id": order_gid(customer.order_ids[key])}, token)
        result: dict[str, Any] = data["refundQuote"]
        return result

    delivered = await quote("delivered")
    assert delivered["eligible"] is True and delivered["denial"] is None
    assert delivered["refundableAmount"] == {"amount": 12000, "currency": "USD"}
    assert when(delivered["windowEndsAt"]) == when(delivered["order"]["deliveredAt"]) + timedelta(
        days=api.settings.refund_window_days
    )
    old = await quote("old")
    assert (old["eligible"], old["denial"]) == (False, "OUTSIDE_REFUND_WINDOW")
    assert when(old["windowEndsAt"]) < when(delivered["windowEndsAt"])
    shipped = await quote("shipped")
    assert (shipped["eligible"], shipped["denial"], shipped["windowEndsAt"]) == (
        False,
        "ORDER_NOT_DELIVERED",
        None,
    )
    lost = await quote("lost")  # promised long ago, never delivered: NOT_RECEIVED is possible
    assert (lost["eligible"], lost["denial"]) == (True, None)

    case = await open_case(api, token, customer.order_ids["delivered"])
    await request_refund(api, token, case["id"], reason="DAMAGED", amount=4500)
    pending = await quote("delivered")
    assert (pending["eligible"], pending["denial"]) == (False, "REFUND_ALREADY_PENDING")
    assert pending["refundableAmount"]["amount"] == 12000 - 4500


async def test_refunds_query_by_status_for_agents(api: Api) -> None:
    customer = await api.new_customer()
    agent = await api.token("agent@example.com")
    small = await open_case(api, customer.token, customer.order_ids["small"])
    auto = await request_refund(api, customer.token, small["id"], reason="WRONG_ITEM", amount=1999)
    assert (auto["refund"]["status"], auto["refund"]["approval"]) == ("APPROVED", "AUTO_POLICY")
    delivered = await open_case(api, customer.token, customer.order_ids["delivered"])
    pending = await request_refund(
        api, customer.token, delivered["id"], reason="DAMAGED", amount=3000
    )
    assert pending["refund"]["status"] == "REQUESTED"

    query = """query($filter: RefundFilterInput) { refunds(first: 100, filter: $filter) {
      edges { node { id status } } } }"""

    async def refund_list(**filter: Any) -> list[dict[str, Any]]:
        data = await api.gql.ok(query, {"filter": filter}, agent)
        return [e["node"] for e in data["refunds"]["edges"]]

    approved = await refund_list(status=["APPROVED"])
    assert approved and {r["status"] for r in approved} == {"APPROVED"}
    assert auto["refund"]["id"] in [r["id"] for r in approved]
    assert pending["refund"]["id"] not in [r["id"] for r in approved]
    requested = await refund_list(status=["REQUESTED"])
    assert {r["status"] for r in requested} == {"REQUESTED"}
    assert pending["refund"]["id"] in [r["id"] for r in requested]
    small_order = order_gid(customer.order_ids["small"])
    assert await refund_list(status=["APPROVED"], orderId=small_order) == [
        {"id": auto["refund"]["id"], "status": "APPROVED"}
    ]
    assert await refund_list(status=["REQUESTED"], orderId=small_order) == []
    both = await refund_list(
        status=["APPROVED", "REQUESTED"], orderId=order_gid(customer.order_ids["delivered"])
    )
    assert [r["id"] for r in both] == [pending["refund"]["id"]]


async def _refund_rows(api: Api, customer: Customer) -> int:
    async with api.runtime.engine.connect() as conn:
        count = await conn.scalar(
            select(func.count())
            .select_from(refunds_table)
            .where(refunds_table.c.customer_id == customer.user_id)
        )
    return int(count or 0)


async def test_order_system_down_means_no_refund_and_nothing_written(api: Api) -> None:
    customer = await api.new_customer()
    case = await open_case(api, customer.token, customer.order_ids["delivered"])
    before = await _refund_rows(api, customer)
    api.orders.fail_status = 503
    try:
        result = await request_refund(
            api, customer.token, case["id"], reason="DAMAGED", amount=1000
        )
        assert result["__typename"] == "RefundNotAllowed", result
        assert result["denial"] == "ORDER_UNAVAILABLE"
        opened = await api.gql.ok(
            OPEN_CASE,
            {
                "input": {
                    "subject": "While down",
                    "description": "x",
                    "category": "OTHER",
                    "orderId": order_gid(customer.order_ids["small"]),
                }
            },
            customer.token,
        )
        assert opened["openCase"]["__typename"] == "OrderUnavailable", opened
    finally:
        api.orders.fail_status = None
    assert await _refund_rows(api, customer) == before == 0
    view = await case_view(api, customer.token, case["id"])
    assert view["refunds"] == []
    assert "REFUND_REQUESTED" not in [e["node"]["type"] for e in view["timeline"]["edges"]]
    # Control: with the order system back, the same request goes through once the circuit
    # breaker lets a trial call through (its cool-down is short in the test settings).
    await poll_until(
        lambda: request_refund(api, customer.token, case["id"], reason="DAMAGED", amount=1000),
        until=lambda back: back["__typename"] == "RefundRequested",
        deadline=5,
        interval=0.1,
    )
    assert await _refund_rows(api, customer) == 1
