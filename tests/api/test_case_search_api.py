"""supportCases search and filters over GraphQL (PostgreSQL + Redis): full text over messages and
order numbers, customers kept to their own cases and out of internal notes, the staff filters,
sorts and their cursors. The rules themselves: tests/unit/test_read_rules.py; both databases and
the in-process store: tests/integration/sql/test_case_search.py."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.api._helpers import codes, open_case, post_message, viewer_id
from tests.api.conftest import Api, Customer
from tests.toolbox.graphql import order_gid

pytestmark = pytest.mark.postgres

SEARCH = """
query($filter: SupportCaseFilter, $sort: CaseSort, $first: Int, $after: String) {
  supportCases(first: $first, after: $after, filter: $filter, sort: $sort) {
    totalCount
    edges { cursor node { id number subject orderNumber dueAt firstResponseDueAt
                          resolutionDueAt customer { id } } }
    pageInfo { hasNextPage endCursor }
  }
}"""


def word(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


async def found(
    api: Api,
    token: str,
    sort: str | None = None,
    **filter_: Any,
) -> list[str]:
    """Every matching case id, walking pages of two (the cursors of the sort get used)."""
    ids: list[str] = []
    after: str | None = None
    while True:
        variables = {"filter": filter_, "first": 2, "after": after}
        if sort is not None:
            variables["sort"] = sort
        data = await api.gql.ok(SEARCH, variables, token)
        connection = data["supportCases"]
        ids += [edge["node"]["id"] for edge in connection["edges"]]
        if not connection["pageInfo"]["hasNextPage"]:
            assert connection["totalCount"] == len(ids)
            return ids
        after = connection["pageInfo"]["endCursor"]


async def test_customers_find_their_cases_by_message_words_never_notes_or_others(
    api: Api,
) -> None:
    alice, bob = await api.new_customer("Search Alice"), await api.new_customer("Search Bob")
    agent = await api.new_agent()
    public, note = word("pub"), word("note")
    alices = await open_case(api, alice.token, alice.order_ids["delivered"], subject="Hums")
    bobs = await open_case(api, bob.token, bob.order_ids["delivered"], subject="Hums too")
    await post_message(api, alice.token, alices["id"], f"The {public} hums loudly")
    await post_message(api, bob.token, bobs["id"], f"My {public} as well")
    await post_message(api, agent, alices["id"], f"{note}: second complaint", internal=True)

    assert await found(api, alice.token, text=public) == [alices["id"]]
    assert await found(api, bob.token, text=public.upper()) == [bobs["id"]]
    assert await found(api, alice.token, text=note) == []
    # Staff filters are not a way into other cases: ignored for customers.
    bob_user = await viewer_id(api, bob.token)
    sneaky = {"text": public, "customerEmail": bob.email, "customerId": bob_user}
    assert await found(api, alice.token, **sneaky) == [alices["id"]]
    agent_id = await viewer_id(api, agent)
    assert await found(api, alice.token, text=public, assigneeId=agent_id) == [alices["id"]]

    # Staff match every customer's words, and internal notes.
    assert set(await found(api, agent, text=public)) == {alices["id"], bobs["id"]}
    assert await found(api, agent, text=note) == [alices["id"]]
    assert await found(api, agent, text=public, customerEmail=bob.email.upper()) == [bobs["id"]]


async def test_an_order_is_found_by_its_number_and_id(api: Api) -> None:
    customer = await api.new_customer("Order Finder")
    agent = await api.new_agent()
    order_id = customer.order_ids["delivered"]
    number = api.orders.get(order_id)["number"]  # type: ignore[index]
    case = await open_case(api, customer.token, order_id, subject="Lamp flickers")
    other = await open_case(api, customer.token, customer.order_ids["small"], subject="Cable")

    data = await api.gql.ok(SEARCH, {"filter": {"text": number}}, customer.token)
    nodes = [e["node"] for e in data["supportCases"]["edges"]]
    assert [n["id"] for n in nodes] == [case["id"]]
    assert nodes[0]["orderNumber"] == number
    assert await found(api, agent, text=number.lstrip("#")) == [case["id"]]
    for order in (number, number.lstrip("#"), order_gid(order_id), order_id):
        assert await found(api, customer.token, order=order) == [case["id"]], order
        assert await found(api, agent, order=order) == [case["id"]], order
    assert await found(api, customer.token) == [other["id"], case["id"]]


async def test_filters_sorts_and_cursors(api: Api) -> None:
    customer: Customer = await api.new_customer("Sorted")
    agent = await api.new_agent()
    shared = word("sorted")
    opened = []
    for category in ("BILLING", "OTHER", "BILLING"):
        opened.append(
            await open_case(api, customer.token, subject=f"{shared} {category}", category=category)
        )
    # An urgent one: due soonest although opened last.
    urgent = await open_case(
        api, agent, subject=f"{shared} urgent", category="OTHER",
        priority="URGENT", customerId=await viewer_id(api, customer.token),
    )  # fmt: skip
    ids = [c["id"] for c in opened] + [urgent["id"]]

    newest = await found(api, agent, text=shared)
    assert sorted(newest) == sorted(ids)
    assert await found(api, agent, "NEWEST", text=shared) == newest
    assert await found(api, agent, "OLDEST", text=shared) == newest[::-1]
    due = await found(api, agent, "DUE_SOONEST", text=shared)
    assert due[0] == urgent["id"]
    data = await api.gql.ok(SEARCH, {"filter": {"text": shared}, "first": 10}, agent)
    due_at = {e["node"]["id"]: e["node"]["dueAt"] for e in data["supportCases"]["edges"]}
    assert [due_at[i] for i in due] == sorted(due_at[i] for i in due)
    for node in (e["node"] for e in data["supportCases"]["edges"]):
        assert node["dueAt"] == min(node["firstResponseDueAt"], node["resolutionDueAt"])

    billing = await found(api, customer.token, text=shared, category=["BILLING"])
    assert set(billing) == {opened[0]["id"], opened[2]["id"]}
    now = datetime.now(UTC)
    later = (now + timedelta(hours=1)).isoformat()
    earlier = (now - timedelta(hours=1)).isoformat()
    assert set(await found(api, agent, text=shared, createdAfter=earlier)) == set(ids)
    assert await found(api, agent, text=shared, createdAfter=later) == []
    assert set(await found(api, agent, text=shared, updatedBefore=later)) == set(ids)
    assert await found(api, agent, text=shared, updatedBefore=earlier) == []

    # A cursor belongs to its sort; an empty range and control characters are refused.
    first = await api.gql.ok(SEARCH, {"filter": {"text": shared}, "first": 1}, agent)
    cursor = first["supportCases"]["pageInfo"]["endCursor"]
    for variables in (
        {"after": cursor, "sort": "OLDEST"},
        {"filter": {"createdAfter": later, "createdBefore": earlier}},
        {"filter": {"text": "bad\u0000text"}},
        {"filter": {"order": "bad\u0007"}},
    ):
        body = await api.gql(SEARCH, {"first": 1, **variables}, agent)
        assert codes(body) == ["BAD_USER_INPUT"], body
