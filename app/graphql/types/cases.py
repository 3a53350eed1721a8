"""SupportCase: the aggregate the other types hang off."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

import strawberry
from aiodataloader import DataLoader

from app.graphql.context import Info
from app.graphql.errors import InvalidArgument, argument_error
from app.graphql.fields import field
from app.graphql.relations import or_none, required, then
from app.graphql.types.common import (
    AfterArg,
    CaseCategory,
    CasePriority,
    CaseStatus,
    FirstArg,
    Node,
)
from app.graphql.types.connections import Connection, Counter, connection
from app.graphql.types.events import CaseEventConnection
from app.graphql.types.from_model import from_model
from app.graphql.types.messages import Message, MessageConnection
from app.graphql.types.orders import Order, order_relation
from app.graphql.types.refunds import Refund, RefundConnection
from app.graphql.types.satisfaction import CaseRating
from app.graphql.types.users import User, required_user, user_relation
from domain import cases as dc
from domain import visibility
from domain.cases import Message as dm
from domain.errors import ValidationFailed
from domain.queries import (
    EventPageRequest,
    MessagePageRequest,
    Page,
    RefundPageRequest,
    page_size,
)
from domain.satisfaction import rating_window_ends_at

T = TypeVar("T")
K = TypeVar("K")
N = TypeVar("N")


def _invalid_argument(exc: BaseException) -> BaseException | None:
    """A bad `after` cursor (or `first`) of a nested connection: the caller's mistake."""
    return InvalidArgument(exc.message) if isinstance(exc, ValidationFailed) else None


def _page(page: Page[T] | None) -> Page[T]:
    if page is None:  # pragma: no cover - the read store answers every request
        raise LookupError("the read store answered no page")
    return page


def _bad_first(exc: ValidationFailed) -> Exception:
    return InvalidArgument(exc.message)


def _nested_page(
    request: Callable[[], K],
    loader: DataLoader[K, Page[T] | None],
    connection: type[Connection[N]],
    count: Counter | None = None,
    *,
    bad_first: Callable[[ValidationFailed], Exception] = _bad_first,
) -> Connection[N]:
    """A page of one of a case's nested connections, batched over the list of cases the case is
    in (its loader's key is `request()`, as app.graphql.priming builds it). A bad `first` (from
    `request`) or `after` (from the load) is the caller's mistake."""
    try:
        key = request()
    except ValidationFailed as exc:
        raise bad_first(exc) from None
    return then(
        loader.load(key), lambda page: connection.from_page(_page(page), count), _invalid_argument
    )


@strawberry.type(description="A customer's support case.")
class SupportCase(Node):
    model: strawberry.Private[dc.SupportCase]
    number: str = strawberry.field(description="Human number, e.g. CS-000042.")
    subject: str = strawberry.field(description="One line, 1-200 characters.")
    description: str = strawberry.field(description="The customer's description.")
    category: CaseCategory = strawberry.field(description="What the case is about.")
    status: CaseStatus = strawberry.field(description="Where the case is in its lifecycle.")
    priority: CasePriority = strawberry.field(description="Sets the SLA due times.")

    @field(description="The customer who owns the case.")
    def customer(self, info: Info) -> User:
        return required_user(info, self.model.customer_id)

    @field(description="The agent working the case, if any.")
    def assignee(self, info: Info) -> User | None:
        return user_relation(info, self.model.assignee_id)

    @field(description="The order the case is about, if any.")
    def order(self, info: Info) -> Order | None:
        return order_relation(info, self.model.order_id)

    order_number: str | None = strawberry.field(
        description="The order's number (e.g. #1001) as it was when the case was opened; "
        "null without an order. Searchable (`supportCases(filter: {text:})` and `order`)."
    )

    @field(description="Messages, oldest first; customers never see internal notes.")
    def messages(
        self, info: Info, first: FirstArg = 20, after: AfterArg = None
    ) -> MessageConnection:
        return _nested_page(
            lambda: message_page_request(info, self.model.id, first, after),
            info.context.loaders.message_page_by_case,
            MessageConnection,
        )

    @field(description="The newest message (public only, for customers).")
    def last_message(self, info: Info) -> Message | None:
        return then(last_message_loader(info).load(self.model.id), or_none(Message.from_domain))

    @field(
        description="Every refund of this case, oldest first (unbounded).",
        deprecation_reason="Use refundsConnection (paginated, with totalCount).",
    )
    def refunds(self, info: Info) -> list[Refund]:
        return then(
            info.context.loaders.refunds_by_case_id.load(self.model.id),
            lambda refunds: [Refund.from_domain(r) for r in refunds or []],
        )

    @field(description="Refunds of this case, oldest first; batched over a list of cases.")
    def refunds_connection(
        self, info: Info, first: FirstArg = 20, after: AfterArg = None
    ) -> RefundConnection:
        loaders = info.context.loaders
        case_id = self.model.id

        async def count() -> int:
            found: int | None = await loaders.refund_count_by_case_id.load(case_id)
            return found or 0

        return _nested_page(
            lambda: refund_page_request(info, case_id, first, after),
            loaders.refund_page_by_case,
            RefundConnection,
            count,
            bad_first=argument_error,  # worded after the argument, as it always was
        )

    @field(description="The append-only timeline, oldest first.")
    def timeline(
        self, info: Info, first: FirstArg = 50, after: AfterArg = None
    ) -> CaseEventConnection:
        return _nested_page(
            lambda: event_page_request(info, self.model.id, first, after),
            info.context.loaders.event_page_by_case,
            CaseEventConnection,
        )

    created_at: datetime = strawberry.field(description="When it was opened.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    first_response_due_at: datetime = strawberry.field(
        description="When the first agent reply is due (SLA)."
    )
    resolution_due_at: datetime = strawberry.field(description="When resolution is due (SLA).")

    due_at: datetime = strawberry.field(
        description="The next SLA deadline the case owes: firstResponseDueAt while no agent "
        "has replied (when it comes first), else resolutionDueAt. Sort: DUE_SOONEST."
    )

    @field(description="Whether the first reply came (or is) late.")
    def first_response_breached(self, info: Info) -> bool:
        return self.model.first_response_breached(info.context.services.clock.now())

    @field(description="Whether resolution came (or is) late.")
    def resolution_breached(self, info: Info) -> bool:
        return self.model.resolution_breached(info.context.services.clock.now())

    @field(description="The customer's rating, once given (null until then).")
    def satisfaction(self, info: Info) -> CaseRating | None:
        rating = info.context.loaders.rating_by_case_id.load(self.model.id)
        return then(rating, or_none(CaseRating.from_domain))

    @field(
        description="Until when the customer may rate the case: its resolution plus the rating "
        "window (null while it is not resolved). Past this time, or once rated, rateCase "
        "answers RatingNotAllowed."
    )
    def rating_window_ends_at(self, info: Info) -> datetime | None:
        return rating_window_ends_at(self.model, info.context.services.case_rules)

    @classmethod
    def from_domain(cls, case: dc.SupportCase) -> SupportCase:
        return from_model(cls, case, number=case.display_number)


def message_page_request(
    info: Info, case_id: str, first: int | None, after: str | None
) -> MessagePageRequest:
    """The batch key of `SupportCase.messages(first, after)` for this viewer."""
    return MessagePageRequest(
        case_id=case_id,
        first=page_size(first),
        after=after,
        include_internal=visibility.sees_internal(info.context.principal),
    )


def refund_page_request(
    info: Info, case_id: str, first: int | None, after: str | None
) -> RefundPageRequest:
    """The batch key of `SupportCase.refundsConnection(first, after)` (the same for every viewer
    who may see the case: `info` only keeps the builders of the nested pages alike)."""
    return RefundPageRequest(case_id=case_id, first=page_size(first), after=after)


def event_page_request(
    info: Info, case_id: str, first: int | None, after: str | None
) -> EventPageRequest:
    """The batch key of `SupportCase.timeline(first, after)` for this viewer."""
    return EventPageRequest(
        case_id=case_id,
        first=page_size(first, default=50),
        after=after,
        include_internal=visibility.sees_internal(info.context.principal),
    )


def last_message_loader(info: Info) -> DataLoader[str, dm | None]:
    """`lastMessage`: the newest message, internal notes included for staff only."""
    loaders = info.context.loaders
    if visibility.sees_internal(info.context.principal):
        return loaders.last_message_by_case_id
    return loaders.last_public_message_by_case_id


def case_relation(info: Info, case_id: str) -> SupportCase:
    """The case of a refund or an event (visible with it; the foreign key keeps it there)."""
    return then(info.context.loaders.case_by_id.load(case_id), required(SupportCase.from_domain))


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
