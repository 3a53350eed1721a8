"""The cost model of app.graphql.cost on the real schema (no I/O); README examples are checked
over HTTP in tests/api/test_query_cost.py."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import parse

from app.graphql.cost import CostRules, operation_cost
from app.graphql.schema import build_schema

SCHEMA = build_schema()._schema  # type: ignore[attr-defined]


def cost(query: str, variables: dict[str, Any] | None = None, **rules: Any) -> int:
    return operation_cost(
        SCHEMA, parse(query), variables=variables, rules=CostRules(**rules) if rules else None
    )


QUEUE = """query($first: Int!) { supportCases(first: $first) {
  totalCount
  edges { cursor node { id number subject status
    customer { id name } assignee { id name } order { id number }
    lastMessage { id internal createdAt author { id name role } } } }
  pageInfo { hasNextPage endCursor } } }"""


def test_scalars_are_free_and_objects_cost_one() -> None:
    assert cost("{ __typename }") == 0
    assert cost("{ viewer { id name email } }") == 1


def test_a_connection_counts_its_items_first_times() -> None:
    # supportCases 1 + pageInfo 1 + first x (edges 1 + node 1 + customer, assignee, order,
    # lastMessage, author: 5) = 2 + 25 x 7
    assert cost(QUEUE, {"first": 25}) == 177
    assert cost(QUEUE, {"first": 50}) == 352


def test_an_absent_first_is_the_argument_default() -> None:
    assert cost("{ supportCases { edges { node { id } } } }") == 1 + 20 * 2


def test_nested_connections_multiply() -> None:
    query = (
        "{ supportCases(first: 100) { edges { node {"
        " messages(first: 100) { edges { node { id } } } } } } }"
    )
    # 1 + 100 edges + 100 nodes + 100 connections + 100 x 100 x (edge + node)
    assert cost(query) == 1 + 100 + 100 + 100 + 20_000
    assert cost(query) > CostRules().max_operation_cost


def test_first_is_capped_at_the_page_limit_and_garbage_costs_the_maximum() -> None:
    base = "query($n: Int) { supportCases(first: $n) { edges { node { id } } } }"
    assert cost(base, {"n": 1_000_000}) == cost(base, {"n": 100}) == 201
    assert cost(base, {"n": -5}) == 1
    assert cost(base, {"n": "many"}) == 1 + 20 * 2  # not an Int: the default (and refused)


def test_unpaged_lists_count_a_fixed_size() -> None:
    assert cost("{ supportCases(first: 10) { edges { node { refunds { id } } } } }") == (
        1 + 10 * (1 + 1 + 3)
    )
    assert (
        cost(
            "{ supportCases(first: 10) { edges { node { refunds { id } } } } }", unpaged_list_size=1
        )
        == 1 + 10 * 3
    )


def test_mutations_and_subscriptions_have_a_fixed_cost_plus_their_selection() -> None:
    login = (
        'mutation { login(input: {email: "a@b.c", password: "x"}) {'
        " __typename ... on AuthSession { user { id } } } }"
    )
    assert cost(login) == 10 + 1 + 1  # fixed + AuthSession + user
    assert cost(login, mutation_cost=25) == 27
    subscription = "subscription { caseEvents { id actor { id } supportCase { id } } }"
    assert cost(subscription) == 10 + 1 + 1 + 1


def test_fragments_are_added_up_and_introspection_is_free() -> None:
    query = """query {
      node(id: "x") { ...C ... on Order { lines { id } } } __schema { types { name } } }
      fragment C on SupportCase { customer { id } }"""
    assert cost(query) == 1 + 1 + 3


@pytest.mark.parametrize("name", [None, "B"])
def test_the_chosen_operation_is_the_one_costed(name: str | None) -> None:
    document = parse(
        "query B { viewer { id } }"
        if name is None
        else "query A { viewer { id } } query B { supportCases { edges { node { id } } } }"
    )
    expected = 1 if name is None else 41
    assert operation_cost(SCHEMA, document, operation_name=name) == expected


def test_whose_bucket_and_how_large() -> None:
    from domain.budget import BudgetPolicy, bucket_for
    from domain.users import Principal, Role

    customer, staff = BudgetPolicy(10, 1.0), BudgetPolicy(50, 5.0)
    agent = Principal(user_id="u1", role=Role.AGENT, session_id="s")
    alice = Principal(user_id="u2", role=Role.CUSTOMER, session_id="s")
    assert bucket_for(agent, "1.2.3.4", customer=customer, staff=staff) == ("user:u1", staff)
    assert bucket_for(alice, "1.2.3.4", customer=customer, staff=staff) == ("user:u2", customer)
    assert bucket_for(None, "1.2.3.4", customer=customer, staff=staff) == ("ip:1.2.3.4", customer)
