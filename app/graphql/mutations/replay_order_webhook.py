from __future__ import annotations

import strawberry

from app.graphql.context import Info
from app.graphql.fields import mutation
from app.graphql.mutations._objects import admin_actor
from app.graphql.mutations._run import run_then
from app.graphql.permissions import IsAdmin
from app.graphql.types.errors import NotFound, ValidationFailed
from domain.order_events import OrderEventOutcome
from domain.usecases import apply_order_event as use_case
from domain.usecases.apply_order_event import OrderEventResult


@strawberry.input(description="The stored order webhook delivery to apply again.")
class ReplayOrderWebhookInput:
    delivery_id: str = strawberry.field(
        description="The delivery's `webhook-id` (Standard Webhooks), as the order system sent it."
    )


@strawberry.type(description="The delivery was applied again.")
class OrderWebhookReplayed:
    delivery_id: str = strawberry.field(description="The delivery replayed.")
    outcome: OrderEventOutcome = strawberry.field(
        description="APPLIED: the event was newer than what is applied (timelines updated); "
        "OUTDATED: it changed nothing but the order cache, which asks the order system again."
    )
    cases_updated: int = strawberry.field(
        description="Cases whose timeline got an ORDER_UPDATED entry."
    )


ReplayOrderWebhookResult = OrderWebhookReplayed | NotFound | ValidationFailed


@mutation(
    permission_classes=[IsAdmin],
    description="Admins: apply a stored order webhook delivery again (kept for the replay window, "
    "RETENTION_WEBHOOK_DELIVERY_DAYS): the order cache learns of the change again, and the "
    "order's state and case timelines advance if the event is newer than what is applied. "
    "NotFound when no such delivery is kept; ValidationFailed when it was stored without its "
    "payload. Audited.",
)
async def replay_order_webhook(
    info: Info, input: ReplayOrderWebhookInput
) -> ReplayOrderWebhookResult:
    actor = admin_actor(info)

    def payload(result: OrderEventResult) -> OrderWebhookReplayed:
        return OrderWebhookReplayed(
            delivery_id=input.delivery_id,
            outcome=result.outcome,
            cases_updated=len(result.case_ids),
        )

    return await run_then(  # type: ignore[return-value]
        lambda: use_case.replay_order_webhook(info.context.services, actor, input.delivery_id),
        payload,
    )
