"""Object-level access: customer B can neither read nor touch anything of customer A's.

The matrix below has one entry per ID-taking argument of the schema (found by walking it, into
input objects and lists); a new ID-taking field that is not listed here fails
`test_the_matrix_covers_every_id_taking_field`. Every entry calls the API as B with A's object and
checks that the answer is the "does not exist" one (null, NotFound, or a role-level FORBIDDEN for
operations customers may not call at all), that it is exactly the answer for an id that does not
exist, and that A's objects are unchanged afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from app.graphql.schema import build_schema
from tests.api._helpers import (
    codes,
    dump,
    gid,
    id_taking_fields,
    open_case,
    post_message,
    request_refund,
    unique,
    viewer_id,
)
from tests.api.conftest import Api, Customer
from tests.toolbox import graphql as docs
from tests.toolbox.graphql import order_gid
from tests.toolbox.ws import asgi_ws

INTERNAL_NOTE = "INTERNAL-NOTE: the customer's photos look staged"


@dataclass
class World:
    """A's objects (the targets) and B's own ones; built once for the module."""

    a: Customer
    b: Customer
    agent: str
    a_user: str
    b_user: str
    case: str
    case_number: str
    order: str
    order_number: str
    line_id: str
    refund: str
    customer_message: str
    agent_reply: str
    internal_note: str
    events: dict[str, str] = field(default_factory=dict)  # label -> CaseEvent id
    internal_event: str = ""
    b_case: str = ""
    a_subject: str = ""


@pytest.fixture(scope="module")
async def world(api: Api) -> World:
    return await build_world(api)


async def build_world(api: Api) -> World:
    a = await api.new_customer("Alice Target")
    b = await api.new_customer("Bob Attacker")
    agent = await api.token("agent@example.com")
    subject = f"A's secret kettle {unique()}"
    case = await open_case(api, a.token, a.order_ids["delivered"], subject=subject)
    refund = await request_refund(api, a.token, case["id"], reason="DAMAGED", amount=4000)
    assert refund["__typename"] == "RefundRequested", refund
    mine = await post_message(api, a.token, case["id"], "A: here are the photos")
    reply = await post_message(api, agent, case["id"], "Agent: thanks, looking into it")
    note = await post_message(api, agent, case["id"], INTERNAL_NOTE, internal=True)
    assert [m["__typename"] for m in (mine, reply, note)] == ["MessagePosted"] * 3

    data = await api.gql.ok(
        """query($id: ID!) { supportCase(id: $id) {
             order { id number lines { id } }
             timeline(first: 50) { edges { node { id type message { id internal } } } }
           } }""",
        {"id": case["id"]},
        agent,
    )
    sc = data["supportCase"]
    events: dict[str, str] = {}
    internal_event = ""
    for edge in sc["timeline"]["edges"]:
        node = edge["node"]
        if node["message"] is not None and node["message"]["internal"]:
            internal_event = node["id"]
            continue
        label = node["type"]
        while label in events:
            label += "+"
        events[label] = node["id"]
    assert set(events) == {"CASE_OPENED", "REFUND_REQUESTED", "MESSAGE_POSTED", "MESSAGE_POSTED+"}
    assert internal_event

    b_case = await open_case(api, b.token, b.order_ids["delivered"], subject="B's own case")
    return World(
        a=a,
        b=b,
        agent=agent,
        a_user=await viewer_id(api, a.token),
        b_user=await viewer_id(api, b.token),
        case=case["id"],
        case_number=case["number"],
        order=sc["order"]["id"],
        order_number=sc["order"]["number"],
        line_id=sc["order"]["lines"][0]["id"],
        refund=refund["refund"]["id"],
        customer_message=mine["posted"]["id"],
        agent_reply=reply["posted"]["id"],
        internal_note=note["posted"]["id"],
        events=events,
        internal_event=internal_event,
        b_case=b_case["id"],
        a_subject=subject,
    )


def missing(type_name: str) -> str:
    """A well-formed global id of an object that does not exist."""
    return gid(type_name, str(uuid.uuid4()))


async def a_state(api: Api, w: World) -> dict[str, Any]:
    """Everything of A's that B might change, as an agent sees it."""
    data = await api.gql.ok(
        """query($id: ID!, $customer: ID!) {
             supportCase(id: $id) {
               subject status priority updatedAt assignee { id }
               messages(first: 100) { edges { node { id body internal } } }
               refunds { id status amount { amount } }
               timeline(first: 100) { edges { node { id type } } }
             }
             supportCases(first: 100, filter: {customerId: $customer}) { edges { node { id } } }
           }""",
        {"id": w.case, "customer": w.a_user},
        w.agent,
    )
    return data


def assert_forbidden(body: dict[str, Any], field_name: str) -> None:
    assert codes(body) == ["FORBIDDEN"], body
    assert (body.get("data") or {}).get(field_name) is None, body


def assert_no_trace_of_a(body: dict[str, Any], w: World) -> None:
    text = dump(body)
    for secret in (w.a_subject, w.order_number, w.a.order_ids["delivered"], w.a.email):
        assert secret not in text, (secret, body)


async def same_as_missing(
    api: Api, w: World, query: str, variables: dict[str, Any], missing_variables: dict[str, Any]
) -> dict[str, Any]:
    """B's answer for A's object, asserted equal to the answer for an id that does not exist."""
    body = await api.gql(query, variables, w.b.token)
    absent = await api.gql(query, missing_variables, w.b.token)
    assert body == absent, (body, absent)
    assert_no_trace_of_a(body, w)
    return body


async def same_input_as_missing(
    api: Api, w: World, mutation: str, field: str, owned: str, type_name: str, **rest: Any
) -> dict[str, Any]:
    """same_as_missing for a mutation whose `input.<field>` is `owned` (of A's), against the same
    input with a made-up id of `type_name` there; `rest`: the other input fields."""
    return await same_as_missing(
        api,
        w,
        mutation,
        {"input": {field: owned, **rest}},
        {"input": {field: missing(type_name), **rest}},
    )


# -- the matrix -------------------------------------------------------------------------------

Check = Callable[[Api, World], Awaitable[None]]
MATRIX: dict[str, Check] = {}


def entry(key: str) -> Callable[[Check], Check]:
    def register(check: Check) -> Check:
        assert key not in MATRIX, key
        MATRIX[key] = check
        return check

    return register


NODE = "query($id: ID!) { node(id: $id) { __typename id } }"


@entry("Query.node(id)")
async def _node(api: Api, w: World) -> None:
    targets = {
        "SupportCase": [w.case],
        "Order": [w.order],
        "Refund": [w.refund],
        "Message": [w.customer_message, w.agent_reply, w.internal_note],
        "CaseEvent": [*w.events.values(), w.internal_event],
        "User": [w.a_user],
    }
    for type_name, ids in targets.items():
        for target in ids:
            body = await same_as_missing(api, w, NODE, {"id": target}, {"id": missing(type_name)})
            assert body == {"data": {"node": None}}, (type_name, body)
            # Control: the object exists, and staff see it through the very same query.
            seen = await api.gql.ok(NODE, {"id": target}, w.agent)
            assert seen["node"] == {"__typename": type_name, "id": target}


@entry("Query.supportCase(id)")
async def _support_case(api: Api, w: World) -> None:
    query = "query($id: ID!) { supportCase(id: $id) { id subject } }"
    body = await same_as_missing(api, w, query, {"id": w.case}, {"id": missing("SupportCase")})
    assert body == {"data": {"supportCase": None}}
    own = await api.gql.ok(query, {"id": w.case}, w.a.token)
    assert own["supportCase"] == {"id": w.case, "subject": w.a_subject}


@entry("Query.latestCaseEventCursor(caseId)")
async def _latest_case_event_cursor(api: Api, w: World) -> None:
    query = "query($id: ID) { latestCaseEventCursor(caseId: $id) }"
    body = await same_as_missing(api, w, query, {"id": w.case}, {"id": missing("SupportCase")})
    assert body == {"data": {"latestCaseEventCursor": None}}
    # Control: A gets a cursor for the very same case.
    own = await api.gql.ok(query, {"id": w.case}, w.a.token)
    assert own["latestCaseEventCursor"] is not None


@entry("Query.supportCases(filter.customerId)")
async def _support_cases(api: Api, w: World) -> None:
    query = """query($c: ID) { supportCases(first: 100, filter: {customerId: $c}) {
                 edges { node { id subject customer { id } } } } }"""
    for customer in (w.a_user, missing("User"), None):
        data = await api.gql.ok(query, {"c": customer}, w.b.token)
        nodes = [e["node"] for e in data["supportCases"]["edges"]]
        assert [n["id"] for n in nodes] == [w.b_case], nodes
        assert {n["customer"]["id"] for n in nodes} == {w.b_user}
    # Control: for an agent the filter does select A's cases.
    staff = await api.gql.ok(query, {"c": w.a_user}, w.agent)
    assert [e["node"]["id"] for e in staff["supportCases"]["edges"]] == [w.case]


@entry("Query.supportCases(filter.assigneeId)")
async def _support_cases_by_assignee(api: Api, w: World) -> None:
    """A staff filter: for a customer it is ignored (their own cases, whoever is asked for)."""
    query = """query($a: ID) { supportCases(first: 100, filter: {assigneeId: $a}) {
                 edges { node { id customer { id } } } } }"""
    agent_id = await viewer_id(api, w.agent)
    for assignee in (agent_id, w.a_user, missing("User"), None):
        data = await api.gql.ok(query, {"a": assignee}, w.b.token)
        nodes = [e["node"] for e in data["supportCases"]["edges"]]
        assert [n["id"] for n in nodes] == [w.b_case], nodes
    # Control: for an agent the filter narrows to that agent's cases (none is A's here).
    staff = await api.gql.ok(query, {"a": missing("User")}, w.agent)
    assert staff["supportCases"]["edges"] == []


@entry("Query.order(id)")
async def _order(api: Api, w: World) -> None:
    query = "query($id: ID!) { order(id: $id) { id number total { amount } } }"
    body = await same_as_missing(
        api, w, query, {"id": w.order}, {"id": order_gid(f"ord-{uuid.uuid4().hex}")}
    )
    assert body == {"data": {"order": None}}
    own = await api.gql.ok(query, {"id": w.order}, w.a.token)
    assert own["order"]["number"] == w.order_number


@entry("Query.refundQuote(orderId)")
async def _refund_quote(api: Api, w: World) -> None:
    query = """query($id: ID!) { refundQuote(orderId: $id) {
                 eligible refundableAmount { amount } order { id number } } }"""
    body = await same_as_missing(
        api, w, query, {"id": w.order}, {"id": order_gid(f"ord-{uuid.uuid4().hex}")}
    )
    assert codes(body) == ["NOT_FOUND"], body
    assert body["data"] is None
    own = await api.gql.ok(query, {"id": w.order}, w.a.token)
    assert own["refundQuote"]["order"]["number"] == w.order_number


@entry("Query.refunds(filter.orderId)")
async def _refunds(api: Api, w: World) -> None:
    query = """query($id: ID) { refunds(first: 10, filter: {orderId: $id}) {
                 edges { node { id amount { amount } } } } }"""
    body = await same_as_missing(api, w, query, {"id": w.order}, {"id": missing("Order")})
    assert_forbidden(body, "refunds")
    staff = await api.gql.ok(query, {"id": w.order}, w.agent)
    assert [e["node"]["id"] for e in staff["refunds"]["edges"]] == [w.refund]


async def _b_case_count(api: Api, w: World) -> int:
    data = await api.gql.ok(
        "{ supportCases(first: 100) { edges { node { id } } } }", token=w.b.token
    )
    return len(data["supportCases"]["edges"])


def _open_input(**extra: Any) -> dict[str, Any]:
    return {
        "input": {
            "subject": "Where is it?",
            "description": "Someone else's order",
            "category": "DELIVERY_PROBLEM",
            **extra,
        }
    }


@entry("Mutation.openCase(input.orderId)")
async def _open_case_order(api: Api, w: World) -> None:
    before = await _b_case_count(api, w)
    body = await same_as_missing(
        api,
        w,
        docs.OPEN_CASE,
        _open_input(orderId=w.order),
        _open_input(orderId=order_gid(f"ord-{uuid.uuid4().hex}")),
    )
    assert body["data"]["openCase"]["__typename"] == "NotFound", body
    assert await _b_case_count(api, w) == before


@entry("Mutation.openCase(input.customerId)")
async def _open_case_customer(api: Api, w: World) -> None:
    before = await _b_case_count(api, w)
    body = await same_as_missing(
        api,
        w,
        docs.OPEN_CASE,
        _open_input(customerId=w.a_user),
        _open_input(customerId=missing("User")),
    )
    assert_forbidden(body, "openCase")
    assert await _b_case_count(api, w) == before


@entry("Mutation.postMessage(input.caseId)")
async def _post_message(api: Api, w: World) -> None:
    for internal in (False, True):
        body = await same_as_missing(
            api,
            w,
            docs.POST_MESSAGE,
            {"input": {"caseId": w.case, "body": "Hijacked!", "internal": internal}},
            {
                "input": {
                    "caseId": missing("SupportCase"),
                    "body": "Hijacked!",
                    "internal": internal,
                }
            },
        )
        result = (body.get("data") or {}).get("postMessage")
        if internal:  # customers may not write internal notes at all: a role-level refusal
            assert_forbidden(body, "postMessage")
        else:
            assert result["__typename"] == "NotFound", body


@entry("Mutation.assignCase(input.caseId)")
async def _assign_case(api: Api, w: World) -> None:
    body = await same_input_as_missing(
        api, w, docs.ASSIGN, "caseId", w.case, "SupportCase", assigneeId=None
    )
    assert_forbidden(body, "assignCase")


@entry("Mutation.assignCase(input.assigneeId)")
async def _assign_case_assignee(api: Api, w: World) -> None:
    body = await same_input_as_missing(
        api, w, docs.ASSIGN, "assigneeId", w.a_user, "User", caseId=w.b_case
    )
    assert_forbidden(body, "assignCase")


@entry("Mutation.changeCaseStatus(input.caseId)")
async def _change_status(api: Api, w: World) -> None:
    for status in ("RESOLVED", "OPEN"):
        body = await same_input_as_missing(
            api, w, docs.CHANGE_STATUS, "caseId", w.case, "SupportCase", status=status
        )
        assert body["data"]["changeCaseStatus"]["__typename"] == "NotFound", body


@entry("Mutation.setCasePriority(input.caseId)")
async def _set_priority(api: Api, w: World) -> None:
    body = await same_input_as_missing(
        api, w, docs.SET_PRIORITY, "caseId", w.case, "SupportCase", priority="LOW"
    )
    assert_forbidden(body, "setCasePriority")


@entry("Mutation.requestRefund(input.caseId)")
async def _request_refund(api: Api, w: World) -> None:
    body = await same_input_as_missing(
        api, w, docs.REQUEST_REFUND, "caseId", w.case, "SupportCase", reason="DAMAGED", amount=100
    )
    assert body["data"]["requestRefund"]["__typename"] == "NotFound", body


@entry("Mutation.requestRefund(input.lines.lineId)")
async def _request_refund_line(api: Api, w: World) -> None:
    # On B's own case: A's order line is not a line of B's order, exactly like a made-up one.
    def refund_input(line: str) -> dict[str, Any]:
        return {
            "input": {
                "caseId": w.b_case,
                "reason": "DAMAGED",
                "lines": [{"lineId": line, "quantity": 1}],
            }
        }

    body = await same_as_missing(
        api, w, docs.REQUEST_REFUND, refund_input(w.line_id), refund_input(f"{uuid.uuid4().hex}-l1")
    )
    result = body["data"]["requestRefund"]
    assert result["__typename"] == "ValidationFailed", body
    assert [f["field"] for f in result["fields"]] == ["lines[0].lineId"]


@entry("Mutation.cancelRefund(input.refundId)")
async def _cancel_refund(api: Api, w: World) -> None:
    body = await same_input_as_missing(api, w, docs.CANCEL_REFUND, "refundId", w.refund, "Refund")
    assert body["data"]["cancelRefund"]["__typename"] == "NotFound", body


@entry("Mutation.approveRefund(input.refundId)")
async def _approve_refund(api: Api, w: World) -> None:
    body = await same_input_as_missing(api, w, docs.APPROVE_REFUND, "refundId", w.refund, "Refund")
    assert_forbidden(body, "approveRefund")


@entry("Mutation.rejectRefund(input.refundId)")
async def _reject_refund(api: Api, w: World) -> None:
    body = await same_input_as_missing(
        api, w, docs.REJECT_REFUND, "refundId", w.refund, "Refund", note="no"
    )
    assert_forbidden(body, "rejectRefund")


@entry("Mutation.retryRefund(input.refundId)")
async def _retry_refund(api: Api, w: World) -> None:
    body = await same_input_as_missing(api, w, docs.RETRY_REFUND, "refundId", w.refund, "Refund")
    assert_forbidden(body, "retryRefund")


ADMIN_MUTATIONS = {
    "changeUserRole": ("ChangeUserRoleInput", {"role": "ADMIN"}),
    "deactivateUser": ("DeactivateUserInput", {}),
    "reactivateUser": ("ReactivateUserInput", {}),
    "resetUserPassword": ("ResetUserPasswordInput", {"password": "taken-over-password"}),
}


def _admin_check(name: str) -> Check:
    input_type, extra = ADMIN_MUTATIONS[name]
    query = f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ __typename }} }}"

    async def check(api: Api, w: World) -> None:
        body = await same_input_as_missing(api, w, query, "userId", w.a_user, "User", **extra)
        assert_forbidden(body, name)
        assert (await api.gql.login(w.a.email)) is not None  # A can still log in as before

    return check


for _name in ADMIN_MUTATIONS:
    entry(f"Mutation.{_name}(input.userId)")(_admin_check(_name))


# Outbound webhooks belong to no customer: B (and an agent) are refused whatever the id.
WEBHOOK_FIELDS = {
    "Mutation.updateWebhookEndpoint(input.endpointId)": (
        "mutation($id: ID!) { updateWebhookEndpoint(input: {endpointId: $id, active: false}) "
        "{ __typename } }",
        "WebhookEndpoint",
        "updateWebhookEndpoint",
    ),
    "Mutation.rotateWebhookSecret(input.endpointId)": (
        "mutation($id: ID!) { rotateWebhookSecret(input: {endpointId: $id}) { __typename } }",
        "WebhookEndpoint",
        "rotateWebhookSecret",
    ),
    "Mutation.resendWebhookDelivery(input.deliveryId)": (
        "mutation($id: ID!) { resendWebhookDelivery(input: {deliveryId: $id}) { __typename } }",
        "WebhookDelivery",
        "resendWebhookDelivery",
    ),
    "Query.webhookDeliveries(endpointId)": (
        "query($id: ID) { webhookDeliveries(endpointId: $id) { edges { node { id } } } }",
        "WebhookEndpoint",
        "webhookDeliveries",
    ),
}


def _webhook_check(key: str) -> Check:
    query, type_name, field_name = WEBHOOK_FIELDS[key]

    async def check(api: Api, w: World) -> None:
        body = await same_as_missing(
            api, w, query, {"id": missing(type_name)}, {"id": missing(type_name)}
        )
        assert_forbidden(body, field_name)
        assert_forbidden(await api.gql(query, {"id": missing(type_name)}, w.agent), field_name)

    return check


for _key in WEBHOOK_FIELDS:
    entry(_key)(_webhook_check(_key))


CASE_EVENTS = """subscription($id: ID, $after: String) { caseEvents(caseId: $id, after: $after) {
  id cursor type summary supportCase { id subject } message { id body internal } } }"""


async def ws_answer(api: Api, token: str, variables: dict[str, Any]) -> list[dict[str, Any]]:
    """The messages of one subscription (over the WebSocket) up to a sentinel: a second
    subscription started after its first message, which is refused at once (a case that does
    not exist)."""
    async with asgi_ws(api.app) as ws:
        await ws.init_ok(token)
        await ws.subscribe("op", CASE_EVENTS, variables)
        first = await ws.next_for("op")
        await ws.subscribe("sentinel", CASE_EVENTS, {"id": missing("SupportCase")})
        return [first, *await ws.until("op", "sentinel")]


@entry("Subscription.caseEvents(caseId)")
async def _case_events(api: Api, w: World) -> None:
    for after in ("0", None):
        theirs = await ws_answer(api, w.b.token, {"id": w.case, "after": after})
        absent = await ws_answer(api, w.b.token, {"id": missing("SupportCase"), "after": after})
        assert theirs == absent, (theirs, absent)  # exactly like a case that does not exist
        assert [m["type"] for m in theirs] == ["error"], theirs  # an error, nothing else
        assert codes({"errors": theirs[0]["payload"]}) == ["NOT_FOUND"]
        assert_no_trace_of_a({"data": theirs}, w)
    # Control: the owner does receive the case's events through the very same subscription.
    async with asgi_ws(api.app) as ws:
        await ws.init_ok(w.a.token)
        await ws.subscribe("op", CASE_EVENTS, {"id": w.case, "after": "0"})
        own = await ws.events("op", len(w.events))  # the whole replay: nothing left running
    assert own[0]["supportCase"]


# Macros are staff-only (a customer is FORBIDDEN whatever the ids); ratings are the case's
# customer's (another customer's case is NotFound, exactly like a missing one). The controls run
# as a fresh agent with its own query-cost budget (the demo agent's is shared by the suites).


async def _fresh_agent(api: Api) -> str:
    _, token = await api.new_staff(name="Matrix Agent")
    return token


async def _staff_macro(api: Api, staff: str) -> str:
    data = await api.gql.ok(
        docs.CREATE_MACRO,
        {"input": {"title": f"Matrix {unique()}", "body": "Hi {{customer_name}}"}},
        staff,
    )
    macro_id: str = data["createMacro"]["macro"]["id"]
    return macro_id


A_CASE = """query($id: ID!) { supportCase(id: $id) { status updatedAt satisfaction { score }
  messages(first: 100) { edges { node { id } } }
  timeline(first: 100) { edges { node { id } } } } }"""


async def _a_case(api: Api, w: World, staff: str) -> dict[str, Any]:
    data = await api.gql.ok(A_CASE, {"id": w.case}, staff)
    return data


@entry("Mutation.applyMacro(input.caseId)")
@entry("Mutation.applyMacro(input.macroId)")
async def _apply_macro(api: Api, w: World) -> None:
    staff = await _fresh_agent(api)
    macro = await _staff_macro(api, staff)
    before = await _a_case(api, w, staff)
    body = await same_as_missing(
        api,
        w,
        docs.APPLY_MACRO,
        {"input": {"caseId": w.case, "macroId": macro, "status": "RESOLVED"}},
        {"input": {"caseId": missing("SupportCase"), "macroId": missing("Macro")}},
    )
    assert_forbidden(body, "applyMacro")
    assert await _a_case(api, w, staff) == before


@entry("Mutation.updateMacro(input.macroId)")
async def _update_macro(api: Api, w: World) -> None:
    macro = await _staff_macro(api, await _fresh_agent(api))
    body = await same_input_as_missing(
        api, w, docs.UPDATE_MACRO, "macroId", macro, "Macro", body="Hijacked"
    )
    assert_forbidden(body, "updateMacro")


@entry("Mutation.deleteMacro(input.macroId)")
async def _delete_macro(api: Api, w: World) -> None:
    staff = await _fresh_agent(api)
    macro = await _staff_macro(api, staff)
    body = await same_input_as_missing(api, w, docs.DELETE_MACRO, "macroId", macro, "Macro")
    assert_forbidden(body, "deleteMacro")
    # Control: the macro is still there for staff.
    node = await api.gql.ok("query($id: ID!) { node(id: $id) { id } }", {"id": macro}, staff)
    assert node["node"] == {"id": macro}


@entry("Query.macroPreview(caseId)")
@entry("Query.macroPreview(macroId)")
async def _macro_preview(api: Api, w: World) -> None:
    staff = await _fresh_agent(api)
    macro = await _staff_macro(api, staff)
    body = await same_as_missing(
        api,
        w,
        docs.MACRO_PREVIEW,
        {"caseId": w.case, "macroId": macro},
        {"caseId": missing("SupportCase"), "macroId": missing("Macro")},
    )
    assert_forbidden(body, "macroPreview")
    # Control: staff see A's name filled in.
    seen = await api.gql.ok(docs.MACRO_PREVIEW, {"caseId": w.case, "macroId": macro}, staff)
    assert seen["macroPreview"]["renderedBody"] == "Hi Alice Target"


@entry("Query.satisfactionReport(agentId)")
async def _satisfaction_report(api: Api, w: World) -> None:
    body = await same_as_missing(
        api,
        w,
        docs.SATISFACTION_REPORT,
        {"agentId": w.a_user},
        {"agentId": missing("User")},
    )
    assert_forbidden(body, "satisfactionReport")


@entry("Mutation.rateCase(input.caseId)")
async def _rate_case(api: Api, w: World) -> None:
    staff = await _fresh_agent(api)
    before = await _a_case(api, w, staff)
    body = await same_input_as_missing(
        api, w, docs.RATE_CASE, "caseId", w.case, "SupportCase", score=1, comment="Sabotage"
    )
    assert body["data"]["rateCase"]["__typename"] == "NotFound", body
    assert await _a_case(api, w, staff) == before
    # Control: A reaches the case through the very same mutation (it is not resolved yet).
    own = await api.gql.ok(docs.RATE_CASE, {"input": {"caseId": w.case, "score": 1}}, w.a.token)
    assert own["rateCase"]["denial"] == "NOT_RESOLVED", own


# -- tests ------------------------------------------------------------------------------------


def test_the_matrix_covers_every_id_taking_field() -> None:
    in_schema = id_taking_fields(build_schema()._schema)
    unlisted = sorted(in_schema - set(MATRIX))
    stale = sorted(set(MATRIX) - in_schema)
    assert not unlisted, f"ID-taking fields missing from the access matrix: {unlisted}"
    assert not stale, f"matrix entries for fields the schema no longer has: {stale}"


@pytest.mark.parametrize("key", sorted(MATRIX))
async def test_customer_b_cannot_reach_customer_a(api: Api, world: World, key: str) -> None:
    before = await a_state(api, world)
    await MATRIX[key](api, world)
    assert await a_state(api, world) == before, f"{key} changed A's data"


async def test_internal_notes_never_reach_the_customer(api: Api, world: World) -> None:
    w = world
    everything = """query($id: ID!) {
      supportCase(id: $id) {
        lastMessage { id body internal }
        messages(first: 100) { edges { node { id body internal } } }
        timeline(first: 100) { edges { node { id type summary message { id body internal } } } }
      }
      supportCases(first: 20) { edges { node { id lastMessage { body }
        messages(first: 20) { edges { node { body } } }
        timeline(first: 20) { edges { node { summary message { body } } } } } } }
    }"""  # pages of 20 in the list (A has a few cases): 100 x 100 would cost over the maximum
    mine = await api.gql.ok(everything, {"id": w.case}, w.a.token)
    staff = await api.gql.ok(everything, {"id": w.case}, w.agent)

    # Control: staff see the note (it is the newest message) and its timeline entry.
    assert INTERNAL_NOTE in dump(staff)
    assert staff["supportCase"]["lastMessage"]["id"] == w.internal_note
    staff_events = [e["node"]["id"] for e in staff["supportCase"]["timeline"]["edges"]]
    assert w.internal_event in staff_events

    # The customer: nowhere in the answer, by any path.
    assert INTERNAL_NOTE not in dump(mine)
    sc = mine["supportCase"]
    assert sc["lastMessage"] == {
        "id": w.agent_reply,
        "body": "Agent: thanks, looking into it",
        "internal": False,
    }
    messages = [e["node"] for e in sc["messages"]["edges"]]
    assert [m["id"] for m in messages] == [w.customer_message, w.agent_reply]
    assert not any(m["internal"] for m in messages)
    events = [e["node"] for e in sc["timeline"]["edges"]]
    assert w.internal_event not in [e["id"] for e in events]
    assert [e["type"] for e in events] == [
        "CASE_OPENED",
        "REFUND_REQUESTED",
        "MESSAGE_POSTED",
        "MESSAGE_POSTED",
    ]
    assert all(e["message"] is None or not e["message"]["internal"] for e in events)
    assert "Internal note" not in dump(mine)

    for target in (w.internal_note, w.internal_event):
        own = await api.gql(NODE, {"id": target}, w.a.token)
        assert own == {"data": {"node": None}}, own
        seen = await api.gql.ok(NODE, {"id": target}, w.agent)
        assert seen["node"]["id"] == target
    # The public ones do reach their owner through node(id) (the nulls above are not blanket).
    for target in (w.customer_message, w.agent_reply, w.events["MESSAGE_POSTED"]):
        own = await api.gql.ok(NODE, {"id": target}, w.a.token)
        assert own["node"]["id"] == target


async def ws_replay(api: Api, w: World, token: str) -> list[dict[str, Any]]:
    """The messages of a subscription replaying a case's log, up to a sentinel: a public
    message posted on the case after subscribing (its event comes after every replayed one)."""
    async with asgi_ws(api.app) as ws:
        await ws.init_ok(token)
        await ws.subscribe("op", CASE_EVENTS, {"id": w.case, "after": "0"})
        sentinel = f"sentinel {unique()}"
        await post_message(api, w.agent, w.case, sentinel)
        got: list[dict[str, Any]] = []
        while True:
            message = await ws.next_for("op")
            event = message["payload"]["data"]["caseEvents"] if message["type"] == "next" else {}
            if (event.get("message") or {}).get("body") == sentinel:
                return got
            got.append(message)


async def test_internal_notes_never_reach_the_customer_live(api: Api) -> None:
    """The same promise over the subscription: A replays her case's log and gets the public
    events only; staff replaying the same case get the internal note too."""
    w = await build_world(api)  # its own: the sentinels add messages to the case
    mine = await ws_replay(api, w, w.a.token)
    staff = await ws_replay(api, w, w.agent)
    assert INTERNAL_NOTE not in dump(mine) and INTERNAL_NOTE in dump(staff)
    events = [m["payload"]["data"]["caseEvents"] for m in mine]
    assert all(m["type"] == "next" for m in mine)
    assert [e["id"] for e in events] == list(w.events.values())
    assert w.internal_event not in {e["id"] for e in events}
    assert w.internal_event in {m["payload"]["data"]["caseEvents"]["id"] for m in staff}
