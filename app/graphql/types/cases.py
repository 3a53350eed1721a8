"""SupportCase: the aggregate the other types hang off."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import strawberry

from app.graphql.context import Info
from app.graphql.errors import InvalidArgument, argument_error
from app.graphql.fields import field
from app.graphql.ids import encode_id
from app.graphql.types.common import (
    AfterArg,
    CaseCategory,
    CasePriority,
    CaseStatus,
    FirstArg,
    Node,
)
from app.graphql.types.connections import Connection, connection
from app.graphql.types.events import CaseEventConnection
from app.graphql.types.messages import Message, MessageConnection
from app.graphql.types.orders import Order, load_order
from app.graphql.types.refunds import Refund, RefundConnection
from app.graphql.types.users import User, load_user
from domain import cases as dc
from domain import visibility
from domain.errors import ValidationFailed
from domain.queries import EventPageRequest, MessagePageRequest, RefundPageRequest, page_size


@strawberry.type(description="A customer's support case.")
class SupportCase(Node):
    model: strawberry.Private[dc.SupportCase]

    @classmethod
    def from_domain(cls, case: dc.SupportCase) -> SupportCase:
        return cls(id=encode_id("SupportCase", case.id), model=case)

    @field(description="Human number, e.g. CS-000042.")
    def number(self) -> str:
        return self.model.display_number

    @field(description="One line, 1-200 characters.")
    def subject(self) -> str:
        return self.model.subject

    @field(description="The customer's description.")
    def description(self) -> str:
        return self.model.description

    @field(description="What the case is about.")
    def category(self) -> CaseCategory:
        return self.model.category

    @field(description="Where the case is in its lifecycle.")
    def status(self) -> CaseStatus:
        return self.model.status

    @field(description="Sets the SLA due times.")
    def priority(self) -> CasePriority:
        return self.model.priority

    @field(description="The customer who owns the case.")
    async def customer(self, info: Info) -> User:
        user = await load_user(info, self.model.customer_id)
        assert user is not None
        return user

    @field(description="The agent working the case, if any.")
    async def assignee(self, info: Info) -> User | None:
        return await load_user(info, self.model.assignee_id)

    @field(description="The order the case is about, if any.")
    async def order(self, info: Info) -> Order | None:
        if self.model.order_id is None:
            return None
        order = await load_order(info, self.model.order_id)
        return Order.from_domain(order) if order is not None else None

    @field(
        description="The order's number (e.g. #1001) as it was when the case was opened; "
        "null without an order. Searchable (`supportCases(filter: {text:})` and `order`)."
    )
    def order_number(self) -> str | None:
        return self.model.order_number

    @field(description="Messages, oldest first; customers never see internal notes.")
    async def messages(
        self, info: Info, first: FirstArg = 20, after: AfterArg = None
    ) -> MessageConnection:
        try:
            page = await info.context.loaders.message_page_by_case.load(
                MessagePageRequest(
                    case_id=self.model.id,
                    first=page_size(first),
                    after=after,
                    include_internal=visibility.sees_internal(info.context.principal),
                )
            )
        except ValidationFailed as exc:  # bad `first` or `after`: the caller's mistake
            raise InvalidArgument(exc.message) from None
        if page is None:  # pragma: no cover - the read store answers every request
            raise LookupError(f"no message page for case {self.model.id}")
        return MessageConnection.from_page(page)

    @field(description="The newest message (public only, for customers).")
    async def last_message(self, info: Info) -> Message | None:
        loaders = info.context.loaders
        loader = (
            loaders.last_message_by_case_id
            if visibility.sees_internal(info.context.principal)
            else loaders.last_public_message_by_case_id
        )
        message = await loader.load(self.model.id)
        return Message.from_domain(message) if message is not None else None

    @field(
        description="Every refund of this case, oldest first (unbounded).",
        deprecation_reason="Use refundsConnection (paginated, with totalCount).",
    )
    async def refunds(self, info: Info) -> list[Refund]:
        refunds = await info.context.loaders.refunds_by_case_id.load(self.model.id)
        return [Refund.from_domain(r) for r in refunds or []]

    @field(description="Refunds of this case, oldest first; batched over a list of cases.")
    async def refunds_connection(
        self, info: Info, first: FirstArg = 20, after: AfterArg = None
    ) -> RefundConnection:
        try:
            size = page_size(first)
        except ValidationFailed as exc:
            raise argument_error(exc) from None
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

        if page is None:  # pragma: no cover - the read store answers every request
            raise LookupError(f"no refund page for case {case_id}")
        return RefundConnection.from_page(page, count)

    @field(description="The append-only timeline, oldest first.")
    async def timeline(
        self, info: Info, first: FirstArg = 50, after: AfterArg = None
    ) -> CaseEventConnection:
        try:
            page = await info.context.loaders.event_page_by_case.load(
                EventPageRequest(
                    case_id=self.model.id,
                    first=page_size(first, default=50),
                    after=after,
                    include_internal=visibility.sees_internal(info.context.principal),
                )
            )
        except ValidationFailed as exc:  # bad `first` or `after`: the caller's mistake
            raise InvalidArgument(exc.message) from None
        if page is None:  # pragma: no cover - the read store answers every request
            raise LookupError(f"no timeline page for case {self.model.id}")
        return CaseEventConnection.from_page(page)

    @field(description="When it was opened.")
    def created_at(self) -> datetime:
        return self.model.created_at

    @field(description="When it last changed.")
    def updated_at(self) -> datetime:
        return self.model.updated_at

    @field(description="When the first agent reply is due (SLA).")
    def first_response_due_at(self) -> datetime:
        return self.model.first_response_due_at

    @field(description="When resolution is due (SLA).")
    def resolution_due_at(self) -> datetime:
        return self.model.resolution_due_at

    @field(
        description="The next SLA deadline the case owes: firstResponseDueAt while no agent "
        "has replied (when it comes first), else resolutionDueAt. Sort: DUE_SOONEST."
    )
    def due_at(self) -> datetime:
        return self.model.due_at

    @field(description="Whether the first reply came (or is) late.")
    def first_response_breached(self, info: Info) -> bool:
        return self.model.first_response_breached(info.context.services.clock.now())

    @field(description="Whether resolution came (or is) late.")
    def resolution_breached(self, info: Info) -> bool:
        return self.model.resolution_breached(info.context.services.clock.now())


async def case_of(info: Info, case_id: str) -> SupportCase:
    """The case of a refund or an event (visible with it; the foreign key keeps it there)."""
    case = await info.context.loaders.case_by_id.load(case_id)
    if case is None:  # pragma: no cover - a refund or event never outlives its case
        raise LookupError(f"case {case_id} is missing")
    return SupportCase.from_domain(case)


if TYPE_CHECKING:
    SupportCaseConnection = Connection[SupportCase]
else:
    SupportCaseConnection = connection(
        SupportCase,
        SupportCase.from_domain,
        description="A page of cases, newest first.",
        edges="The cases of this page.",
        edge_description="An edge of a case connection.",
        cursor="Position of this case.",
        node_description="The case.",
        total_count=True,
    )
