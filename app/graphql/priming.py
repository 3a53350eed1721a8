"""Load a page's relations once, at the list, before its fields resolve.

`prime_cases` is called by `Query.supportCases` with the cases of the page. It reads which
relations the document selects under `edges { node { ... } }` (fragments included) and loads
them through the request's DataLoaders, in two rounds: first the cases' own relations (orders,
the orders' refunds, last messages, refunds, and the pages of the nested connections `messages`,
`timeline` and `refundsConnection`, with the arguments the document gives them), then every user
they name (customers, assignees, authors, actors, deciders) in one batch.

Nothing is decided here: the keys are the ones the fields build themselves (app.graphql.types.
cases), so every field then finds its value already loaded and resolves synchronously
(app.graphql.relations.then). A key this module gets wrong only costs the batch the field would
have made anyway; a failing load (order system down, bad cursor) is reported by the field that
reads it, as without priming.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from typing import Any

from aiodataloader import DataLoader
from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLObjectType,
    GraphQLResolveInfo,
    InlineFragmentNode,
    SelectionSetNode,
)
from graphql.execution.values import get_argument_values

from app.graphql.context import Info
from app.graphql.loaders import Loaders
from domain import cases as dc
from domain import events as de
from domain import refunds as dr
from domain.errors import ValidationFailed
from domain.queries import Page

# The key of a nested connection's page: (info, case id, first, after) -> key.
PageRequest = Callable[[Info, str, int | None, str | None], Hashable]

# The fields of an order that need its refunds (loaded with the page).
_ORDER_REFUND_FIELDS = {"refundedAmount", "refundableAmount", "lines"}


class _Selection:
    """The fields selected under one object type, merged over aliases and fragments."""

    def __init__(self, raw: GraphQLResolveInfo[Any], nodes: Iterable[FieldNode]) -> None:
        self.raw = raw
        self.fields: dict[str, list[FieldNode]] = {}
        for node in nodes:
            if node.selection_set is not None:
                self._collect(node.selection_set)

    def _collect(self, selection_set: SelectionSetNode) -> None:
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                self.fields.setdefault(selection.name.value, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                self._collect(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.raw.fragments.get(selection.name.value)
                if fragment is not None:
                    self._collect(fragment.selection_set)

    def __contains__(self, name: str) -> bool:
        return name in self.fields

    def child(self, *path: str) -> _Selection:
        """The selection under `path` (e.g. "edges", "node"), over every occurrence."""
        selection: _Selection = self
        for name in path:
            selection = _Selection(self.raw, selection.fields.get(name, []))
        return selection

    def arguments(self, type_name: str, name: str) -> Iterator[dict[str, Any]]:
        """The arguments of each occurrence of field `name` (of type `type_name`), defaults
        applied and variables substituted as graphql-core does for the resolver."""
        owner = self.raw.schema.get_type(type_name)
        assert isinstance(owner, GraphQLObjectType)
        definition = owner.fields[name]
        for node in self.fields.get(name, []):
            try:
                yield get_argument_values(definition, node, self.raw.variable_values)
            except Exception:  # noqa: BLE001 - invalid arguments: the field itself reports them
                continue


def _gather(futures: Sequence[asyncio.Future[Any]]) -> asyncio.Future[list[Any]]:
    return asyncio.gather(*futures, return_exceptions=True)


async def prime_cases(info: Info, cases: Sequence[dc.SupportCase]) -> None:
    """Load what the document selects of each case of a list page (see the module docstring)."""
    if not cases:
        return
    raw: GraphQLResolveInfo[Any] = info._raw_info
    node = _Selection(raw, raw.field_nodes).child("edges", "node")
    if not node.fields:
        return
    # Imported here: the case type's module imports the types this one is imported by.
    from app.graphql.types.cases import (
        event_page_request,
        last_message_loader,
        message_page_request,
        refund_page_request,
    )

    loaders: Loaders = info.context.loaders
    for case in cases:
        loaders.case_by_id.prime(case.id, case)
    first_round: list[asyncio.Future[Any]] = []
    user_ids: set[str] = set()
    order_ids = {case.order_id for case in cases if case.order_id is not None}
    later: list[tuple[str, list[asyncio.Future[Any]], _Selection]] = []

    if "customer" in node:
        user_ids.update(case.customer_id for case in cases)
    if "assignee" in node:
        user_ids.update(case.assignee_id for case in cases if case.assignee_id is not None)
    refund_orders: set[str] = set()
    if _ORDER_REFUND_FIELDS & node.child("order").fields.keys():
        refund_orders |= order_ids
    if "order" in node:
        first_round += [loaders.order_by_id.load(order_id) for order_id in order_ids]
    if "lastMessage" in node:
        loader = last_message_loader(info)
        futures: list[asyncio.Future[Any]] = [loader.load(case.id) for case in cases]
        first_round += futures
        later.append(("message", futures, node.child("lastMessage")))
    if "refunds" in node:
        futures = [loaders.refunds_by_case_id.load(case.id) for case in cases]
        first_round += futures
        refunds = node.child("refunds")
        later.append(("refunds", futures, refunds))
        refund_orders |= _refund_orders(refunds, order_ids)
    # The nested connections: a page per case and per occurrence of the field, keyed as the
    # field keys it (its arguments as the document gives them).
    nested: list[tuple[str, str, PageRequest, DataLoader[Any, Any]]] = [
        ("messages", "message page", message_page_request, loaders.message_page_by_case),
        ("timeline", "event page", event_page_request, loaders.event_page_by_case),
        ("refundsConnection", "refund page", refund_page_request, loaders.refund_page_by_case),
    ]
    for name, kind, request, page_loader in nested:
        for arguments in node.arguments("SupportCase", name):
            first, after = arguments["first"], arguments.get("after")
            try:
                keys = [request(info, case.id, first, after) for case in cases]
            except ValidationFailed:  # a bad `first`: the field reports it
                continue
            futures = [page_loader.load(key) for key in keys]
            first_round += futures
            later.append((kind, futures, node.child(name, "edges", "node")))
    if "refundsConnection" in node:
        connection = node.child("refundsConnection")
        if "totalCount" in connection:
            first_round += [loaders.refund_count_by_case_id.load(case.id) for case in cases]
        refund_orders |= _refund_orders(connection.child("edges", "node"), order_ids)
    first_round += [loaders.refunds_by_order_id.load(order_id) for order_id in refund_orders]
    if first_round:
        await _gather(first_round)

    # Second round: the users (and the refunds' orders) the loaded values name.
    refunds_orders: set[str] = set()
    for kind, futures, selection in later:
        for future in futures:
            if future.cancelled() or future.exception() is not None:
                continue
            loaded = future.result()
            user_ids.update(_users_named(kind, loaded, selection))
            if kind.startswith("refund") and "order" in selection and loaded is not None:
                listed: list[dr.Refund] = loaded if kind == "refunds" else list(loaded.items)
                refunds_orders.update(refund.order_id for refund in listed)
    second_round: list[asyncio.Future[Any]] = [
        loaders.user_by_id.load(user_id) for user_id in user_ids
    ]
    second_round += [loaders.order_by_id.load(order_id) for order_id in refunds_orders]
    if second_round:
        await _gather(second_round)


def _refund_orders(refunds: _Selection, case_orders: set[str]) -> set[str]:
    """The orders whose refunds a refund's `order { refundedAmount ... }` needs (the refunds of a
    case are about the case's order)."""
    if _ORDER_REFUND_FIELDS & refunds.child("order").fields.keys():
        return set(case_orders)
    return set()


def _users_named(kind: str, value: Any, selection: _Selection) -> Iterator[str]:
    """The users a loaded value refers to through the fields the document selects of it."""
    if value is None:
        return
    if kind == "message" and "author" in selection:
        message: dc.Message = value
        yield message.author_id
    elif kind == "message page" and "author" in selection:
        messages: Page[dc.Message] = value
        yield from (m.author_id for m in messages.items)
    elif kind == "event page" and "actor" in selection:
        events: Page[de.CaseEvent] = value
        yield from (e.actor_id for e in events.items if e.actor_id)
    elif kind.startswith("refund") and "decidedBy" in selection:
        refunds: list[dr.Refund] = value if kind == "refunds" else value.items
        yield from (r.decided_by_id for r in refunds if r.decided_by_id)
