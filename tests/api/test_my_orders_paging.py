"""myOrders over HTTP against the order simulator: each edge's cursor resumes right after its own
order; every page size walks every order exactly once (API 1.1: in 1.0 every edge carried the
next page's cursor)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from adapters.order_system.simulator import make_order
from tests.api.conftest import Api

pytestmark = pytest.mark.postgres

MY_ORDERS = """
query($first: Int!, $after: String) {
  myOrders(first: $first, after: $after) {
    edges { cursor node { id number } }
    pageInfo { hasNextPage endCursor }
  }
}"""


async def orders_page(api: Api, token: str, first: int, after: str | None) -> dict[str, Any]:
    data = await api.gql.ok(MY_ORDERS, {"first": first, "after": after}, token)
    connection: dict[str, Any] = data["myOrders"]
    return connection


async def walk(api: Api, token: str, first: int, after: str | None = None) -> list[str]:
    seen: list[str] = []
    while True:
        page = await orders_page(api, token, first, after)
        seen += [e["node"]["number"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return seen
        assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
        after = page["pageInfo"]["endCursor"]


async def test_every_page_size_and_every_edge_cursor_see_each_order_once(api: Api) -> None:
    customer = await api.new_customer("Many Orders")
    ref = api.orders.get(customer.order_ids["delivered"])["customer_id"]  # type: ignore[index]
    now = datetime.now(UTC).replace(microsecond=0)
    for i in range(19):  # 25 orders; pairs share placed_at (the id breaks ties)
        api.orders.upsert(
            make_order(
                id=f"ord-{ref}-m{i:02d}",
                number=f"#M{i:02d}-{ref}",
                customer_id=ref,
                status="DELIVERED",
                placed_at=now - timedelta(hours=1 + i // 2),
                delivered_at=now - timedelta(minutes=30),
                lines=[("SKU-M", "Many", 1, 100)],
            )
        )
    everything = await orders_page(api, customer.token, 100, None)
    expected = [e["node"]["number"] for e in everything["edges"]]
    assert len(expected) == len(set(expected)) == 25
    assert everything["pageInfo"]["hasNextPage"] is False

    for first in range(1, len(expected) + 1):
        assert await walk(api, customer.token, first) == expected, f"first={first}"

    # Forward from every edge's cursor, whichever page size handed it out.
    for first in (1, 4, 25):
        after: str | None = None
        while True:
            page = await orders_page(api, customer.token, first, after)
            cursors = [e["cursor"] for e in page["edges"]]
            assert len(set(cursors)) == len(cursors)  # 1.0: one shared cursor per page
            for edge in page["edges"]:
                position = expected.index(edge["node"]["number"])
                resumed = await orders_page(api, customer.token, 3, edge["cursor"])
                numbers = [e["node"]["number"] for e in resumed["edges"]]
                assert numbers == expected[position + 1 : position + 4], (first, position)
                assert resumed["pageInfo"]["hasNextPage"] == (position + 4 < len(expected))
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]


async def test_a_forged_cursor_is_a_bad_argument(api: Api) -> None:
    customer = await api.new_customer("Forger")
    body = await api.gql(MY_ORDERS, {"first": 2, "after": "oc1.bm90IGpzb24"}, customer.token)
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]
