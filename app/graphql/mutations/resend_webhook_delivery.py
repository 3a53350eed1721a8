from __future__ import annotations

from typing import Annotated

import strawberry

from app.graphql.context import Info
from app.graphql.mutations._run import input_argument, result_union, run_then
from app.graphql.mutations._webhooks import delivery_id
from app.graphql.permissions import IsAdmin
from app.graphql.types.errors import NotFound
from app.graphql.types.webhooks import WebhookDelivery
from domain.admin import AdminActor
from domain.usecases import outbound_webhooks as use_case


@strawberry.input(description="Which delivery resendWebhookDelivery sends again.")
class ResendWebhookDeliveryInput:
    delivery_id: strawberry.ID = strawberry.field(description="WebhookDelivery.id")


@strawberry.type(description="A new delivery of the same message was queued.")
class WebhookDeliveryResent:
    delivery: WebhookDelivery = strawberry.field(
        description="The new delivery (PENDING; same messageId and payload)."
    )


ResendWebhookDeliveryResult = Annotated[
    WebhookDeliveryResent | NotFound,
    result_union("resendWebhookDelivery"),
]


async def resend_webhook_delivery(
    info: Info,
    input: Annotated[ResendWebhookDeliveryInput, input_argument("resendWebhookDelivery")],
) -> ResendWebhookDeliveryResult:
    actor = AdminActor.of(info.context.require_principal())
    return await run_then(  # type: ignore[return-value]
        lambda: use_case.resend_delivery(
            info.context.services, actor, delivery_id(input.delivery_id)
        ),
        lambda delivery: WebhookDeliveryResent(delivery=WebhookDelivery.from_domain(delivery)),
    )


field = strawberry.mutation(
    resolver=resend_webhook_delivery,
    permission_classes=[IsAdmin],
    description="Send a delivery again, as a new delivery of the same message (admins). The "
    "worker sends it as soon as the endpoint is active.",
)
