"""API contract 1.1 over HTTP (PostgreSQL + Redis): enum statuses on InvalidTransition, the new
connections (agentsConnection, SupportCase.refundsConnection) and totalCount, and the documented
rule of requestRefund (amount or lines, not both)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api._helpers import REJECT_REFUND, open_case, request_refund
from tests.api.conftest import Api
from tests.toolbox.graphql import order_gid

pytestmark = pytest.mark.postgres

TRANSITION = """
mutation($status: CaseStatus!, $caseId: ID!) {
  changeCaseStatus(input: {caseId: $caseId, status: $status}) {
    __typename
    ... on InvalidTransition {
      fromStatus toStatus fromCaseStatus toCaseStatus fromRefundStatus toRefundStatus code
    }
  }
}"""

CANCEL = """
mutation($id: ID!) { cancelRefund(input: {refundId: $id}) {
  __typename
  ... on InvalidTransition {
    fromStatus toStatus fromCaseStatus toCaseStatus fromRefundStatus toRefundStatus
  }
}}"""


async def test_invalid_transition_names_the_statuses_as_enums(api: Api) -> None:
    customer = await api.new_customer()
    agent = await api.token("agent@example.com")
    case = await open_case(api, customer.token, customer.order_ids["delivered"])

    data = await api.gql.ok(TRANSITION, {"caseId": case["id"], "status": "CLOSED"}, agent)
    refused = data["changeCaseStatus"]
    assert refused == {
        "__typename": "InvalidTransition",
        "fromStatus": "OPEN",  # deprecated, still served
        "toStatus": "CLOSED",
        "fromCaseStatus": "OPEN",
        "toCaseStatus": "CLOSED",
        "fromRefundStatus": None,
        "toRefundStatus": None,
        "code": "INVALID_TRANSITION",
    }

    refund = await request_refund(api, customer.token, case["id"], reason="DAMAGED", amount=3000)
    refund_id = refund["refund"]["id"]
    await api.gql.ok(CANCEL, {"id": refund_id}, customer.token)
    again = (await api.gql.ok(CANCEL, {"id": refund_id}, customer.token))["cancelRefund"]
    assert again == {
        "__typename": "InvalidTransition",
        "fromStatus": "CANCELLED",
        "toStatus": "CANCELLED",
        "fromCaseStatus": None,
        "toCaseStatus": None,
        "fromRefundStatus": "CANCELLED",
        "toRefundStatus": "CANCELLED",
    }


AGENTS = """
query($first: Int!, $after: String) {
  agents { id }
  agentsConnection(first: $first, after: $after) {
    edges { cursor node { id name role } }
    pageInfo { hasNextPage endCursor }
  }
}"""


async def test_agents_connection_pages_through_the_same_people_as_agents(api: Api) -> None:
    agent = await api.token("agent@example.com")
    everyone: list[str] | None = None
    for first in (1, 2, 100):
        seen: list[str] = []
        after: str | None = None
        while True:
            data = await api.gql.ok(AGENTS, {"first": first, "after": after}, agent)
            everyone = [u["id"] for u in data["agents"]]
            page = data["agentsConnection"]
            seen += [e["node"]["id"] for e in page["edges"]]
            assert {e["node"]["role"] for e in page["edges"]} <= {"AGENT", "ADMIN"}
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        assert seen == everyone, first
    assert everyone is not None and len(everyone) >= 3
    body = await api.gql(AGENTS, {"first": 101, "after": None}, agent)
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]


CASE_REFUNDS = """
query($id: ID!, $first: Int!, $after: String) {
  supportCase(id: $id) {
    refunds { id }
    refundsConnection(first: $first, after: $after) {
      totalCount
      edges { cursor node { id status } }
      pageInfo { hasNextPage endCursor }
    }
  }
}"""


async def test_a_cases_refunds_connection_pages_oldest_first_with_a_total(api: Api) -> None:
    customer = await api.new_customer()
    agent = await api.token("agent@example.com")
    case = await open_case(api, customer.token, customer.order_ids["delivered"])
    made: list[str] = []
    for n in range(3):  # one pending at a time: reject each before the next
        refund = await request_refund(
            api, customer.token, case["id"], reason="DAMAGED", amount=3000 + n
        )
        assert refund["__typename"] == "RefundRequested", refund
        made.append(refund["refund"]["id"])
        if n < 2:
            rejected = await api.gql.ok(
                REJECT_REFUND, {"input": {"refundId": made[-1], "note": "No."}}, agent
            )
            assert rejected["rejectRefund"]["__typename"] == "RefundDecided", rejected

    for token in (customer.token, agent):
        for first in (1, 2, 3):
            seen: list[str] = []
            after: str | None = None
            while True:
                data = await api.gql.ok(
                    CASE_REFUNDS, {"id": case["id"], "first": first, "after": after}, token
                )
                connection: dict[str, Any] = data["supportCase"]["refundsConnection"]
                assert connection["totalCount"] == 3
                seen += [e["node"]["id"] for e in connection["edges"]]
                if not connection["pageInfo"]["hasNextPage"]:
                    break
                after = connection["pageInfo"]["endCursor"]
            assert seen == made, first
            assert [r["id"] for r in data["supportCase"]["refunds"]] == made  # same order

    middle = await api.gql.ok(CASE_REFUNDS, {"id": case["id"], "first": 3}, agent)
    second_cursor = middle["supportCase"]["refundsConnection"]["edges"][1]["cursor"]
    rest = await api.gql.ok(
        CASE_REFUNDS, {"id": case["id"], "first": 3, "after": second_cursor}, agent
    )
    assert [e["node"]["id"] for e in rest["supportCase"]["refundsConnection"]["edges"]] == made[2:]
    for bad in ({"first": 0}, {"first": 3, "after": "not-a-cursor"}):
        body = await api.gql(CASE_REFUNDS, {"id": case["id"], **bad}, agent)
        assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"], body


COUNTED_CASES = """
query($filter: SupportCaseFilter, $after: String) {
  supportCases(first: 2, after: $after, filter: $filter) {
    totalCount
    edges { node { id } }
    pageInfo { hasNextPage endCursor }
  }
}"""

COUNTED_REFUNDS = """
query($filter: RefundFilterInput) {
  refunds(first: 1, filter: $filter) { totalCount edges { node { id status } } }
}"""


async def test_total_count_counts_the_whole_filtered_list(api: Api) -> None:
    customer = await api.new_customer()
    agent = await api.token("agent@example.com")
    word = f"counted{customer.user_id[:8]}"
    for n in range(5):
        await open_case(api, customer.token, subject=f"{word} {n}", category="OTHER", priority=None)
    mine = {"search": word}
    for token in (customer.token, agent):
        data = await api.gql.ok(COUNTED_CASES, {"filter": mine}, token)
        assert data["supportCases"]["totalCount"] == 5
        after = data["supportCases"]["pageInfo"]["endCursor"]
        later = await api.gql.ok(COUNTED_CASES, {"filter": mine, "after": after}, token)
        assert later["supportCases"]["totalCount"] == 5  # the list's, not what is left
    urgent = await api.gql.ok(COUNTED_CASES, {"filter": {**mine, "priority": ["URGENT"]}}, agent)
    assert urgent["supportCases"]["totalCount"] == 0

    case = await open_case(api, customer.token, customer.order_ids["delivered"])
    refund = await request_refund(api, customer.token, case["id"], reason="DAMAGED", amount=700)
    assert refund["__typename"] == "RefundRequested", refund
    order_id = order_gid(customer.order_ids["delivered"])
    by_order = {"orderId": order_id}
    counted = await api.gql.ok(COUNTED_REFUNDS, {"filter": by_order}, agent)
    assert counted["refunds"]["totalCount"] == 1
    statuses = {"orderId": order_id, "status": ["REQUESTED", "APPROVED"]}
    assert (await api.gql.ok(COUNTED_REFUNDS, {"filter": statuses}, agent))["refunds"][
        "totalCount"
    ] == 1
    failed = {"orderId": order_id, "status": ["FAILED"]}
    assert (await api.gql.ok(COUNTED_REFUNDS, {"filter": failed}, agent))["refunds"][
        "totalCount"
    ] == 0


REFUND_SHAPE = """
mutation($input: RequestRefundInput!) { requestRefund(input: $input) {
  __typename
  ... on ValidationFailed { fields { field message } }
}}"""


async def test_request_refund_takes_an_amount_or_lines_never_both(api: Api) -> None:
    """The documented rule standing in for @oneOf (see docs/api.md)."""
    customer = await api.new_customer()
    case = await open_case(api, customer.token, customer.order_ids["delivered"])
    base = {"caseId": case["id"], "reason": "DAMAGED"}
    line = {"lineId": f"{customer.order_ids['delivered']}-l1", "quantity": 1}
    both = await api.gql.ok(
        REFUND_SHAPE, {"input": {**base, "amount": 100, "lines": [line]}}, customer.token
    )
    assert both["requestRefund"]["__typename"] == "ValidationFailed"
    assert [f["field"] for f in both["requestRefund"]["fields"]] == ["lines"]
    neither = await api.gql.ok(REFUND_SHAPE, {"input": base}, customer.token)
    assert neither["requestRefund"]["__typename"] == "ValidationFailed"
    assert [f["field"] for f in neither["requestRefund"]["fields"]] == ["amount"]
