"""GraphQL over HTTP for the suites: a small client (`GraphQLClient`) and the documents (queries,
mutations, the subscription) that several suites and the benches send.

Mutations select `__typename` and every result type a test may check; a suite with a one-off
document keeps it next to its tests.
"""

from __future__ import annotations

from typing import Any

import httpx

from app.graphql.ids import decode_id, encode_id

# -- the client -------------------------------------------------------------------------------


def without_cost(body: dict[str, Any]) -> dict[str, Any]:
    """The body without its `extensions.cost` report (on every response; asserted by
    tests/api/test_query_cost.py), so that tests can compare whole bodies."""
    extensions = body.get("extensions")
    if isinstance(extensions, dict) and "cost" in extensions:
        rest = {k: v for k, v in extensions.items() if k != "cost"}
        body = {k: v for k, v in body.items() if k != "extensions"}
        if rest:
            body["extensions"] = rest
    return body


class GraphQLClient:
    """Posts GraphQL over HTTP; `token` is sent as a bearer token. `__call__` leaves out the
    cost report (`without_cost`); `raw` returns the whole response."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def raw(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )

    async def __call__(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        response = await self.raw(query, variables, token)
        body: dict[str, Any] = response.json()
        return without_cost(body)

    async def ok(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        """The data of a call that must not produce any error."""
        body = await self(query, variables, token)
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data

    async def login(self, email: str, password: str = "demo-password") -> str:
        data = await self.ok(LOGIN, {"e": email, "p": password})
        assert data["login"]["__typename"] == "AuthSession", data
        token: str = data["login"]["accessToken"]
        return token


# -- global ids (Relay: opaque, made by the API from a type name and an internal id) ----------


def gid(type_name: str, internal_id: str) -> str:
    return str(encode_id(type_name, internal_id))


def order_gid(order_id: str) -> str:
    return gid("Order", order_id)


def internal_id(global_id: str) -> str:
    """The internal id inside a global id (e.g. to find a row or a log line by it)."""
    decoded = decode_id(global_id)
    assert decoded is not None, global_id
    return decoded[1]


# -- sessions -----------------------------------------------------------------------------------

LOGIN = """
mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) {
  __typename
  ... on AuthSession { accessToken user { name role } }
  ... on Error { message code }
}}"""

# -- cases and refunds, with an `input` variable ------------------------------------------------

OPEN_CASE = """
mutation($input: OpenCaseInput!) { openCase(input: $input) {
  __typename
  ... on CaseOpened { supportCase { id number status priority createdAt
      firstResponseDueAt resolutionDueAt } }
  ... on ValidationFailed { fields { field message } }
  ... on Error { message code }
}}"""

POST_MESSAGE = """
mutation($input: PostMessageInput!) { postMessage(input: $input) {
  __typename
  ... on MessagePosted { posted: message { id internal body } supportCase { id status } }
  ... on ValidationFailed { fields { field message } }
  ... on Error { message code }
}}"""

REQUEST_REFUND = """
mutation($input: RequestRefundInput!) { requestRefund(input: $input) {
  __typename
  ... on RefundRequested { refund { id status approval amount { amount currency }
      includeShipping lines { lineId quantity } } }
  ... on RefundNotAllowed { denial }
  ... on ValidationFailed { fields { field message } }
  ... on Error { message code }
}}"""

CHANGE_STATUS = """
mutation($input: ChangeCaseStatusInput!) { changeCaseStatus(input: $input) {
  __typename
  ... on CaseUpdated { supportCase { id status } }
  ... on InvalidTransition { fromStatus toStatus }
  ... on ValidationFailed { fields { field message } }
  ... on Error { message code }
}}"""

SET_PRIORITY = """
mutation($input: SetCasePriorityInput!) { setCasePriority(input: $input) {
  __typename
  ... on CaseUpdated { supportCase { id priority createdAt firstResponseDueAt resolutionDueAt } }
  ... on Error { message code }
}}"""

ASSIGN = """
mutation($input: AssignCaseInput!) { assignCase(input: $input) {
  __typename
  ... on CaseUpdated { supportCase { id assignee { id name } } }
  ... on Error { message code }
}}"""

CANCEL_REFUND = """
mutation($input: CancelRefundInput!) { cancelRefund(input: $input) {
  __typename
  ... on RefundCancelled { refund { id status } }
  ... on Error { message code }
}}"""

APPROVE_REFUND = """
mutation($input: ApproveRefundInput!) { approveRefund(input: $input) {
  __typename
  ... on RefundDecided { refund { id status approval decisionNote } }
  ... on Error { message code }
}}"""

REJECT_REFUND = """
mutation($input: RejectRefundInput!) { rejectRefund(input: $input) {
  __typename
  ... on RefundDecided { refund { id status decisionNote decidedBy { name } } }
  ... on ValidationFailed { fields { field message } }
  ... on Error { message code }
}}"""

RETRY_REFUND = """
mutation($input: RetryRefundInput!) { retryRefund(input: $input) {
  __typename
  ... on RefundRetried { refund { id status attempt failureReason } }
  ... on InvalidTransition { fromStatus toStatus }
  ... on RefundNotAllowed { denial }
  ... on Error { message code }
}}"""

# -- with plain variables (the demo journey, the e2e run, concurrency, fuzzing) ------------------

MY_ORDERS = """
{ viewer { name role }
  myOrders(first: 10) { edges { node { id number status total { amount formatted } } } } }"""

OPEN_CASE_WITH_ORDER = """
mutation($input: OpenCaseInput!) { openCase(input: $input) {
  __typename
  ... on CaseOpened { supportCase { id number status order { id total { formatted } } } }
  ... on Error { message code }
}}"""

REQUEST_REFUND_SHOWN = """
mutation($input: RequestRefundInput!) { requestRefund(input: $input) {
  __typename
  ... on RefundRequested { refund { id status approval amount { amount formatted } decisionNote } }
  ... on RefundNotAllowed { denial message }
  ... on ValidationFailed { fields { field message } }
  ... on Error { message code }
}}"""

REQUEST_REFUND_OF_AMOUNT = """
mutation($case: ID!, $amount: Int!) {
  requestRefund(input: {caseId: $case, reason: DAMAGED, amount: $amount}) {
    __typename
    ... on RefundRequested { refund { id status amount { amount } } }
    ... on RefundNotAllowed { denial }
    ... on ValidationFailed { fields { field message } }
    ... on Error { message code }
}}"""

APPROVE_BY_ID = """
mutation($id: ID!) { approveRefund(input: {refundId: $id}) {
  __typename
  ... on RefundDecided { refund { id status approval decidedBy { name } } }
  ... on Error { message code }
}}"""

POST_BY_ID = """
mutation($case: ID!, $body: String!, $internal: Boolean!) {
  postMessage(input: {caseId: $case, body: $body, internal: $internal}) {
    __typename
    ... on MessagePosted { posted: message { id internal } }
    ... on Error { message code }
}}"""

# -- reading --------------------------------------------------------------------------------------

# A page of the agent's case list with everything the list screen shows (tests/api/
# test_query_counts.py counts its SQL statements; bench/harness.py measures it).
CASE_LIST_NODE = """
    edges { node {
      id number status
      customer { id name }
      assignee { id name }
      order { id number status stale total { amount } refundableAmount { amount }
              lines { id refundedQuantity } }
      lastMessage { id body author { id name } }
      refunds { id status amount { amount } order { id number } }
    } }
    pageInfo { hasNextPage }"""

CASE_TIMELINE = """query($id: ID!) { supportCase(id: $id) {
  timeline(first: 100) { edges { node { id cursor type } } } } }"""

# -- live updates (over the WebSocket: tests/toolbox/ws.py) ---------------------------------------

CASE_EVENTS = """subscription($caseId: ID, $after: String) {
  caseEvents(caseId: $caseId, after: $after) {
    id cursor type summary occurredAt
    supportCase { id }
    message { id body internal }
  }
}"""

# -- macros and ratings ---------------------------------------------------------------------------

MACRO_FIELDS = "id title body needsOrder placeholders { name } createdBy { id } updatedBy { id }"

CREATE_MACRO = f"""
mutation($input: CreateMacroInput!) {{ createMacro(input: $input) {{
  __typename
  ... on MacroSaved {{ macro {{ {MACRO_FIELDS} }} }}
  ... on ValidationFailed {{ message code fields {{ field message }} }}
}} }}"""

UPDATE_MACRO = f"""
mutation($input: UpdateMacroInput!) {{ updateMacro(input: $input) {{
  __typename
  ... on MacroSaved {{ macro {{ {MACRO_FIELDS} }} }}
  ... on Error {{ message code }}
  ... on ValidationFailed {{ fields {{ field message }} }}
}} }}"""

DELETE_MACRO = """
mutation($input: DeleteMacroInput!) { deleteMacro(input: $input) {
  __typename
  ... on MacroDeleted { deletedMacroId }
  ... on Error { message code }
} }"""

APPLY_MACRO = """
mutation($input: ApplyMacroInput!) { applyMacro(input: $input) {
  __typename
  ... on MacroApplied { postedMessage { id body internal } supportCase { id status } }
  ... on Error { message code }
  ... on ValidationFailed { fields { field message } }
  ... on InvalidTransition { fromCaseStatus toCaseStatus }
} }"""

MACRO_PREVIEW = """
query($caseId: ID!, $macroId: ID, $body: String) {
  macroPreview(caseId: $caseId, macroId: $macroId, body: $body) {
    __typename
    ... on MacroPreview { renderedBody placeholders { name } }
    ... on Error { message code }
    ... on ValidationFailed { fields { field message } }
  }
}"""

RATE_CASE = """
mutation($input: RateCaseInput!) { rateCase(input: $input) {
  __typename
  ... on CaseRated { rating { score comment ratedAt agent { id } } supportCase { id } }
  ... on RatingNotAllowed { message code denial }
  ... on Error { message code }
} }"""

SATISFACTION_REPORT = """
query($since: DateTime, $until: DateTime, $agentId: ID) {
  satisfactionReport(since: $since, until: $until, agentId: $agentId) {
    since until
    overall { count average distribution { score count } }
    agents { agent { id } count average distribution { score count } }
  }
}"""
