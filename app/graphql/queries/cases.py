"""Cases, their events and the people and refunds on them."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.graphql.context import Info
from app.graphql.errors import (
    ForbiddenError,
)
from app.graphql.fields import field
from app.graphql.ids import decode_expected, decode_id
from app.graphql.permissions import IsAgent, IsAuthenticated
from app.graphql.priming import prime_cases
from app.graphql.queries.common import (
    CaseFilterArg,
    CaseId,
    CaseSortArg,
    NodeId,
    RefundFilterArg,
    RefundFilterInput,
    case_filter_from,
    filter_id,
    read_page,
    visible_case_of,
    visible_order_of,
)
from app.graphql.types.common import (
    AfterArg,
    CaseSort,
    FirstArg,
    Node,
)
from app.graphql.types.macros import (
    Macro,
)
from app.graphql.types.objects import (
    CaseEvent,
    Message,
    Refund,
    RefundConnection,
    SupportCase,
    SupportCaseConnection,
    User,
    UserConnection,
)
from domain import visibility
from domain.errors import Forbidden, NotFound
from domain.queries import RefundFilter, page_size
from domain.usecases import manage_macros
from domain.usecases.live_events import live_start_cursor


@strawberry.type
class CaseQueries:
    @field(description="The logged-in user; null when anonymous.")
    async def viewer(self, info: Info) -> User | None:
        principal = info.context.principal
        if principal is None:
            return None
        user = await info.context.loaders.user_by_id.load(principal.user_id)
        return User.from_domain(user) if user is not None else None

    @field(description="Any object by its global id; null if missing or not yours.")
    async def node(self, info: Info, id: NodeId) -> Node | None:
        principal = info.context.require_principal()
        decoded = decode_id(id)
        if decoded is None:
            return None
        type_name, internal = decoded
        # Every branch asks domain.visibility, like the fields and lists do.
        loaders = info.context.loaders
        if type_name == "SupportCase":
            return await visible_case_of(info, internal)
        if type_name == "User":
            user = await loaders.user_by_id.load(internal)
            if user is None or not visibility.may_see_user(principal, user):
                return None
            return User.from_domain(user)
        if type_name == "Message":
            message = await loaders.message_by_id.load(internal)
            if message is None or not visibility.may_see_message(principal, message):
                return None
            if await visible_case_of(info, message.case_id) is None:
                return None
            return Message.from_domain(message)
        if type_name == "Refund":
            refund = await loaders.refund_by_id.load(internal)
            if refund is None or not visibility.may_see_refund(principal, refund):
                return None
            return Refund.from_domain(refund)
        if type_name == "CaseEvent":
            event = await info.context.services.reads.get_event(internal)
            if event is None or not visibility.may_see_event(principal, event):
                return None
            if await visible_case_of(info, event.case_id) is None:
                return None
            return CaseEvent.from_domain(event)
        if type_name == "Order":
            return await visible_order_of(info, principal, internal)
        if type_name == "Macro":
            if not visibility.may_see_macros(principal):
                return None
            macro = await manage_macros.get_macro(info.context.services, principal, internal)
            return Macro.from_domain(macro) if macro is not None else None
        return None

    @field(description="A case by id; null if missing or not yours.")
    async def support_case(self, info: Info, id: CaseId) -> SupportCase | None:
        info.context.require_principal()
        internal = decode_expected(id, "SupportCase")
        return await visible_case_of(info, internal) if internal else None

    @field(
        description="Cases, newest first unless `sort` says otherwise: customers see their "
        "own, agents all.",
        permission_classes=[IsAuthenticated],
    )
    async def support_cases(
        self,
        info: Info,
        first: FirstArg = 20,
        after: AfterArg = None,
        filter: CaseFilterArg = None,
        sort: CaseSortArg = CaseSort.NEWEST,
    ) -> SupportCaseConnection:
        principal = info.context.require_principal()
        reads = info.context.services.reads
        case_filter = case_filter_from(principal, filter, info.context.services.clock.now())
        page = await read_page(
            lambda: reads.list_cases(case_filter, first=page_size(first), after=after, sort=sort)
        )
        await prime_cases(info, page.items)

        async def count() -> int:
            return await reads.count_cases(case_filter)

        return SupportCaseConnection.from_page(page, count)

    @field(
        description="Where to start following case events (`caseEvents(after:)`) so that nothing "
        "committed between loading a page and subscribing is missed: the cursor of the newest "
        "event you may see. `caseId` as for `caseEvents`; null = every case (staff only).",
        permission_classes=[IsAuthenticated],
    )
    async def latest_case_event_cursor(
        self,
        info: Info,
        case_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="A SupportCase id; omit for every case (staff only)."),
        ] = None,
    ) -> str | None:
        principal = info.context.require_principal()
        internal_case_id: str | None = None
        if case_id is not None:
            internal_case_id = decode_expected(case_id, "SupportCase")
            if internal_case_id is None:
                return None
        try:
            return await live_start_cursor(
                info.context.services, principal, case_id=internal_case_id
            )
        except NotFound:
            return None
        except Forbidden as exc:
            raise ForbiddenError(exc.message) from None

    @field(
        description="Agents and admins, for assignment (every one, unbounded).",
        permission_classes=[IsAgent],
        deprecation_reason="Use agentsConnection (paginated).",
    )
    async def agents(self, info: Info) -> list[User]:
        return [User.from_domain(u) for u in await info.context.services.reads.staff_users()]

    @field(
        description="Active agents and admins by name, for assignment (agents only).",
        permission_classes=[IsAgent],
    )
    async def agents_connection(
        self, info: Info, first: FirstArg = 20, after: AfterArg = None
    ) -> UserConnection:
        reads = info.context.services.reads
        page = await read_page(lambda: reads.list_staff(first=page_size(first), after=after))
        return UserConnection.from_page(page)

    @field(
        description="Refunds by status, newest first (agents): find stuck or failed ones.",
        permission_classes=[IsAgent],
    )
    async def refunds(
        self,
        info: Info,
        first: FirstArg = 20,
        after: AfterArg = None,
        filter: RefundFilterArg = None,
    ) -> RefundConnection:
        f = filter or RefundFilterInput()
        refund_filter = RefundFilter(
            statuses=tuple(f.status or ()),
            # An empty orderId is no filter (as it always was), not an undecodable id.
            order_id=filter_id(f.order_id or None, "Order"),
        )
        reads = info.context.services.reads
        page = await read_page(
            lambda: reads.list_refunds(refund_filter, first=page_size(first), after=after)
        )

        async def count() -> int:
            return await reads.count_refunds(refund_filter)

        return RefundConnection.from_page(page, count)
