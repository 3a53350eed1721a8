"""The Query type: every read, with visibility decided per principal."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

import strawberry

from app.graphql.context import Info
from app.graphql.errors import (
    ForbiddenError,
    InvalidArgument,
    NotFoundError,
    OrderUnavailableError,
    argument_error,
)
from app.graphql.fields import field
from app.graphql.ids import decode_expected, decode_id
from app.graphql.permissions import IsAdmin, IsAgent, IsAuthenticated
from app.graphql.priming import prime_cases
from app.graphql.types.admin import AuditEntryConnection
from app.graphql.types.common import (
    AfterArg,
    CaseCategory,
    CasePriority,
    CaseSort,
    CaseStatus,
    FirstArg,
    Node,
    RefundStatus,
)
from app.graphql.types.errors import NotFound as NotFoundResult
from app.graphql.types.errors import OrderUnavailable as OrderUnavailableResult
from app.graphql.types.errors import ValidationFailed as ValidationFailedResult
from app.graphql.types.errors import to_graphql_error
from app.graphql.types.macros import (
    Macro,
    MacroConnection,
    MacroPlaceholder,
    MacroPreview,
    placeholders_of,
)
from app.graphql.types.objects import (
    CaseEvent,
    Message,
    Order,
    OrderConnection,
    Refund,
    RefundConnection,
    RefundQuote,
    SupportCase,
    SupportCaseConnection,
    User,
    UserConnection,
)
from app.graphql.types.ops import QueueDepths, RefundJobConnection
from app.graphql.types.satisfaction import SatisfactionReport
from app.graphql.types.webhooks import WebhookDeliveryConnection, WebhookEndpoint
from domain import visibility
from domain.admin import AdminActor
from domain.errors import DomainError, Forbidden, NotFound, ValidationFailed
from domain.outbound_webhooks import WebhookDeliveryState
from domain.queries import CaseFilter, CaseListRequest, RefundFilter, case_filter_for, page_size
from domain.usecases import apply_macro, manage_macros
from domain.usecases import outbound_webhooks as webhooks
from domain.usecases.admin_users import audit_log
from domain.usecases.live_events import live_start_cursor
from domain.usecases.ops import dead_refund_jobs, refund_queue_depths
from domain.usecases.order_access import OrderUnavailable, my_orders, visible_order
from domain.usecases.refund_quote import refund_quote
from domain.usecases.satisfaction_report import satisfaction_report
from domain.users import Principal


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


def _case_filter(principal: Principal, f: SupportCaseFilter | None, now: datetime) -> CaseFilter:
    """The GraphQL filter as a domain request; domain.queries.case_filter_for decides what the
    principal may filter by (customers: their own cases, staff filters ignored)."""
    f = f or SupportCaseFilter()
    customer_id: str | None = None
    if f.customer_id is not None:
        # An id that is not a user's matches nothing rather than everything.
        customer_id = decode_expected(f.customer_id, "User") or "-"
    assignee_id: str | None = None
    if f.assignee_id is not None:
        assignee_id = decode_expected(f.assignee_id, "User") or "-"
    order = f.order
    if order is not None:
        # An Order.id names the order system's id; anything else is passed on as typed.
        order = decode_expected(order.strip(), "Order") or order
    request = CaseListRequest(
        statuses=tuple(f.status or ()),
        priorities=tuple(f.priority or ()),
        assigned_to_me=bool(f.assigned_to_me),
        unassigned=bool(f.unassigned),
        customer_id=customer_id,
        search=f.search,
        overdue=f.overdue,
        categories=tuple(f.category or ()),
        text=f.text,
        order=order,
        customer_email=f.customer_email,
        assignee_id=assignee_id,
        created_after=f.created_after,
        created_before=f.created_before,
        updated_after=f.updated_after,
        updated_before=f.updated_before,
    )
    try:
        return case_filter_for(principal, request, now)
    except ValidationFailed as exc:  # e.g. control characters in `search`, an empty range
        raise argument_error(exc) from None


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


MacroPreviewResult = Annotated[
    MacroPreview | ValidationFailedResult | NotFoundResult | OrderUnavailableResult,
    strawberry.union(
        "MacroPreviewResult",
        description="The filled text, or why the macro cannot be used on this case.",
    ),
]


def _validation_error(exc: DomainError) -> Exception:
    return InvalidArgument(exc.message)


@strawberry.type(description="Reads.")
class Query:
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
            return await _visible_case(info, internal)
        if type_name == "User":
            user = await loaders.user_by_id.load(internal)
            if user is None or not visibility.may_see_user(principal, user):
                return None
            return User.from_domain(user)
        if type_name == "Message":
            message = await loaders.message_by_id.load(internal)
            if message is None or not visibility.may_see_message(principal, message):
                return None
            if await _visible_case(info, message.case_id) is None:
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
            if await _visible_case(info, event.case_id) is None:
                return None
            return CaseEvent.from_domain(event)
        if type_name == "Order":
            return await _visible_order(info, principal, internal)
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
        return await _visible_case(info, internal) if internal else None

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
        case_filter = _case_filter(principal, filter, info.context.services.clock.now())
        try:
            page = await reads.list_cases(
                case_filter, first=page_size(first), after=after, sort=sort
            )
        except DomainError as exc:
            raise _validation_error(exc) from None
        await prime_cases(info, page.items)

        async def count() -> int:
            return await reads.count_cases(case_filter)

        return SupportCaseConnection.from_page(page, count)

    @field(
        description="The logged-in customer's orders, from the order system (newest first).",
        permission_classes=[IsAuthenticated],
    )
    async def my_orders(
        self, info: Info, first: FirstArg = 20, after: AfterArg = None
    ) -> OrderConnection:
        principal = info.context.require_principal()
        try:
            size = page_size(first)
        except ValidationFailed as exc:
            raise argument_error(exc) from None
        try:
            page = await my_orders(info.context.services, principal, first=size, after=after)
        except OrderUnavailable as exc:
            raise OrderUnavailableError(exc.message) from None
        except DomainError as exc:  # e.g. a forged `after` cursor
            raise _validation_error(exc) from None
        return OrderConnection.from_page(page)

    @field(description="An order by id; null if missing or not yours.")
    async def order(self, info: Info, id: OrderId) -> Order | None:
        principal = info.context.require_principal()
        internal = decode_expected(id, "Order")
        return await _visible_order(info, principal, internal) if internal else None

    @field(
        description="What could be refunded on an order now.",
        permission_classes=[IsAuthenticated],
    )
    async def refund_quote(self, info: Info, order_id: OrderId) -> RefundQuote:
        principal = info.context.require_principal()
        internal = decode_expected(order_id, "Order")
        if internal is None:
            raise NotFoundError("Order not found")
        try:
            quote = await refund_quote(info.context.services, principal, internal)
        except NotFound:
            raise NotFoundError("Order not found") from None
        except OrderUnavailable as exc:
            raise OrderUnavailableError(exc.message) from None
        return RefundQuote.from_domain(quote)

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
        try:
            page = await info.context.services.reads.list_staff(first=page_size(first), after=after)
        except DomainError as exc:
            raise _validation_error(exc) from None
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
        order_id = decode_expected(f.order_id, "Order") or "-" if f.order_id else None
        reads = info.context.services.reads
        refund_filter = RefundFilter(statuses=tuple(f.status or ()), order_id=order_id)
        try:
            page = await reads.list_refunds(refund_filter, first=page_size(first), after=after)
        except DomainError as exc:
            raise _validation_error(exc) from None

        async def count() -> int:
            return await reads.count_refunds(refund_filter)

        return RefundConnection.from_page(page, count)

    @field(
        description="Admin actions (user administration), newest first (admins only).",
        permission_classes=[IsAdmin],
    )
    async def audit_log(
        self, info: Info, first: FirstArg = 20, after: AfterArg = None
    ) -> AuditEntryConnection:
        actor = AdminActor.of(info.context.require_principal())
        try:
            page = await audit_log(info.context.services, actor, first=first, after=after)
        except DomainError as exc:
            raise _validation_error(exc) from None
        return AuditEntryConnection.from_page(page)

    @field(
        description="The shop endpoints receiving outbound webhooks, oldest first (admins only).",
        permission_classes=[IsAdmin],
    )
    async def webhook_endpoints(self, info: Info) -> list[WebhookEndpoint]:
        actor = AdminActor.of(info.context.require_principal())
        found = await webhooks.list_endpoints(info.context.services, actor)
        return [WebhookEndpoint.from_domain(e) for e in found]

    @field(
        description="Outbound webhook deliveries with their last answer, newest first (admins "
        "only); optionally of one endpoint or in some states.",
        permission_classes=[IsAdmin],
    )
    async def webhook_deliveries(
        self,
        info: Info,
        first: FirstArg = 20,
        after: AfterArg = None,
        endpoint_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="WebhookEndpoint.id")
        ] = None,
        state: Annotated[
            list[WebhookDeliveryState] | None,
            strawberry.argument(description="Any of these states."),
        ] = None,
    ) -> WebhookDeliveryConnection:
        actor = AdminActor.of(info.context.require_principal())
        internal_endpoint: str | None = None
        if endpoint_id is not None:
            internal_endpoint = decode_expected(endpoint_id, "WebhookEndpoint") or "-"
        try:
            page = await webhooks.list_deliveries(
                info.context.services,
                actor,
                first=first,
                after=after,
                endpoint_id=internal_endpoint,
                states=tuple(state or ()),
            )
        except DomainError as exc:
            raise _validation_error(exc) from None
        return WebhookDeliveryConnection.from_page(page)

    @field(
        description="How much refund work is waiting: jobs by state and the oldest pending one's "
        "age (admins only; the figures of /metrics).",
        permission_classes=[IsAdmin],
    )
    async def queue_depths(self, info: Info) -> QueueDepths:
        services = info.context.services
        depths = await refund_queue_depths(services)
        return QueueDepths(
            pending=depths.pending,
            due=depths.due,
            leased=depths.leased,
            dead=depths.dead,
            done=depths.done,
            oldest_pending_age_seconds=depths.oldest_pending_age_seconds(services.clock.now()),
        )

    @field(
        description="Refund jobs a worker gave up on (DEAD: the gateway refused the request as "
        "invalid, or its outcome stayed unknown too long); their refunds stay PROCESSING. "
        "`retryRefund` runs one again. Admins only.",
        permission_classes=[IsAdmin],
    )
    async def dead_refund_jobs(
        self, info: Info, first: FirstArg = 20, after: AfterArg = None
    ) -> RefundJobConnection:
        actor = AdminActor.of(info.context.require_principal())
        try:
            page = await dead_refund_jobs(info.context.services, actor, first=first, after=after)
        except DomainError as exc:
            raise _validation_error(exc) from None
        return RefundJobConnection.from_page(page)

    @field(
        description="The shared macros (canned replies), by title (agents and admins).",
        permission_classes=[IsAgent],
    )
    async def macros(
        self, info: Info, first: FirstArg = 20, after: AfterArg = None
    ) -> MacroConnection:
        principal = info.context.require_principal()
        try:
            page = await manage_macros.list_macros(
                info.context.services, principal, first=first, after=after
            )
        except DomainError as exc:
            raise _validation_error(exc) from None
        return MacroConnection.from_page(page)

    @field(
        description="Every placeholder a macro body may use (agents and admins).",
        permission_classes=[IsAgent],
    )
    def macro_placeholders(self, info: Info) -> list[MacroPlaceholder]:
        return placeholders_of(manage_macros.placeholders(info.context.require_principal()))

    @field(
        description="What a macro (`macroId`) or an unsaved body (`body`) would post on a case, "
        "filled from it; give exactly one of the two (agents and admins).",
        permission_classes=[IsAgent],
    )
    async def macro_preview(
        self,
        info: Info,
        case_id: CaseId,
        macro_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Macro.id")
        ] = None,
        body: Annotated[
            str | None, strawberry.argument(description="A body to try before saving it.")
        ] = None,
    ) -> MacroPreviewResult:
        principal = info.context.require_principal()
        try:
            case_internal = decode_expected(case_id, "SupportCase")
            if case_internal is None:
                raise NotFound("Case")
            macro_internal: str | None = None
            if macro_id is not None:
                macro_internal = decode_expected(macro_id, "Macro")
                if macro_internal is None:
                    raise NotFound("Macro")
            rendered = await apply_macro.preview_macro(
                info.context.services,
                principal,
                case_internal,
                macro_id=macro_internal,
                body=body,
            )
        except Forbidden as exc:
            raise ForbiddenError(exc.message) from None
        except DomainError as exc:
            return to_graphql_error(exc)  # type: ignore[return-value]
        return MacroPreview(model=rendered)

    @field(
        description="Customer satisfaction (ratings of resolved cases) in a period, overall and "
        "per agent; `agentId` narrows it to one agent (agents and admins).",
        permission_classes=[IsAgent],
    )
    async def satisfaction_report(
        self,
        info: Info,
        since: Annotated[
            datetime | None,
            strawberry.argument(description="Start (inclusive); default: 30 days before until."),
        ] = None,
        until: Annotated[
            datetime | None, strawberry.argument(description="End (exclusive); default: now.")
        ] = None,
        agent_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this agent (User.id).")
        ] = None,
    ) -> SatisfactionReport:
        principal = info.context.require_principal()
        end = until or info.context.services.clock.now()
        start = since or end - timedelta(days=30)
        agent: str | None = None
        if agent_id is not None:
            # An id that is not a user's matches nothing rather than everything.
            agent = decode_expected(agent_id, "User") or "-"
        try:
            report = await satisfaction_report(
                info.context.services, principal, since=start, until=end, agent_id=agent
            )
        except Forbidden as exc:
            raise ForbiddenError(exc.message) from None
        except ValidationFailed as exc:
            raise argument_error(exc) from None
        return SatisfactionReport(model=report)


async def _visible_case(info: Info, case_id: str) -> SupportCase | None:
    principal = info.context.require_principal()
    case = await info.context.loaders.case_by_id.load(case_id)
    if case is None or not visibility.may_see_case(principal, case):
        return None
    return SupportCase.from_domain(case)


async def _visible_order(info: Info, principal: Principal, order_id: str) -> Order | None:
    try:
        order = await visible_order(info.context.services, principal, order_id)
    except NotFound:
        return None
    except OrderUnavailable as exc:
        raise OrderUnavailableError(exc.message) from None
    return Order.from_domain(order)
