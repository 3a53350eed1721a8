"""What the query modules share: the filter inputs, the argument types, how a domain error
becomes an argument error, and the visibility-checked lookups of a case and an order."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, TypeVar

import strawberry

from app.graphql.context import Info
from app.graphql.errors import (
    InvalidArgument,
    OrderUnavailableError,
    argument_error,
)
from app.graphql.ids import decode_expected
from app.graphql.types.common import (
    CaseCategory,
    CasePriority,
    CaseSort,
    CaseStatus,
    RefundStatus,
)
from app.graphql.types.objects import (
    Order,
    SupportCase,
)
from domain import visibility
from domain.errors import DomainError, NotFound, ValidationFailed
from domain.queries import CaseFilter, CaseListRequest, Page, case_filter_for
from domain.usecases.order_access import OrderUnavailable, visible_order
from domain.users import Principal

T = TypeVar("T")


@strawberry.input(description="Narrow a case list.")
class SupportCaseFilter:
    status: list[CaseStatus] | None = strawberry.field(default=None, description="Any of these.")
    priority: list[CasePriority] | None = strawberry.field(
        default=None, description="Any of these."
    )
    assigned_to_me: bool | None = strawberry.field(default=None, description="Agents: mine only.")
    unassigned: bool | None = strawberry.field(default=None, description="Agents: nobody's.")
    customer_id: strawberry.ID | None = strawberry.field(
        default=None, description="Agents: one customer's (User.id)."
    )
    search: str | None = strawberry.field(
        default=None, description="Words of the subject, or a case number like CS-000042."
    )
    overdue: bool | None = strawberry.field(
        default=None,
        description="Agents: true = only the overdue cases, false = only the others. Overdue: "
        "not RESOLVED or CLOSED, the SLA clock running (not paused), and the first response "
        "(while none was given) or the resolution due time has passed.",
    )
    text: str | None = strawberry.field(
        default=None,
        description="Full text: every word (letters and digits; at most 8, up to 200 "
        "characters in all) must start a word of the case's subject, description, number, "
        "order number or messages. Customers search their public conversation only; agents "
        "match internal notes too.",
    )
    order: str | None = strawberry.field(
        default=None,
        description="One order's cases: its id (Order.id or the order system's id) or its "
        "number (#1001 or 1001).",
    )
    category: list[CaseCategory] | None = strawberry.field(
        default=None, description="Any of these."
    )
    customer_email: str | None = strawberry.field(
        default=None, description="Agents: the cases of the customer with this email (any case)."
    )
    assignee_id: strawberry.ID | None = strawberry.field(
        default=None, description="Agents: the cases assigned to this agent (User.id)."
    )
    created_after: datetime | None = strawberry.field(
        default=None, description="Opened at or after this instant."
    )
    created_before: datetime | None = strawberry.field(
        default=None, description="Opened before this instant."
    )
    updated_after: datetime | None = strawberry.field(
        default=None, description="Last changed at or after this instant."
    )
    updated_before: datetime | None = strawberry.field(
        default=None, description="Last changed before this instant."
    )


@strawberry.input(description="Narrow a refund list.")
class RefundFilterInput:
    status: list[RefundStatus] | None = strawberry.field(default=None, description="Any of these.")
    order_id: strawberry.ID | None = strawberry.field(default=None, description="One order's.")


def case_filter_from(
    principal: Principal, f: SupportCaseFilter | None, now: datetime
) -> CaseFilter:
    """The GraphQL filter as a domain request; domain.queries.case_filter_for decides what the
    principal may filter by (customers: their own cases, staff filters ignored)."""
    f = f or SupportCaseFilter()
    order = f.order
    if order is not None:
        # An Order.id names the order system's id; anything else is passed on as typed.
        order = decode_expected(order.strip(), "Order") or order
    request = CaseListRequest(
        statuses=tuple(f.status or ()),
        priorities=tuple(f.priority or ()),
        assigned_to_me=bool(f.assigned_to_me),
        unassigned=bool(f.unassigned),
        customer_id=filter_id(f.customer_id, "User"),
        search=f.search,
        overdue=f.overdue,
        categories=tuple(f.category or ()),
        text=f.text,
        order=order,
        customer_email=f.customer_email,
        assignee_id=filter_id(f.assignee_id, "User"),
        created_after=f.created_after,
        created_before=f.created_before,
        updated_after=f.updated_after,
        updated_before=f.updated_before,
    )
    try:
        return case_filter_for(principal, request, now)
    except ValidationFailed as exc:  # e.g. control characters in `search`, an empty range
        raise argument_error(exc) from None


def filter_id(global_id: str | None, type_name: str) -> str | None:
    """The internal id of an id argument that narrows a list (None: not given). An id that is
    not a `type_name`'s matches nothing rather than everything: "-" is no object's id."""
    if global_id is None:
        return None
    return decode_expected(global_id, type_name) or "-"


NodeId = Annotated[
    strawberry.ID, strawberry.argument(description="A global id of any type (Node.id).")
]
CaseId = Annotated[strawberry.ID, strawberry.argument(description="SupportCase.id")]
OrderId = Annotated[strawberry.ID, strawberry.argument(description="Order.id")]
CaseSortArg = Annotated[
    CaseSort,
    strawberry.argument(description="The order of the list (each sort pages on its own key)."),
]
CaseFilterArg = Annotated[
    SupportCaseFilter | None,
    strawberry.argument(description="Only cases matching all of these; omit for every case."),
]
RefundFilterArg = Annotated[
    RefundFilterInput | None,
    strawberry.argument(description="Only refunds matching all of these; omit for every refund."),
]


def validation_error(exc: DomainError) -> Exception:
    return InvalidArgument(exc.message)


async def read_page(read: Callable[[], Awaitable[Page[T]]]) -> Page[T]:
    """The page of a list query: what `read()` raises (a forged `after` cursor, a bad `first`)
    is the caller's mistake, an InvalidArgument. `read` is called inside, so that the arguments
    it checks while building its request fail the same way."""
    try:
        return await read()
    except DomainError as exc:
        raise validation_error(exc) from None


async def visible_case_of(info: Info, case_id: str) -> SupportCase | None:
    principal = info.context.require_principal()
    case = await info.context.loaders.case_by_id.load(case_id)
    if case is None or not visibility.may_see_case(principal, case):
        return None
    return SupportCase.from_domain(case)


async def visible_order_of(info: Info, principal: Principal, order_id: str) -> Order | None:
    try:
        order = await visible_order(info.context.services, principal, order_id)
    except NotFound:
        return None
    except OrderUnavailable as exc:
        raise OrderUnavailableError(exc.message) from None
    return Order.from_domain(order)
