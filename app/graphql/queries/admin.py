"""What admins read: the audit log, outbound webhooks and the refund job queue."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.graphql.context import Info
from app.graphql.fields import field
from app.graphql.permissions import IsAdmin
from app.graphql.queries.common import filter_id, read_page
from app.graphql.types.admin import AuditEntryConnection
from app.graphql.types.common import (
    AfterArg,
    FirstArg,
)
from app.graphql.types.ops import QueueDepths, RefundJobConnection
from app.graphql.types.webhooks import WebhookDeliveryConnection, WebhookEndpoint
from domain.admin import AdminActor
from domain.outbound_webhooks import WebhookDeliveryState
from domain.usecases import outbound_webhooks as webhooks
from domain.usecases.admin_users import audit_log
from domain.usecases.ops import dead_refund_jobs, refund_queue_depths


@strawberry.type
class AdminQueries:
    @field(
        description="Admin actions (user administration), newest first (admins only).",
        permission_classes=[IsAdmin],
    )
    async def audit_log(
        self, info: Info, first: FirstArg = 20, after: AfterArg = None
    ) -> AuditEntryConnection:
        actor = AdminActor.of(info.context.require_principal())
        page = await read_page(
            lambda: audit_log(info.context.services, actor, first=first, after=after)
        )
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
        page = await read_page(
            lambda: webhooks.list_deliveries(
                info.context.services,
                actor,
                first=first,
                after=after,
                endpoint_id=filter_id(endpoint_id, "WebhookEndpoint"),
                states=tuple(state or ()),
            )
        )
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
        page = await read_page(
            lambda: dead_refund_jobs(info.context.services, actor, first=first, after=after)
        )
        return RefundJobConnection.from_page(page)
