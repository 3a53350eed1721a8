"""The list path is batched: a case list with its orders, customers, assignees, last messages,
refunds and nested connections (refunds, messages, timeline) costs the same few SQL statements
for 10 cases as for 50, and ONE order-system batch call (cold cache), whatever the page size.
A resolver that loads per case (N+1) fails these tests.

PostgreSQL + Redis (the API harness). Statements are counted on the runtime's engine
(adapters.sql.db.count_statements), order-system calls at the simulator (`calls`, `batch_sizes`).
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from adapters.order_system.simulator import CALL_BATCH, make_order
from adapters.sql.db import count_statements
from tests.api._helpers import ASSIGN, open_case, post_message, request_refund, viewer_id
from tests.api.conftest import Api
from tests.toolbox.graphql import CASE_LIST_NODE

pytestmark = pytest.mark.postgres

CUSTOMERS = 5
CASES_PER_CUSTOMER = 11  # 55 cases: a page of 50 is full
REFUNDS_PER_CUSTOMER = 2

LIST = f"""
query($first: Int!, $search: String!) {{
  supportCases(first: $first, filter: {{search: $search}}) {{{CASE_LIST_NODE}
  }}
}}"""


@dataclass
class Listing:
    word: str
    order_ids: list[str]
    agent_token: str


@pytest.fixture(scope="module")
async def listing(api: Api) -> Listing:
    word = f"countq{uuid.uuid4().hex[:8]}"
    agent = await api.token("agent@example.com")
    agent_id = await viewer_id(api, agent)
    now = datetime.now(UTC).replace(microsecond=0)
    order_ids: list[str] = []
    for c in range(CUSTOMERS):
        customer = await api.new_customer(f"Counted {c}")
        ref = api.orders.get(customer.order_ids["delivered"])["customer_id"]  # type: ignore[index]
        for n in range(CASES_PER_CUSTOMER):
            order_id = f"ord-{ref}-q{n}"
            api.orders.upsert(
                make_order(
                    id=order_id,
                    number=f"#Q{c}{n:02d}",
                    customer_id=ref,
                    status="DELIVERED",
                    placed_at=now - timedelta(days=4),
                    delivered_at=now - timedelta(days=2),
                    lines=[("SKU-Q", "Counted thing", 2, 900)],
                    shipping=200,
                )
            )
            order_ids.append(order_id)
            case = await open_case(api, customer.token, order_id, subject=f"{word} case {n}")
            await post_message(api, customer.token, case["id"], f"Hello from case {n}")
            if n % 2 == 0:
                data = await api.gql.ok(
                    ASSIGN, {"input": {"caseId": case["id"], "assigneeId": agent_id}}, agent
                )
                assert data["assignCase"]["__typename"] == "CaseUpdated", data
                await post_message(api, agent, case["id"], f"Agent reply {n}")
            if n < REFUNDS_PER_CUSTOMER:
                result = await request_refund(
                    api, customer.token, case["id"], reason="DAMAGED", amount=500
                )
                assert result["__typename"] == "RefundRequested", result
    return Listing(word=word, order_ids=order_ids, agent_token=agent)


async def measure(api: Api, listing: Listing, first: int) -> tuple[int, dict[str, int], list[int]]:
    """SQL statements and order-system calls of one listing request, with a cold order cache."""
    if api.orders.webhooks is not None:
        async with asyncio.timeout(10):
            await api.orders.webhooks.drain()  # nothing else may run while counting
    assert api.runtime.orders is not None
    await api.runtime.orders.invalidate(listing.order_ids)  # cold: every order is a miss
    api.orders.reset_counters()
    with count_statements(api.runtime.engine) as counter:
        body: dict[str, Any] = await api.gql(
            LIST, {"first": first, "search": listing.word}, listing.agent_token
        )
    assert "errors" not in body, body
    edges = body["data"]["supportCases"]["edges"]
    assert len(edges) == first
    for edge in edges:
        node = edge["node"]
        assert node["order"] is not None and node["order"]["stale"] is False
        assert node["customer"]["name"].startswith("Counted")
        assert node["lastMessage"] is not None
    assert any(e["node"]["assignee"] for e in edges)
    assert any(e["node"]["refunds"] for e in edges)
    return counter.count, dict(api.orders.calls), list(api.orders.batch_sizes)


async def test_ten_and_fifty_cases_cost_the_same_statements(api: Api, listing: Listing) -> None:
    await measure(api, listing, 10)  # warm-up: the pool's first-connect queries are not ours
    ten, _, _ = await measure(api, listing, 10)
    fifty, _, _ = await measure(api, listing, 50)

    assert ten == fifty, f"10 cases: {ten} statements, 50 cases: {fifty} (N+1?)"
    # session check, the page, users, last messages, refunds by case, refunds by order (+ users
    # of the message authors): a handful, never one per case.
    assert fifty <= 8, fifty


@pytest.mark.parametrize("first", [10, 50])
async def test_one_order_system_batch_call_per_list(api: Api, listing: Listing, first: int) -> None:
    _, calls, batch_sizes = await measure(api, listing, first)

    assert calls == {CALL_BATCH: 1}, calls  # no per-case lookups, no second batch
    assert batch_sizes == [first]  # every order of the page, once


async def test_a_warm_cache_makes_no_order_system_call(api: Api, listing: Listing) -> None:
    await measure(api, listing, 50)  # fills the cache
    api.orders.reset_counters()
    body = await api.gql(LIST, {"first": 50, "search": listing.word}, listing.agent_token)
    assert "errors" not in body, body
    assert dict(api.orders.calls) == {}


# -- API 1.1: the refunds connection of each case, and totalCount ------------------------------

LIST_WITH_CONNECTIONS = """
query($first: Int!, $search: String!) {
  supportCases(first: $first, filter: {search: $search}) {
    totalCount
    edges { node {
      id
      refundsConnection(first: 1) {
        totalCount
        edges { cursor node { id status amount { amount } } }
        pageInfo { hasNextPage endCursor }
      }
    } }
  }
}"""


async def count_listing(api: Api, listing: Listing, query: str, first: int) -> tuple[int, Any]:
    with count_statements(api.runtime.engine) as counter:
        body: dict[str, Any] = await api.gql(
            query, {"first": first, "search": listing.word}, listing.agent_token
        )
    assert "errors" not in body, body
    return counter.count, body["data"]["supportCases"]


async def test_the_refunds_connection_of_every_case_costs_the_same_for_10_and_50(
    api: Api, listing: Listing
) -> None:
    await count_listing(api, listing, LIST_WITH_CONNECTIONS, 10)  # warm-up
    ten, _ = await count_listing(api, listing, LIST_WITH_CONNECTIONS, 10)
    fifty, cases = await count_listing(api, listing, LIST_WITH_CONNECTIONS, 50)

    assert ten == fifty, f"10 cases: {ten} statements, 50 cases: {fifty} (N+1?)"
    # session check, the page, its COUNT, the refund pages, the grouped refund COUNT
    assert fifty <= 5, fifty
    assert cases["totalCount"] == CUSTOMERS * CASES_PER_CUSTOMER
    connections = [e["node"]["refundsConnection"] for e in cases["edges"]]
    assert {c["totalCount"] for c in connections} == {0, 1}  # cases 0 and 1 of each customer
    for connection in connections:
        assert len(connection["edges"]) == connection["totalCount"]
        assert connection["pageInfo"]["hasNextPage"] is False


async def test_total_count_costs_nothing_unless_selected(api: Api, listing: Listing) -> None:
    without = LIST_WITH_CONNECTIONS.replace("totalCount", "")
    await count_listing(api, listing, without, 10)  # warm-up
    plain, _ = await count_listing(api, listing, without, 10)
    counted, _ = await count_listing(api, listing, LIST_WITH_CONNECTIONS, 10)
    assert counted == plain + 2  # one COUNT for the cases, one grouped COUNT for their refunds


# -- issue 10: the messages and timeline connections of each case ------------------------------

LIST_WITH_NESTED_PAGES = """
query($first: Int!, $search: String!) {
  supportCases(first: $first, filter: {search: $search}) {
    edges { node {
      id
      messages(first: 5) {
        edges { cursor node { id body internal author { id } } }
        pageInfo { hasNextPage endCursor }
      }
      timeline(first: 5) {
        edges { cursor node { id type summary actor { id } } }
        pageInfo { hasNextPage endCursor }
      }
    } }
  }
}"""
# session check, the page of cases, ONE window statement for every case's messages, ONE for every
# case's timeline, ONE for the users (authors and actors). Per case (N+1) it was 23 statements
# for 10 cases and 107 for 50.
NESTED_PAGES_STATEMENTS = 5


@pytest.mark.parametrize("first", [10, 50])
async def test_the_messages_and_timeline_of_every_case_cost_the_same_for_10_and_50(
    api: Api, listing: Listing, first: int
) -> None:
    await count_listing(api, listing, LIST_WITH_NESTED_PAGES, 10)  # warm-up
    statements, cases = await count_listing(api, listing, LIST_WITH_NESTED_PAGES, first)

    assert statements == NESTED_PAGES_STATEMENTS, f"{first} cases: {statements} statements (N+1?)"
    edges = cases["edges"]
    assert len(edges) == first
    for edge in edges:
        node = edge["node"]
        messages = node["messages"]
        assert 1 <= len(messages["edges"]) <= 2  # the customer's message (+ the agent's reply)
        assert messages["pageInfo"]["hasNextPage"] is False
        assert messages["pageInfo"]["endCursor"] == messages["edges"][-1]["cursor"]
        assert messages["edges"][0]["node"]["body"].startswith("Hello from case")
        assert all(m["node"]["author"]["id"] for m in messages["edges"])
        timeline = node["timeline"]["edges"]
        assert 2 <= len(timeline) <= 5
        assert timeline[0]["node"]["type"] == "CASE_OPENED"
        sequences = [int(e["cursor"]) for e in timeline]
        assert sequences == sorted(sequences) and len(set(sequences)) == len(sequences)


async def test_the_nested_pages_of_a_list_are_those_of_each_case_alone(
    api: Api, listing: Listing
) -> None:
    """Batching changes no answer: each case's pages (and their next pages, by cursor) are the
    ones `supportCase(id)` gives for it alone."""
    _, cases = await count_listing(api, listing, LIST_WITH_NESTED_PAGES, 10)
    one = """
    query($id: ID!, $after: String) {
      supportCase(id: $id) {
        messages(first: 1) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } }
        timeline(first: 2, after: $after) { edges { cursor node { id } } }
      }
    }"""
    for edge in cases["edges"]:
        node = edge["node"]
        alone = await api.gql.ok(one, {"id": node["id"]}, listing.agent_token)
        case = alone["supportCase"]
        listed_messages = [m["node"]["id"] for m in node["messages"]["edges"]]
        assert [m["node"]["id"] for m in case["messages"]["edges"]] == listed_messages[:1]
        assert case["messages"]["pageInfo"]["hasNextPage"] is (len(listed_messages) > 1)
        listed_events = [e["node"]["id"] for e in node["timeline"]["edges"]]
        assert [e["node"]["id"] for e in case["timeline"]["edges"]] == listed_events[:2]
        after_first = node["timeline"]["edges"][0]["cursor"]
        rest = await api.gql.ok(one, {"id": node["id"], "after": after_first}, listing.agent_token)
        assert [e["node"]["id"] for e in rest["supportCase"]["timeline"]["edges"]] == (
            listed_events[1:3]
        )


# -- issue 12: full-text search and sorts ------------------------------------------------------

SEARCH_PAGE = f"""
query($first: Int!, $text: String!, $sort: CaseSort!, $after: String) {{
  supportCases(first: $first, after: $after, sort: $sort, filter: {{text: $text}}) {{
    pageInfo {{ hasNextPage endCursor }}{CASE_LIST_NODE}
  }}
}}"""


@pytest.mark.parametrize("sort", ["NEWEST", "OLDEST", "DUE_SOONEST"])
async def test_a_deep_search_page_costs_the_statements_of_the_first(
    api: Api, listing: Listing, sort: str
) -> None:
    """The list statements of a full-text search in every sort: a page deep in the results
    (after four pages) costs what the first does, and 10 cases what 50 do."""

    # An agent of its own: these pages spend its query-cost budget, not the shared demo agent's.
    token = await api.new_agent()

    async def page(first: int, after: str | None) -> tuple[int, dict[str, Any]]:
        variables = {"first": first, "text": listing.word, "sort": sort, "after": after}
        with count_statements(api.runtime.engine) as counter:
            body: dict[str, Any] = await api.gql(SEARCH_PAGE, variables, token)
        assert "errors" not in body, body
        connection: dict[str, Any] = body["data"]["supportCases"]
        assert len(connection["edges"]) == first
        return counter.count, connection

    await page(10, None)  # warm-up
    first_cost, connection = await page(10, None)
    for _ in range(4):
        deep_cost, connection = await page(10, connection["pageInfo"]["endCursor"])
    assert connection["pageInfo"]["hasNextPage"] is True
    assert deep_cost == first_cost, (first_cost, deep_cost)
    fifty_cost, _ = await page(50, None)
    assert fifty_cost == first_cost, (first_cost, fifty_cost)


# -- issue 10: the whole agent page, every nested connection at once -----------------------------

NESTED = """
      messages(first: 5) { edges { node { id body internal author { id name } } } }
      timeline(first: 5) { edges { node { id type actor { id } } } }
      refundsConnection(first: 2) { totalCount edges { node { id decidedBy { id }
        order { id refundedAmount { amount } } } } }
      lastMessage {"""
FULL_PAGE = (
    "query($first: Int!, $search: String!) {\n"
    "  supportCases(first: $first, filter: {search: $search}) {"
    + CASE_LIST_NODE.replace("lastMessage {", NESTED)
    + "\n  }\n}"
)


@pytest.mark.parametrize("first", [10, 50])
async def test_the_full_agent_page_costs_the_same_for_10_and_50(
    api: Api, listing: Listing, first: int
) -> None:
    """Orders, last messages, refunds, and the messages, timeline and refunds connections of
    every case: one statement per relation (the list loads them once for the whole page), and
    one order-system batch call."""
    await measure(api, listing, 10)  # warm-up
    assert api.runtime.orders is not None
    await api.runtime.orders.invalidate(listing.order_ids)
    api.orders.reset_counters()
    statements, cases = await count_listing(api, listing, FULL_PAGE, first)
    # session check, the page, orders' refunds, last messages, refunds by case, message pages,
    # event pages, refund pages, grouped refund COUNT, users: 10, never one per case.
    assert statements <= 10, f"{first} cases: {statements} statements (N+1?)"
    assert dict(api.orders.calls) == {CALL_BATCH: 1}
    assert api.orders.batch_sizes == [first]
    edges = cases["edges"]
    assert len(edges) == first
    for edge in edges:
        node = edge["node"]
        assert node["messages"]["edges"][0]["node"]["author"]["name"].startswith("Counted")
        assert node["timeline"]["edges"][0]["node"]["type"] == "CASE_OPENED"
        assert node["lastMessage"]["author"]["id"]
        for refund in node["refundsConnection"]["edges"]:
            assert refund["node"]["order"]["id"] == node["order"]["id"]
