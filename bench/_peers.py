"""The peers and floors that the harness (bench/harness.py) measures beside the service, served
by the benchmark's server process (bench/_server.py) over the same runtime (same pool, same
read store, same order system):

- `bare_cases` (GET /bare/cases?first=N[&messages=K]): the data floor of the queue page (and of
  the page with the first K messages of each case): the same authentication, the same SQL
  statements (the read-store calls the GraphQL build makes), ONE order-system batch call (no
  cache), the same domain money math, JSON by orjson. No GraphQL.
- `bare_post_message` (POST /bare/messages): the floor of `postMessage`: authentication, the same
  use case (one transaction, its event published), JSON out.
- `naive_view`: the same Strawberry schema whose DataLoaders do not batch: every relation is a
  repository (or order-system) call per object, as a first Strawberry build without DataLoaders
  would do (POST /naive/graphql).
- `ariadne_app`: Ariadne (schema-first, what a team might pick instead) loading schema.graphql
  with resolvers over the same read store and order system, batched with aiodataloader like
  the service (POST /ariadne/graphql); it implements what the benchmark's documents select.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import orjson
from aiodataloader import DataLoader
from ariadne import ObjectType, QueryType, ScalarType, make_executable_schema
from ariadne.asgi import GraphQL as AriadneGraphQL
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.graphql.context import Context
from app.graphql.ids import encode_id
from app.http.graphql_endpoint import StrawberryView, bearer_token
from domain.cases import Message, SupportCase
from domain.errors import InvalidAccessToken
from domain.orders import Order
from domain.queries import CaseFilter, MessagePageRequest, Page
from domain.refunds import Refund, refundable_remainder, refunded_quantities
from domain.usecases.post_message import post_message
from domain.usecases.services import Services
from domain.usecases.sessions import authenticate
from domain.users import Principal

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema.graphql"


class OrjsonResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


async def _principal(services: Services, request: Request) -> Principal | None:
    try:
        token = bearer_token(request.headers.get("authorization"))
        return await authenticate(services, token) if token else None
    except InvalidAccessToken:
        return None


# -- the data floors ----------------------------------------------------------------------------


async def bare_cases(services: Services, orders: Any, request: Request) -> Response:
    principal = await _principal(services, request)
    if principal is None:
        return JSONResponse({"error": "unauthenticated"}, status_code=401)
    first = int(request.query_params.get("first", "50"))
    messages_first = int(request.query_params.get("messages", "0"))
    reads = services.reads
    staff = principal.is_staff
    case_filter = CaseFilter() if staff else CaseFilter(customer_id=principal.user_id)
    page = await reads.list_cases(case_filter, first=first, after=None)
    cases = page.items
    case_ids = [c.id for c in cases]
    order_ids = list(dict.fromkeys(c.order_id for c in cases if c.order_id))
    last = await reads.last_messages(case_ids, include_internal=staff)
    pages: dict[MessagePageRequest, Page[Message]] = {}
    keys: list[MessagePageRequest] = []
    if messages_first:
        keys = [
            MessagePageRequest(case_id=c, first=messages_first, include_internal=staff)
            for c in case_ids
        ]
        pages = await reads.message_pages_for_cases(keys)
    user_ids = {c.customer_id for c in cases} | {c.assignee_id for c in cases if c.assignee_id}
    user_ids |= {m.author_id for m in last.values()}
    user_ids |= {m.author_id for p in pages.values() for m in p.items}
    users = await reads.users_by_ids(list(user_ids))
    by_case = await reads.refunds_for_cases(case_ids)
    by_order = await reads.refunds_for_orders(order_ids)
    found_orders: dict[str, Order] = await orders.get_orders(order_ids)

    def user(user_id: str | None) -> dict[str, Any] | None:
        found = users.get(user_id) if user_id else None
        return {"id": encode_id("User", found.id), "name": found.name} if found else None

    def order_json(order_id: str | None) -> dict[str, Any] | None:
        order = found_orders.get(order_id) if order_id else None
        if order is None:
            return None
        held: list[Refund] = by_order.get(order.id, [])
        refunded = refunded_quantities(held)
        return {
            "id": encode_id("Order", order.id),
            "number": order.number,
            "status": order.status.value,
            "stale": order.stale,
            "total": {"amount": order.total.amount},
            "refundableAmount": {"amount": refundable_remainder(order, held).amount},
            "lines": [
                {"id": line.id, "refundedQuantity": refunded.get(line.id, 0)}
                for line in order.lines
            ],
        }

    def message_json(message: Message) -> dict[str, Any]:
        return {
            "id": encode_id("Message", message.id),
            "body": message.body,
            "internal": message.internal,
            "createdAt": message.created_at.isoformat(),
            "author": user(message.author_id),
        }

    edges = []
    for case, key in zip(cases, keys or [None] * len(cases), strict=True):
        message = last.get(case.id)
        node: dict[str, Any] = {
            "id": encode_id("SupportCase", case.id),
            "number": case.display_number,
            "status": case.status.value,
            "customer": user(case.customer_id),
            "assignee": user(case.assignee_id),
            "order": order_json(case.order_id),
        }
        if key is not None:
            message_page = pages[key]
            node["messages"] = {
                "edges": [
                    {"cursor": cursor, "node": message_json(m)}
                    for m, cursor in zip(message_page.items, message_page.cursors, strict=True)
                ],
                "pageInfo": {
                    "hasNextPage": message_page.has_next_page,
                    "endCursor": message_page.end_cursor,
                },
            }
        node["lastMessage"] = (
            {
                "id": encode_id("Message", message.id),
                "body": message.body,
                "author": user(message.author_id),
            }
            if message
            else None
        )
        node["refunds"] = [
            {
                "id": encode_id("Refund", r.id),
                "status": r.status.value,
                "amount": {"amount": r.amount.amount},
                "order": (
                    {"id": encode_id("Order", r.order_id), "number": o["number"]}
                    if (o := order_json(r.order_id))
                    else None
                ),
            }
            for r in by_case.get(case.id, [])
        ]
        edges.append({"node": node})
    body = {
        "data": {"supportCases": {"edges": edges, "pageInfo": {"hasNextPage": page.has_next_page}}}
    }
    return OrjsonResponse(body)


async def bare_post_message(services: Services, request: Request) -> Response:
    principal = await _principal(services, request)
    if principal is None:
        return JSONResponse({"error": "unauthenticated"}, status_code=401)
    data = orjson.loads(await request.body())
    message, _case = await post_message(
        services, principal, data["caseId"], data["body"], internal=bool(data.get("internal"))
    )
    author = await services.reads.users_by_ids([message.author_id])
    return OrjsonResponse(
        {
            "data": {
                "postMessage": {
                    "__typename": "MessagePosted",
                    "postedMessage": {
                        "id": encode_id("Message", message.id),
                        "body": message.body,
                        "internal": message.internal,
                        "createdAt": message.created_at.isoformat(),
                        "author": {
                            "id": encode_id("User", message.author_id),
                            "name": author[message.author_id].name,
                        },
                    },
                }
            }
        }
    )


# -- naive Strawberry -------------------------------------------------------------------------


class NaiveView(StrawberryView):
    """The service's schema with DataLoaders that load one key per call (no batching)."""

    async def get_context(self, request: Any, response: Any) -> Context:
        context = await super().get_context(request, response)
        for loader in vars(context.request_loaders).values():
            if isinstance(loader, DataLoader):
                loader.batch = False
        return context


# -- Ariadne ------------------------------------------------------------------------------------


class _Loaders:
    def __init__(self, services: Services, orders: Any, principal: Principal) -> None:
        reads = services.reads
        staff = principal.is_staff

        def mapping(fetch: Any) -> DataLoader[Any, Any]:
            async def batch(keys: Sequence[Any]) -> list[Any]:
                found = await fetch(keys)
                return [found.get(key) for key in keys]

            return DataLoader(batch, max_batch_size=500)

        async def last(ids: Sequence[str]) -> dict[str, Message]:
            return await reads.last_messages(ids, include_internal=staff)

        self.staff = staff
        self.users = mapping(reads.users_by_ids)
        self.orders = mapping(orders.get_orders)
        self.last_message = mapping(last)
        self.refunds_by_case = mapping(reads.refunds_for_cases)
        self.refunds_by_order = mapping(reads.refunds_for_orders)
        self.message_pages = mapping(reads.message_pages_for_cases)


def ariadne_app(services: Services, orders: Any) -> AriadneGraphQL:
    """Ariadne over schema.graphql (see the module docstring); auth as the service's."""
    query = QueryType()
    case = ObjectType("SupportCase")
    order = ObjectType("Order")
    line = ObjectType("OrderLine")
    message = ObjectType("Message")
    user = ObjectType("User")
    refund = ObjectType("Refund")
    datetime_scalar = ScalarType("DateTime")
    date_scalar = ScalarType("Date")

    @datetime_scalar.serializer
    def _dt(value: datetime) -> str:
        return value.isoformat()

    @date_scalar.serializer
    def _d(value: date) -> str:
        return value.isoformat()

    def loaders(info: Any) -> _Loaders:
        found: _Loaders = info.context["loaders"]
        return found

    @query.field("supportCases")
    async def _cases(_: Any, info: Any, first: int = 20, **__: Any) -> dict[str, Any]:
        principal: Principal = info.context["principal"]
        staff = principal.is_staff
        case_filter = CaseFilter() if staff else CaseFilter(customer_id=principal.user_id)
        page = await services.reads.list_cases(case_filter, first=first, after=None)
        return {
            "edges": [
                {"cursor": c, "node": n} for n, c in zip(page.items, page.cursors, strict=True)
            ],
            "page_info": {"has_next_page": page.has_next_page, "end_cursor": page.end_cursor},
        }

    for object_type, type_name in (
        (case, "SupportCase"),
        (order, "Order"),
        (message, "Message"),
        (user, "User"),
        (refund, "Refund"),
    ):
        object_type.set_field("id", _id_resolver(type_name))

    @case.field("number")
    def _number(obj: SupportCase, _: Any) -> str:
        return obj.display_number

    @case.field("customer")
    async def _customer(obj: SupportCase, info: Any) -> Any:
        return await loaders(info).users.load(obj.customer_id)

    @case.field("assignee")
    async def _assignee(obj: SupportCase, info: Any) -> Any:
        return await loaders(info).users.load(obj.assignee_id) if obj.assignee_id else None

    @case.field("order")
    async def _order(obj: SupportCase, info: Any) -> Any:
        return await loaders(info).orders.load(obj.order_id) if obj.order_id else None

    @case.field("lastMessage")
    async def _last(obj: SupportCase, info: Any) -> Any:
        return await loaders(info).last_message.load(obj.id)

    @case.field("refunds")
    async def _refunds(obj: SupportCase, info: Any) -> Any:
        return await loaders(info).refunds_by_case.load(obj.id) or []

    @case.field("messages")
    async def _messages(obj: SupportCase, info: Any, first: int = 20, **__: Any) -> Any:
        found = loaders(info)
        page = await found.message_pages.load(
            MessagePageRequest(case_id=obj.id, first=first, include_internal=found.staff)
        )
        return {
            "edges": [
                {"cursor": c, "node": n} for n, c in zip(page.items, page.cursors, strict=True)
            ],
            "page_info": {"has_next_page": page.has_next_page, "end_cursor": page.end_cursor},
        }

    @message.field("author")
    async def _author(obj: Message, info: Any) -> Any:
        return await loaders(info).users.load(obj.author_id)

    @refund.field("order")
    async def _refund_order(obj: Refund, info: Any) -> Any:
        return await loaders(info).orders.load(obj.order_id)

    async def _order_refunds(obj: Order, info: Any) -> list[Refund]:
        return await loaders(info).refunds_by_order.load(obj.id) or []

    @order.field("refundableAmount")
    async def _refundable(obj: Order, info: Any) -> Any:
        return refundable_remainder(obj, await _order_refunds(obj, info))

    @order.field("lines")
    async def _lines(obj: Order, info: Any) -> Any:
        refunded = refunded_quantities(await _order_refunds(obj, info))
        return [{"line": x, "refunded": refunded.get(x.id, 0)} for x in obj.lines]

    @line.field("id")
    def _line_id(obj: dict[str, Any], _: Any) -> str:
        return str(obj["line"].id)

    @line.field("refundedQuantity")
    def _line_refunded(obj: dict[str, Any], _: Any) -> int:
        refunded: int = obj["refunded"]
        return refunded

    schema = make_executable_schema(
        SCHEMA_FILE.read_text(),
        query,
        case,
        order,
        line,
        message,
        user,
        refund,
        datetime_scalar,
        date_scalar,
        convert_names_case=True,
    )

    async def context_value(request: Request, _data: Any) -> dict[str, Any]:
        principal = await _principal(services, request)
        if principal is None:
            raise PermissionError("unauthenticated")
        return {"principal": principal, "loaders": _Loaders(services, orders, principal)}

    return AriadneGraphQL(schema, context_value=context_value)


def _id_resolver(type_name: str) -> Any:
    def resolve(obj: Any, _: Any) -> str:
        return str(encode_id(type_name, obj.id))

    return resolve
