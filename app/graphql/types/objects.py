"""The node types. They wrap domain read models and resolve relations through DataLoaders."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any

import strawberry

from app.graphql.context import Info
from app.graphql.errors import InvalidArgument, OrderUnavailableError
from app.graphql.ids import encode_id
from app.graphql.types.common import (
    AfterArg,
    CaseCategory,
    CaseEventType,
    CasePriority,
    CaseStatus,
    FirstArg,
    Money,
    Node,
    OrderStatus,
    PageInfo,
    RefundApproval,
    RefundDenial,
    RefundReason,
    RefundStatus,
    Role,
)
from domain import cases as dc
from domain import events as de
from domain import orders as do
from domain import refunds as dr
from domain import users as du
from domain.errors import OrderSystemUnavailable, ValidationFailed
from domain.queries import MAX_PAGE_SIZE, Page, RefundPageRequest
from domain.refunds import refundable_remainder, refunded_quantities
from domain.usecases.refund_quote import RefundQuote as DomainRefundQuote


def _viewer_is_staff(info: Info) -> bool:
    return info.context.principal is not None and info.context.principal.is_staff


def _first(first: int | None, default: int = 20) -> int:
    return default if first is None else first


Counter = Callable[[], Awaitable[int]]

TOTAL_COUNT_DESCRIPTION = (
    "How many items the whole connection has (every page, whatever `first` and `after`). "
    "Costs one COUNT statement, run only when this field is selected; for a nested "
    "connection, one grouped COUNT for the whole list."
)


async def _total(count: Counter | None) -> int:
    if count is None:  # pragma: no cover - every connection with totalCount sets it
        raise RuntimeError("this connection was built without a counter")
    return await count()


def _connection_parts(
    page: Page[Any], edge: Callable[..., Any], wrap: Callable[[Any], Any]
) -> dict[str, Any]:
    """Edges (one per item, with its keyset cursor) and page info of a read-store page."""
    return {
        "edges": [
            edge(cursor=cursor, node=wrap(item))
            for item, cursor in zip(page.items, page.cursors, strict=True)
        ],
        "page_info": PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor),
    }


async def load_order(info: Info, order_id: str) -> do.Order | None:
    try:
        order: do.Order | None = await info.context.loaders.order_by_id.load(order_id)
    except OrderSystemUnavailable:
        raise OrderUnavailableError("The order system cannot be reached right now") from None
    return order


@strawberry.type(description="A customer, agent or admin.")
class User(Node):
    model: strawberry.Private[du.User]
    # The user who just proved who they are (login): their own email, though the request
    # itself is still anonymous.
    is_self: strawberry.Private[bool] = False

    @classmethod
    def from_domain(cls, user: du.User, *, is_self: bool = False) -> User:
        return cls(id=encode_id("User", user.id), model=user, is_self=is_self)

    @strawberry.field(description="Display name.")
    def name(self) -> str:
        return self.model.name

    @strawberry.field(description="Email; only staff and the user themselves can see it.")
    def email(self, info: Info) -> str | None:
        principal = info.context.principal
        if self.is_self or (
            principal is not None and (principal.is_staff or principal.user_id == self.model.id)
        ):
            return self.model.email
        return None

    @strawberry.field(description="What the user may do.")
    def role(self) -> Role:
        return self.model.role


async def load_user(info: Info, user_id: str | None) -> User | None:
    if user_id is None:
        return None
    user = await info.context.loaders.user_by_id.load(user_id)
    return User.from_domain(user) if user is not None else None


@strawberry.type(description="An edge of a user connection.")
class UserEdge:
    cursor: str = strawberry.field(description="Position of this user.")
    node: User = strawberry.field(description="The user.")


@strawberry.type(description="A page of users, by name.")
class UserConnection:
    edges: list[UserEdge] = strawberry.field(description="The users of this page.")
    page_info: PageInfo = strawberry.field(description="Paging.")

    @classmethod
    def from_page(cls, page: Page[du.User]) -> UserConnection:
        return cls(**_connection_parts(page, UserEdge, User.from_domain))


@strawberry.type(description="A line of an order.")
class OrderLine:
    model: strawberry.Private[do.OrderLine]
    refunded: strawberry.Private[int]

    @strawberry.field(description="The line's id in the order system (use it in requestRefund).")
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.model.id)

    @strawberry.field(description="Stock keeping unit.")
    def sku(self) -> str:
        return self.model.sku

    @strawberry.field(description="Product name.")
    def name(self) -> str:
        return self.model.name

    @strawberry.field(description="Ordered quantity.")
    def quantity(self) -> int:
        return self.model.quantity

    @strawberry.field(description="Price of one unit.")
    def unit_price(self) -> Money:
        return Money.from_domain(self.model.unit_price)

    @strawberry.field(description="Units refunded or being refunded.")
    def refunded_quantity(self) -> int:
        return self.refunded


@strawberry.type(description="An order, read from the shop's order system.")
class Order(Node):
    model: strawberry.Private[do.Order]

    @classmethod
    def from_domain(cls, order: do.Order) -> Order:
        return cls(id=encode_id("Order", order.id), model=order)

    async def _refunds(self, info: Info) -> list[dr.Refund]:
        refunds: list[dr.Refund] | None = await info.context.loaders.refunds_by_order_id.load(
            self.model.id
        )
        return refunds or []

    @strawberry.field(description="The shop's order number, e.g. #1001.")
    def number(self) -> str:
        return self.model.number

    @strawberry.field(description="Status in the order system.")
    def status(self) -> OrderStatus:
        return self.model.status

    @strawberry.field(description="When the order was placed.")
    def placed_at(self) -> datetime:
        return self.model.placed_at

    @strawberry.field(description="The promised delivery date, if any.")
    def promised_delivery_date(self) -> date | None:
        return self.model.promised_delivery_date

    @strawberry.field(description="When the carrier confirmed delivery.")
    def delivered_at(self) -> datetime | None:
        return self.model.delivered_at

    @strawberry.field(description="Order total including shipping.")
    def total(self) -> Money:
        return Money.from_domain(self.model.total)

    @strawberry.field(description="Shipping charged (refundable once).")
    def shipping(self) -> Money:
        return Money.from_domain(self.model.shipping)

    @strawberry.field(description="Money already paid back.")
    async def refunded_amount(self, info: Info) -> Money:
        return Money.from_domain(dr.refunded_amount(self.model, await self._refunds(info)))

    @strawberry.field(description="What can still be refunded (total minus paid and in flight).")
    async def refundable_amount(self, info: Info) -> Money:
        return Money.from_domain(refundable_remainder(self.model, await self._refunds(info)))

    @strawberry.field(description="The order's lines.")
    async def lines(self, info: Info) -> list[OrderLine]:
        refunded = refunded_quantities(await self._refunds(info))
        return [
            OrderLine(model=line, refunded=refunded.get(line.id, 0)) for line in self.model.lines
        ]

    @strawberry.field(description="True when served from cache while the order system is down.")
    def stale(self) -> bool:
        return self.model.stale

    @strawberry.field(description="When this copy was read from the order system.")
    def as_of(self) -> datetime:
        return self.model.as_of


@strawberry.type(description="A message on a case: public, or an internal note (staff only).")
class Message(Node):
    model: strawberry.Private[dc.Message]

    @classmethod
    def from_domain(cls, message: dc.Message) -> Message:
        return cls(id=encode_id("Message", message.id), model=message)

    @strawberry.field(description="Plain text.")
    def body(self) -> str:
        return self.model.body

    @strawberry.field(description="True for an internal note; customers never see those.")
    def internal(self) -> bool:
        return self.model.internal

    @strawberry.field(description="Who wrote it.")
    async def author(self, info: Info) -> User:
        user = await load_user(info, self.model.author_id)
        assert user is not None
        return user

    @strawberry.field(description="When it was written.")
    def created_at(self) -> datetime:
        return self.model.created_at


@strawberry.type(description="An edge of a message connection.")
class MessageEdge:
    cursor: str = strawberry.field(description="Position of this message.")
    node: Message = strawberry.field(description="The message.")


@strawberry.type(description="A page of messages, oldest first.")
class MessageConnection:
    edges: list[MessageEdge] = strawberry.field(description="The messages of this page.")
    page_info: PageInfo = strawberry.field(description="Paging.")

    @classmethod
    def from_page(cls, page: Page[dc.Message]) -> MessageConnection:
        return cls(**_connection_parts(page, MessageEdge, Message.from_domain))


@strawberry.type(description="A refund of (part of) an order, attached to a case.")
class Refund(Node):
    model: strawberry.Private[dr.Refund]

    @classmethod
    def from_domain(cls, refund: dr.Refund) -> Refund:
        return cls(id=encode_id("Refund", refund.id), model=refund)

    @strawberry.field(description="The case this refund belongs to.")
    async def support_case(self, info: Info) -> SupportCase:
        case = await info.context.loaders.case_by_id.load(self.model.case_id)
        return SupportCase.from_domain(case)

    @strawberry.field(description="The refunded order (from the order system).")
    async def order(self, info: Info) -> Order | None:
        order = await load_order(info, self.model.order_id)
        return Order.from_domain(order) if order is not None else None

    @strawberry.field(description="Amount to pay back.")
    def amount(self) -> Money:
        return Money.from_domain(self.model.amount)

    @strawberry.field(description="Why it was asked for.")
    def reason(self) -> RefundReason:
        return self.model.reason

    @strawberry.field(description="The requester's note.")
    def note(self) -> str | None:
        return self.model.note

    @strawberry.field(description="Where the refund is in its lifecycle.")
    def status(self) -> RefundStatus:
        return self.model.status

    @strawberry.field(description="Who approved it, once approved.")
    def approval(self) -> RefundApproval | None:
        return self.model.approval

    @strawberry.field(description="The agent or admin who decided (null for the automatic policy).")
    async def decided_by(self, info: Info) -> User | None:
        return await load_user(info, self.model.decided_by_id)

    @strawberry.field(
        description="The decision's explanation (the policy's reason when automatic)."
    )
    def decision_note(self) -> str | None:
        return self.model.decision_note

    @strawberry.field(description="Why the payment gateway refused it, if it failed.")
    def failure_reason(self) -> str | None:
        return self.model.failure_reason

    @strawberry.field(
        description="Payment attempt (1, then +1 on each retry of a FAILED refund); the "
        "payment gateway sees each attempt under its own idempotency key."
    )
    def attempt(self) -> int:
        return self.model.attempt

    @strawberry.field(description="The payment gateway's id of the refund, once SUCCEEDED.")
    def gateway_refund_id(self) -> str | None:
        return self.model.gateway_refund_id

    @strawberry.field(
        description="True when the amount is above the agents' approval limit: only an admin "
        "may approve it (clients show it before anyone tries)."
    )
    def requires_admin_approval(self, info: Info) -> bool:
        return dr.requires_admin_approval(self.model.amount, info.context.services.refund_policy)

    @strawberry.field(description="Refunded lines and quantities, when asked by line.")
    def lines(self) -> list[RefundLineItem]:
        return [
            RefundLineItem(line_id=strawberry.ID(x.line_id), quantity=x.quantity)
            for x in self.model.lines
        ]

    @strawberry.field(description="Whether shipping is part of this refund.")
    def include_shipping(self) -> bool:
        return self.model.include_shipping

    @strawberry.field(description="When it was requested.")
    def created_at(self) -> datetime:
        return self.model.created_at

    @strawberry.field(description="When it last changed.")
    def updated_at(self) -> datetime:
        return self.model.updated_at


@strawberry.type(description="A line and quantity of a refund.")
class RefundLineItem:
    line_id: strawberry.ID = strawberry.field(description="OrderLine.id")
    quantity: int = strawberry.field(description="Units refunded.")


@strawberry.type(description="An edge of a refund connection.")
class RefundEdge:
    cursor: str = strawberry.field(description="Position of this refund.")
    node: Refund = strawberry.field(description="The refund.")


@strawberry.type(
    description="A page of refunds: newest first in Query.refunds, oldest first in "
    "SupportCase.refundsConnection."
)
class RefundConnection:
    edges: list[RefundEdge] = strawberry.field(description="The refunds of this page.")
    page_info: PageInfo = strawberry.field(description="Paging.")
    count: strawberry.Private[Counter | None] = None

    @strawberry.field(description=TOTAL_COUNT_DESCRIPTION)
    async def total_count(self) -> int:
        return await _total(self.count)

    @classmethod
    def from_page(cls, page: Page[dr.Refund], count: Counter | None = None) -> RefundConnection:
        return cls(**_connection_parts(page, RefundEdge, Refund.from_domain), count=count)


@strawberry.type(description="An entry of a case's append-only timeline.")
class CaseEvent(Node):
    model: strawberry.Private[de.CaseEvent]

    @classmethod
    def from_domain(cls, event: de.CaseEvent) -> CaseEvent:
        return cls(id=encode_id("CaseEvent", event.id), model=event)

    @strawberry.field(description="Pass as `after` to read or subscribe from after this event.")
    def cursor(self) -> str:
        return str(self.model.sequence or 0)

    @strawberry.field(description="What happened.")
    def type(self) -> CaseEventType:
        return self.model.type

    @strawberry.field(description="When it happened.")
    def occurred_at(self) -> datetime:
        return self.model.occurred_at

    @strawberry.field(description="Who did it (null: the system or the refund policy).")
    async def actor(self, info: Info) -> User | None:
        return await load_user(info, self.model.actor_id)

    @strawberry.field(description="The case.")
    async def support_case(self, info: Info) -> SupportCase:
        case = await info.context.loaders.case_by_id.load(self.model.case_id)
        return SupportCase.from_domain(case)

    @strawberry.field(description="One line describing the change.")
    def summary(self) -> str:
        return self.model.summary

    @strawberry.field(description="The value before the change, where there is one.")
    def before(self) -> str | None:
        return self.model.before

    @strawberry.field(description="The value after the change, where there is one.")
    def after(self) -> str | None:
        return self.model.after

    @strawberry.field(description="The message, for MESSAGE_POSTED.")
    async def message(self, info: Info) -> Message | None:
        if self.model.message_id is None:
            return None
        message = await info.context.loaders.message_by_id.load(self.model.message_id)
        if message is None or (message.internal and not _viewer_is_staff(info)):
            return None
        return Message.from_domain(message)

    @strawberry.field(description="The refund, for REFUND_* events.")
    async def refund(self, info: Info) -> Refund | None:
        if self.model.refund_id is None:
            return None
        refund = await info.context.loaders.refund_by_id.load(self.model.refund_id)
        return Refund.from_domain(refund) if refund is not None else None


@strawberry.type(description="An edge of a timeline.")
class CaseEventEdge:
    cursor: str = strawberry.field(description="Position of this event.")
    node: CaseEvent = strawberry.field(description="The event.")


@strawberry.type(description="A page of a case's timeline, oldest first.")
class CaseEventConnection:
    edges: list[CaseEventEdge] = strawberry.field(description="The events of this page.")
    page_info: PageInfo = strawberry.field(description="Paging.")

    @classmethod
    def from_page(cls, page: Page[de.CaseEvent]) -> CaseEventConnection:
        return cls(**_connection_parts(page, CaseEventEdge, CaseEvent.from_domain))


@strawberry.type(description="A customer's support case.")
class SupportCase(Node):
    model: strawberry.Private[dc.SupportCase]

    @classmethod
    def from_domain(cls, case: dc.SupportCase) -> SupportCase:
        return cls(id=encode_id("SupportCase", case.id), model=case)

    @strawberry.field(description="Human number, e.g. CS-000042.")
    def number(self) -> str:
        return self.model.display_number

    @strawberry.field(description="One line, 1-200 characters.")
    def subject(self) -> str:
        return self.model.subject

    @strawberry.field(description="The customer's description.")
    def description(self) -> str:
        return self.model.description

    @strawberry.field(description="What the case is about.")
    def category(self) -> CaseCategory:
        return self.model.category

    @strawberry.field(description="Where the case is in its lifecycle.")
    def status(self) -> CaseStatus:
        return self.model.status

    @strawberry.field(description="Sets the SLA due times.")
    def priority(self) -> CasePriority:
        return self.model.priority

    @strawberry.field(description="The customer who owns the case.")
    async def customer(self, info: Info) -> User:
        user = await load_user(info, self.model.customer_id)
        assert user is not None
        return user

    @strawberry.field(description="The agent working the case, if any.")
    async def assignee(self, info: Info) -> User | None:
        return await load_user(info, self.model.assignee_id)

    @strawberry.field(description="The order the case is about, if any.")
    async def order(self, info: Info) -> Order | None:
        if self.model.order_id is None:
            return None
        order = await load_order(info, self.model.order_id)
        return Order.from_domain(order) if order is not None else None

    @strawberry.field(description="Messages, oldest first; customers never see internal notes.")
    async def messages(
        self, info: Info, first: FirstArg = 20, after: AfterArg = None
    ) -> MessageConnection:
        try:
            page = await info.context.services.reads.list_messages(
                self.model.id,
                include_internal=_viewer_is_staff(info),
                first=_first(first),
                after=after,
            )
        except ValidationFailed as exc:  # bad `first` or `after`: the caller's mistake
            raise InvalidArgument(exc.message) from None
        return MessageConnection.from_page(page)

    @strawberry.field(description="The newest message (public only, for customers).")
    async def last_message(self, info: Info) -> Message | None:
        loaders = info.context.loaders
        loader = (
            loaders.last_message_by_case_id
            if _viewer_is_staff(info)
            else loaders.last_public_message_by_case_id
        )
        message = await loader.load(self.model.id)
        return Message.from_domain(message) if message is not None else None

    @strawberry.field(
        description="Every refund of this case, oldest first (unbounded).",
        deprecation_reason="Use refundsConnection (paginated, with totalCount).",
    )
    async def refunds(self, info: Info) -> list[Refund]:
        refunds = await info.context.loaders.refunds_by_case_id.load(self.model.id)
        return [Refund.from_domain(r) for r in refunds or []]

    @strawberry.field(
        description="Refunds of this case, oldest first; batched over a list of cases."
    )
    async def refunds_connection(
        self, info: Info, first: FirstArg = 20, after: AfterArg = None
    ) -> RefundConnection:
        size = _first(first)
        if isinstance(size, bool) or not 1 <= size <= MAX_PAGE_SIZE:
            raise InvalidArgument(f"first must be between 1 and {MAX_PAGE_SIZE}")
        loaders = info.context.loaders
        try:
            page = await loaders.refund_page_by_case.load(
                RefundPageRequest(case_id=self.model.id, first=size, after=after)
            )
        except ValidationFailed as exc:  # a bad `after`: the caller's mistake
            raise InvalidArgument(exc.message) from None
        case_id = self.model.id

        async def count() -> int:
            found: int | None = await loaders.refund_count_by_case_id.load(case_id)
            return found or 0

        return RefundConnection.from_page(page, count)

    @strawberry.field(description="The append-only timeline, oldest first.")
    async def timeline(
        self, info: Info, first: FirstArg = 50, after: AfterArg = None
    ) -> CaseEventConnection:
        try:
            page = await info.context.services.reads.list_events(
                self.model.id,
                include_internal=_viewer_is_staff(info),
                first=_first(first, 50),
                after=after,
            )
        except ValidationFailed as exc:  # bad `first` or `after`: the caller's mistake
            raise InvalidArgument(exc.message) from None
        return CaseEventConnection.from_page(page)

    @strawberry.field(description="When it was opened.")
    def created_at(self) -> datetime:
        return self.model.created_at

    @strawberry.field(description="When it last changed.")
    def updated_at(self) -> datetime:
        return self.model.updated_at

    @strawberry.field(description="When the first agent reply is due (SLA).")
    def first_response_due_at(self) -> datetime:
        return self.model.first_response_due_at

    @strawberry.field(description="When resolution is due (SLA).")
    def resolution_due_at(self) -> datetime:
        return self.model.resolution_due_at

    @strawberry.field(description="Whether the first reply came (or is) late.")
    def first_response_breached(self, info: Info) -> bool:
        return self.model.first_response_breached(info.context.services.clock.now())

    @strawberry.field(description="Whether resolution came (or is) late.")
    def resolution_breached(self, info: Info) -> bool:
        return self.model.resolution_breached(info.context.services.clock.now())


@strawberry.type(description="An edge of a case connection.")
class SupportCaseEdge:
    cursor: str = strawberry.field(description="Position of this case.")
    node: SupportCase = strawberry.field(description="The case.")


@strawberry.type(description="A page of cases, newest first.")
class SupportCaseConnection:
    edges: list[SupportCaseEdge] = strawberry.field(description="The cases of this page.")
    page_info: PageInfo = strawberry.field(description="Paging.")
    count: strawberry.Private[Counter | None] = None

    @strawberry.field(description=TOTAL_COUNT_DESCRIPTION)
    async def total_count(self) -> int:
        return await _total(self.count)

    @classmethod
    def from_page(
        cls, page: Page[dc.SupportCase], count: Counter | None = None
    ) -> SupportCaseConnection:
        return cls(**_connection_parts(page, SupportCaseEdge, SupportCase.from_domain), count=count)


@strawberry.type(description="An edge of an order connection.")
class OrderEdge:
    cursor: str = strawberry.field(
        description="Position of this order: pass it as `after` to continue right after it."
    )
    node: Order = strawberry.field(description="The order.")


@strawberry.type(description="A page of orders, newest first.")
class OrderConnection:
    edges: list[OrderEdge] = strawberry.field(description="The orders of this page.")
    page_info: PageInfo = strawberry.field(description="Paging.")

    @classmethod
    def from_page(cls, page: Page[do.Order]) -> OrderConnection:
        return cls(**_connection_parts(page, OrderEdge, Order.from_domain))


@strawberry.type(description="What could be refunded on an order right now.")
class RefundQuote:
    model: strawberry.Private[DomainRefundQuote]

    @strawberry.field(description="The order.")
    def order(self) -> Order:
        return Order.from_domain(self.model.order)

    @strawberry.field(description="Whether a refund can be requested now.")
    def eligible(self) -> bool:
        return self.model.eligible

    @strawberry.field(description="The most that can still be refunded.")
    def refundable_amount(self) -> Money:
        return Money.from_domain(self.model.refundable_amount)

    @strawberry.field(description="The end of the refund window, once delivered.")
    def window_ends_at(self) -> datetime | None:
        return self.model.window_ends_at

    @strawberry.field(description="Why not, when not eligible.")
    def denial(self) -> RefundDenial | None:
        return self.model.denial
