"""Every role reaches exactly the operations the checked-in role x operation table allows.

`TABLE` below is the table; `docs/roles.md` is its human-readable copy (kept equal by
`test_docs_roles_md_is_the_table`; regenerate it with `uv run python -m tests.api.test_roles`).
The schema is walked, so an operation that is not in the table fails
`test_the_table_lists_every_operation`.

Outcomes: `allowed` (the operation runs: no top-level error, a result of one of the expected
types), `UNAUTHENTICATED` or `FORBIDDEN` (a top-level error with that `extensions.code`, no data).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from httpx_ws import WebSocketDisconnect

from app.graphql.schema import build_schema
from tests.api._helpers import codes, open_case, request_refund
from tests.api.conftest import Api, Customer
from tests.toolbox import graphql as docs
from tests.toolbox.graphql import order_gid
from tests.toolbox.ws import asgi_ws

ROLES = ("anonymous", "CUSTOMER", "AGENT", "ADMIN")
A, U, F = "allowed", "UNAUTHENTICATED", "FORBIDDEN"
PUBLIC = (A, A, A, A)
AUTHENTICATED = (U, A, A, A)
STAFF = (U, F, A, A)
CUSTOMER_ONLY = (U, A, F, F)
ADMIN_ONLY = (U, F, F, A)

TABLE: dict[str, tuple[str, str, str, str]] = {
    # Query                       anonymous, CUSTOMER, AGENT, ADMIN
    "Query.viewer": PUBLIC,
    "Query.node": AUTHENTICATED,
    "Query.supportCase": AUTHENTICATED,
    "Query.supportCases": AUTHENTICATED,
    "Query.myOrders": AUTHENTICATED,
    "Query.order": AUTHENTICATED,
    "Query.refundQuote": AUTHENTICATED,
    "Query.latestCaseEventCursor": AUTHENTICATED,
    "Query.agents": STAFF,
    "Query.agentsConnection": STAFF,
    "Query.refunds": STAFF,
    "Query.auditLog": ADMIN_ONLY,
    "Query.queueDepths": ADMIN_ONLY,
    "Query.deadRefundJobs": ADMIN_ONLY,
    # Mutation
    "Mutation.login": PUBLIC,
    "Mutation.startBrowserSession": PUBLIC,
    "Mutation.refreshSession": PUBLIC,
    "Mutation.logout": PUBLIC,
    "Mutation.openCase": AUTHENTICATED,
    "Mutation.postMessage": AUTHENTICATED,
    "Mutation.assignCase": STAFF,
    "Mutation.changeCaseStatus": AUTHENTICATED,
    "Mutation.setCasePriority": STAFF,
    "Mutation.requestRefund": AUTHENTICATED,
    "Mutation.cancelRefund": CUSTOMER_ONLY,
    "Mutation.approveRefund": STAFF,
    "Mutation.rejectRefund": STAFF,
    "Mutation.retryRefund": STAFF,
    # User administration: the admin's calls touch the scenario's fresh customer only.
    "Mutation.createUser": ADMIN_ONLY,
    "Mutation.changeUserRole": ADMIN_ONLY,
    "Mutation.deactivateUser": ADMIN_ONLY,
    "Mutation.reactivateUser": ADMIN_ONLY,
    "Mutation.resetUserPassword": ADMIN_ONLY,
    # Outbound webhooks: the admin's calls change nothing (invalid input, unknown ids).
    "Query.webhookEndpoints": ADMIN_ONLY,
    "Query.webhookDeliveries": ADMIN_ONLY,
    "Mutation.registerWebhookEndpoint": ADMIN_ONLY,
    "Mutation.updateWebhookEndpoint": ADMIN_ONLY,
    "Mutation.rotateWebhookSecret": ADMIN_ONLY,
    "Mutation.resendWebhookDelivery": ADMIN_ONLY,
    "Mutation.replayOrderWebhook": ADMIN_ONLY,
    # Macros (staff) and ratings (the case's customer; the report: staff)
    "Query.macros": STAFF,
    "Query.macroPlaceholders": STAFF,
    "Query.macroPreview": STAFF,
    "Query.satisfactionReport": STAFF,
    "Mutation.createMacro": STAFF,
    "Mutation.updateMacro": STAFF,
    "Mutation.deleteMacro": STAFF,
    "Mutation.applyMacro": STAFF,
    "Mutation.rateCase": CUSTOMER_ONLY,
    # Subscription (over the WebSocket; UNAUTHENTICATED: connection_init without a valid token
    # is refused with close code 4403)
    "Subscription.caseEvents": AUTHENTICATED,
}

DOCS = Path(__file__).resolve().parents[2] / "docs" / "roles.md"

DOCS_HEADER = """# Roles x operations

Who may call which GraphQL operation. `allowed`: the operation runs (object-level rules still
apply: someone else's object is `null` / `NotFound`); `UNAUTHENTICATED` / `FORBIDDEN`: a top-level
error with that `extensions.code`.

This file is a copy of `TABLE` in `tests/api/test_roles.py`, which checks every cell against the
running API and fails when the two differ or when the schema has an operation the table lacks.
Regenerate it with `uv run python -m tests.api.test_roles > docs/roles.md`.

Also FORBIDDEN for customers, whatever the object: `openCase` with a `priority` or with another
customer's `customerId`, `postMessage` with `internal: true`, `changeCaseStatus` to a status other
than `RESOLVED` (resolve) or `OPEN` (reopen), `caseEvents` without a `caseId` (every case).
FORBIDDEN for agents: `retryRefund` of a PROCESSING refund whose job is DEAD (running a dead job
again is an admin's call; a FAILED refund stays the agents' to retry).

Subscriptions run over the WebSocket (graphql-transport-ws): there, UNAUTHENTICATED means that a
`connection_init` without a valid access token is refused (close code 4403), so nothing can be
subscribed; customers receive only their own case's events, never internal ones.

"""


def render_docs() -> str:
    lines = [
        "| Operation | " + " | ".join(ROLES) + " |",
        "|---|" + "---|" * len(ROLES),
    ]
    lines += [f"| `{op}` | " + " | ".join(cells) + " |" for op, cells in TABLE.items()]
    return DOCS_HEADER + "\n".join(lines) + "\n"


def parse_docs(text: str) -> dict[str, tuple[str, ...]]:
    rows: dict[str, tuple[str, ...]] = {}
    for line in text.splitlines():
        match = re.match(r"^\|\s*`([^`]+)`\s*\|(.*)\|\s*$", line)
        if match:
            rows[match.group(1)] = tuple(cell.strip() for cell in match.group(2).split("|"))
    return rows


# -- one call per operation -------------------------------------------------------------------


@dataclass
class Scenario:
    """A fresh customer with three cases and a REQUESTED refund on each case's order."""

    customer: Customer
    cases: list[str]
    refunds: list[str]
    order: str


async def scenario(api: Api) -> Scenario:
    customer = await api.new_customer("Role Tester")
    cases: list[str] = []
    refunds: list[str] = []
    for key, reason in (("delivered", "DAMAGED"), ("big", "DEFECTIVE"), ("lost", "NOT_RECEIVED")):
        case = await open_case(api, customer.token, customer.order_ids[key])
        refund = await request_refund(api, customer.token, case["id"], reason=reason, amount=3000)
        assert refund["refund"]["status"] == "REQUESTED", refund
        cases.append(case["id"])
        refunds.append(refund["refund"]["id"])
    return Scenario(customer, cases, refunds, order_gid(customer.order_ids["delivered"]))


@dataclass
class Call:
    query: str
    variables: dict[str, Any]
    ok_types: frozenset[str] = frozenset()  # for union results; empty: any non-null result


Builder = Callable[[Scenario, str], Call]


def _case_input(s: Scenario, role: str) -> dict[str, Any]:
    values: dict[str, Any] = {
        "subject": "Role check",
        "description": "Opened by the role matrix",
        "category": "OTHER",
    }
    if role in ("AGENT", "ADMIN"):
        values["customerId"] = _user_gid(s)
    return {"input": values}


def _missing_macro() -> str:
    from tests.api._helpers import gid

    return gid("Macro", str(uuid.uuid4()))


def _user_gid(s: Scenario) -> str:
    from tests.api._helpers import gid

    return gid("User", s.customer.user_id)


def _missing_gid(type_name: str) -> str:
    from tests.api._helpers import gid

    return gid(type_name, str(uuid.uuid4()))


LOGIN = """mutation($e: String!) { login(input: {email: $e, password: "demo-password"}) {
  __typename } }"""

START_BROWSER_SESSION = """mutation($e: String!) {
  startBrowserSession(input: {email: $e, password: "demo-password"}) { __typename } }"""

CALLS: dict[str, Builder] = {
    "Query.viewer": lambda s, r: Call("{ viewer { id role } }", {}),
    "Query.node": lambda s, r: Call(
        "query($id: ID!) { node(id: $id) { __typename id } }", {"id": s.cases[0]}
    ),
    "Query.supportCase": lambda s, r: Call(
        "query($id: ID!) { supportCase(id: $id) { id status } }", {"id": s.cases[0]}
    ),
    "Query.supportCases": lambda s, r: Call(
        "{ supportCases(first: 5) { edges { node { id } } } }", {}
    ),
    "Query.myOrders": lambda s, r: Call("{ myOrders(first: 5) { edges { node { id } } } }", {}),
    "Query.order": lambda s, r: Call(
        "query($id: ID!) { order(id: $id) { id number } }", {"id": s.order}
    ),
    "Query.refundQuote": lambda s, r: Call(
        "query($id: ID!) { refundQuote(orderId: $id) { eligible } }", {"id": s.order}
    ),
    "Query.latestCaseEventCursor": lambda s, r: Call(
        "query($id: ID) { latestCaseEventCursor(caseId: $id) }", {"id": s.cases[0]}
    ),
    "Query.agents": lambda s, r: Call("{ agents { id role } }", {}),
    "Query.agentsConnection": lambda s, r: Call(
        "{ agentsConnection(first: 5) { edges { node { id role } } } }", {}
    ),
    "Query.refunds": lambda s, r: Call("{ refunds(first: 5) { edges { node { id } } } }", {}),
    "Mutation.login": lambda s, r: Call(LOGIN, {"e": s.customer.email}, frozenset({"AuthSession"})),
    "Mutation.startBrowserSession": lambda s, r: Call(
        START_BROWSER_SESSION, {"e": s.customer.email}, frozenset({"BrowserSession"})
    ),
    "Mutation.refreshSession": lambda s, r: Call(
        'mutation { refreshSession(input: {refreshToken: "not-a-token"}) { __typename } }',
        {},
        frozenset({"InvalidRefreshToken"}),
    ),
    "Mutation.logout": lambda s, r: Call(
        'mutation { logout(input: {refreshToken: "not-a-token"}) { __typename } }',
        {},
        frozenset({"InvalidRefreshToken"}),
    ),
    "Mutation.openCase": lambda s, r: Call(
        docs.OPEN_CASE, _case_input(s, r), frozenset({"CaseOpened"})
    ),
    "Mutation.postMessage": lambda s, r: Call(
        docs.POST_MESSAGE,
        {"input": {"caseId": s.cases[0], "body": f"Hello from {r}"}},
        frozenset({"MessagePosted"}),
    ),
    "Mutation.assignCase": lambda s, r: Call(
        docs.ASSIGN,
        {"input": {"caseId": s.cases[0], "assigneeId": None}},
        frozenset({"CaseUpdated"}),
    ),
    "Mutation.changeCaseStatus": lambda s, r: Call(
        docs.CHANGE_STATUS,
        {"input": {"caseId": s.cases[0], "status": "RESOLVED"}},
        frozenset({"CaseUpdated"}),
    ),
    "Mutation.setCasePriority": lambda s, r: Call(
        docs.SET_PRIORITY,
        {"input": {"caseId": s.cases[1], "priority": "HIGH"}},
        frozenset({"CaseUpdated"}),
    ),
    "Mutation.requestRefund": lambda s, r: Call(
        docs.REQUEST_REFUND,
        {"input": {"caseId": s.cases[0], "reason": "DAMAGED", "amount": 100}},
        # the case's order has a pending refund, or the customer's daily limit is used up
        frozenset({"RefundNotAllowed"}),
    ),
    "Mutation.cancelRefund": lambda s, r: Call(
        docs.CANCEL_REFUND, {"input": {"refundId": s.refunds[0]}}, frozenset({"RefundCancelled"})
    ),
    "Mutation.approveRefund": lambda s, r: Call(
        docs.APPROVE_REFUND, {"input": {"refundId": s.refunds[1]}}, frozenset({"RefundDecided"})
    ),
    "Mutation.rejectRefund": lambda s, r: Call(
        docs.REJECT_REFUND,
        {"input": {"refundId": s.refunds[2], "note": "Not covered"}},
        frozenset({"RefundDecided"}),
    ),
    "Mutation.retryRefund": lambda s, r: Call(
        docs.RETRY_REFUND,
        {"input": {"refundId": s.refunds[2]}},
        # the refund was never paid (rejected just before, or still requested): not retryable
        frozenset({"InvalidTransition"}),
    ),
    "Query.auditLog": lambda s, r: Call(
        "{ auditLog(first: 5) { edges { node { id action } } } }", {}
    ),
    "Query.queueDepths": lambda s, r: Call("{ queueDepths { pending dead } }", {}),
    "Query.deadRefundJobs": lambda s, r: Call(
        "{ deadRefundJobs(first: 5) { edges { node { id status } } } }", {}
    ),
    "Mutation.createUser": lambda s, r: Call(
        "mutation($input: CreateUserInput!) { createUser(input: $input) { __typename } }",
        {
            "input": {
                "email": f"role-{r.lower()}-{uuid.uuid4().hex[:8]}@example.com",
                "name": "Role Matrix Agent",
                "role": "AGENT",
                "password": "role-matrix-password",
            }
        },
        frozenset({"UserCreated"}),
    ),
    "Mutation.changeUserRole": lambda s, r: Call(
        "mutation($input: ChangeUserRoleInput!) { changeUserRole(input: $input) { __typename } }",
        {"input": {"userId": _user_gid(s), "role": "AGENT"}},
        # a customer stays a customer
        frozenset({"ValidationFailed"}),
    ),
    "Mutation.deactivateUser": lambda s, r: Call(
        "mutation($input: DeactivateUserInput!) { deactivateUser(input: $input) { __typename } }",
        {"input": {"userId": _user_gid(s)}},
        frozenset({"UserUpdated"}),
    ),
    "Mutation.reactivateUser": lambda s, r: Call(
        "mutation($input: ReactivateUserInput!) { reactivateUser(input: $input) { __typename } }",
        {"input": {"userId": _user_gid(s)}},
        frozenset({"UserUpdated"}),
    ),
    "Mutation.resetUserPassword": lambda s, r: Call(
        "mutation($input: ResetUserPasswordInput!) { resetUserPassword(input: $input) "
        "{ __typename } }",
        {"input": {"userId": _user_gid(s), "password": "demo-password"}},
        frozenset({"UserUpdated"}),
    ),
    "Query.webhookEndpoints": lambda s, r: Call("{ webhookEndpoints { id url } }", {}),
    "Query.webhookDeliveries": lambda s, r: Call(
        "{ webhookDeliveries(first: 5) { edges { node { id state } } } }", {}
    ),
    "Mutation.registerWebhookEndpoint": lambda s, r: Call(
        "mutation($input: RegisterWebhookEndpointInput!) { registerWebhookEndpoint(input: $input) "
        "{ __typename } }",
        {"input": {"url": "ftp://role-matrix.example/hooks", "events": ["REFUND_PAID"]}},
        frozenset({"ValidationFailed"}),
    ),
    "Mutation.updateWebhookEndpoint": lambda s, r: Call(
        "mutation($input: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(input: $input) "
        "{ __typename } }",
        {"input": {"endpointId": _missing_gid("WebhookEndpoint"), "active": False}},
        frozenset({"NotFound"}),
    ),
    "Mutation.rotateWebhookSecret": lambda s, r: Call(
        "mutation($input: RotateWebhookSecretInput!) { rotateWebhookSecret(input: $input) "
        "{ __typename } }",
        {"input": {"endpointId": _missing_gid("WebhookEndpoint")}},
        frozenset({"NotFound"}),
    ),
    "Mutation.resendWebhookDelivery": lambda s, r: Call(
        "mutation($input: ResendWebhookDeliveryInput!) { resendWebhookDelivery(input: $input) "
        "{ __typename } }",
        {"input": {"deliveryId": _missing_gid("WebhookDelivery")}},
        frozenset({"NotFound"}),
    ),
    "Mutation.replayOrderWebhook": lambda s, r: Call(
        'mutation { replayOrderWebhook(input: {deliveryId: "msg_role_matrix_none"}) '
        "{ __typename } }",
        {},
        frozenset({"NotFound"}),
    ),
    "Query.macros": lambda s, r: Call("{ macros(first: 5) { edges { node { id } } } }", {}),
    "Query.macroPlaceholders": lambda s, r: Call("{ macroPlaceholders { name } }", {}),
    "Query.macroPreview": lambda s, r: Call(
        docs.MACRO_PREVIEW,
        {"caseId": s.cases[1], "body": "Hello {{customer_name}}"},
        frozenset({"MacroPreview"}),
    ),
    "Query.satisfactionReport": lambda s, r: Call(
        "{ satisfactionReport { overall { count } } }", {}
    ),
    "Mutation.createMacro": lambda s, r: Call(
        docs.CREATE_MACRO,
        {"input": {"title": f"Role check {r}", "body": "Hello {{customer_name}}"}},
        frozenset({"MacroSaved"}),
    ),
    # A macro that does not exist: the operation runs (and finds nothing).
    "Mutation.updateMacro": lambda s, r: Call(
        docs.UPDATE_MACRO,
        {"input": {"macroId": _missing_macro(), "title": "Renamed"}},
        frozenset({"NotFound"}),
    ),
    "Mutation.deleteMacro": lambda s, r: Call(
        docs.DELETE_MACRO, {"input": {"macroId": _missing_macro()}}, frozenset({"NotFound"})
    ),
    "Mutation.applyMacro": lambda s, r: Call(
        docs.APPLY_MACRO,
        {"input": {"caseId": s.cases[1], "macroId": _missing_macro()}},
        frozenset({"NotFound"}),
    ),
    # cases[0] was resolved by changeCaseStatus above (by this role)
    "Mutation.rateCase": lambda s, r: Call(
        docs.RATE_CASE,
        {"input": {"caseId": s.cases[0], "score": 4}},
        frozenset({"CaseRated"}),
    ),
    # Replays the case's log from the start: the first event arrives at once when allowed.
    "Subscription.caseEvents": lambda s, r: Call(
        "subscription($id: ID, $after: String) { caseEvents(caseId: $id, after: $after) "
        "{ id type supportCase { id } } }",
        {"id": s.cases[0], "after": "0"},
    ),
}

TOKENS = {"CUSTOMER": None, "AGENT": "agent@example.com", "ADMIN": "admin@example.com"}


async def token_for(api: Api, role: str, s: Scenario) -> str | None:
    if role == "anonymous":
        return None
    if role == "CUSTOMER":
        return s.customer.token
    return await api.token(str(TOKENS[role]))


def outcome(op: str, body: dict[str, Any], call: Call, role: str) -> str:
    """What happened, in the table's words (or a description of anything unexpected)."""
    field_name = op.split(".", 1)[1]
    data = body.get("data") or {}
    errors = codes(body)
    if errors:
        if len(errors) == 1 and errors[0] in (U, F) and data.get(field_name) is None:
            return str(errors[0])
        return f"unexpected errors {body['errors']}"
    result = data.get(field_name)
    if op == "Query.viewer":  # null when anonymous, else the caller
        expected_role = None if role == "anonymous" else role
        return A if (result or {}).get("role") == expected_role else f"viewer {result}"
    if result is None:
        return f"null result {body}"
    if call.ok_types and result.get("__typename") not in call.ok_types:
        return f"unexpected result {result}"
    return A


async def subscription_outcome(api: Api, call: Call, token: str | None) -> str:
    """The table's word for a subscription over the WebSocket."""
    async with asgi_ws(api.app) as ws:
        await ws.init(token)
        try:
            first = await ws.receive()
        except WebSocketDisconnect as closed:
            return U if closed.code == 4403 else f"closed {closed.code} {closed.reason}"
        if first != {"type": "connection_ack"}:
            return f"unexpected {first}"
        await ws.subscribe("op", call.query, call.variables)
        message = await ws.next_for("op")
        if message["type"] == "next" and not message["payload"].get("errors"):
            return A if message["payload"]["data"]["caseEvents"]["id"] else f"unexpected {message}"
        if message["type"] == "error":
            errors = {"errors": message["payload"]}
            if codes(errors) in ([U], [F]):
                return str(codes(errors)[0])
        return f"unexpected {message}"


async def check_role(api: Api, role: str) -> None:
    column = ROLES.index(role)
    s = await scenario(api)
    token = await token_for(api, role, s)
    wrong: list[str] = []
    for op, cells in TABLE.items():
        call = CALLS[op](s, role)
        if op.startswith("Subscription."):
            got = await subscription_outcome(api, call, token)
        else:
            body = await api.gql(call.query, call.variables, token)
            got = outcome(op, body, call, role)
        if got != cells[column]:
            wrong.append(f"{op} as {role}: expected {cells[column]}, got {got}")
    assert not wrong, "\n".join(wrong)


# -- tests ------------------------------------------------------------------------------------


def test_the_table_lists_every_operation() -> None:
    schema = build_schema()._schema
    operations = {f"Query.{name}" for name in schema.query_type.fields}  # type: ignore[union-attr]
    operations |= {f"Mutation.{name}" for name in schema.mutation_type.fields}  # type: ignore[union-attr]
    operations |= {f"Subscription.{name}" for name in schema.subscription_type.fields}  # type: ignore[union-attr]
    assert sorted(operations - set(TABLE)) == [], "operations missing from the role table"
    assert sorted(set(TABLE) - operations) == [], "table rows for operations that are gone"
    assert set(CALLS) == set(TABLE)


def test_docs_roles_md_is_the_table() -> None:
    assert DOCS.exists(), f"{DOCS} is missing; run: uv run python -m tests.api.test_roles"
    documented = parse_docs(DOCS.read_text(encoding="utf-8"))
    assert documented == TABLE, "docs/roles.md differs from TABLE in tests/api/test_roles.py"


async def test_anonymous(api: Api) -> None:
    await check_role(api, "anonymous")


async def test_customer(api: Api) -> None:
    await check_role(api, "CUSTOMER")


async def test_agent(api: Api) -> None:
    await check_role(api, "AGENT")


async def test_admin(api: Api) -> None:
    await check_role(api, "ADMIN")


async def test_customers_may_not_set_a_priority_or_write_internal_notes(api: Api) -> None:
    customer = await api.new_customer()
    agent = await api.token("agent@example.com")
    body = await api.gql(
        docs.OPEN_CASE,
        {
            "input": {
                "subject": "Please hurry",
                "description": "Urgent!",
                "category": "OTHER",
                "priority": "URGENT",
            }
        },
        customer.token,
    )
    assert codes(body) == ["FORBIDDEN"], body
    assert body["data"] is None
    cases = await api.gql.ok("{ supportCases { edges { node { id } } } }", token=customer.token)
    assert cases["supportCases"]["edges"] == []  # nothing was opened

    case = await open_case(api, customer.token, subject="Own case", category="OTHER")
    assert case["priority"] == "NORMAL"
    body = await api.gql(
        docs.POST_MESSAGE,
        {"input": {"caseId": case["id"], "body": "secret note", "internal": True}},
        customer.token,
    )
    assert codes(body) == ["FORBIDDEN"], body
    assert body["data"] is None
    messages = await api.gql.ok(
        "query($id: ID!) { supportCase(id: $id) { messages { edges { node { id } } } } }",
        {"id": case["id"]},
        agent,
    )
    assert messages["supportCase"]["messages"]["edges"] == []  # nothing was written

    # Control: the very same inputs are fine for an agent.
    posted = await api.gql.ok(
        docs.POST_MESSAGE,
        {"input": {"caseId": case["id"], "body": "note", "internal": True}},
        agent,
    )
    assert posted["postMessage"]["__typename"] == "MessagePosted"
    assert posted["postMessage"]["posted"]["internal"] is True


async def test_agent_operations_called_by_a_customer_are_forbidden(api: Api) -> None:
    s = await scenario(api)
    for op in [op for op, cells in TABLE.items() if cells[1] == F]:
        assert not op.startswith("Subscription."), "add a WebSocket check here"
        call = CALLS[op](s, "CUSTOMER")
        body = await api.gql(call.query, call.variables, s.customer.token)
        assert len(body["errors"]) == 1, (op, body)
        error = body["errors"][0]
        assert error["extensions"]["code"] == "FORBIDDEN", (op, body)
        assert error["message"] != "Unexpected error.", (op, body)
        assert body["data"] is None, (op, body)


if __name__ == "__main__":
    print(render_docs(), end="")


async def test_customers_may_not_follow_every_case(api: Api) -> None:
    customer = await api.new_customer()
    async with asgi_ws(api.app) as ws:
        await ws.init_ok(customer.token)
        await ws.subscribe("all", "subscription { caseEvents { id } }")
        refused = await ws.next_for("all")
        assert refused["type"] == "error", refused
        assert codes({"errors": refused["payload"]}) == ["FORBIDDEN"]
        assert refused["payload"][0]["message"] != "Unexpected error."
