from __future__ import annotations

import strawberry

from app.graphql.context import Info
from app.graphql.fields import mutation
from app.graphql.mutations._webhooks import on_delivery
from app.graphql.permissions import IsAdmin
from app.graphql.types.errors import NotFound
from app.graphql.types.webhooks import WebhookDelivery
from domain.usecases import outbound_webhooks as use_case


@strawberry.input(description="Which delivery resendWebhookDelivery sends again.")
class ResendWebhookDeliveryInput:
    delivery_id: strawberry.ID = strawberry.field(description="WebhookDelivery.id")


@strawberry.type(description="A new delivery of the same message was queued.")
class WebhookDeliveryResent:
    delivery: WebhookDelivery = strawberry.field(
        description="The new delivery (PENDING; same messageId and payload)."
    )


ResendWebhookDeliveryResult = WebhookDeliveryResent | NotFound


@mutation(
    permission_classes=[IsAdmin],
    description="Send a delivery again, as a new delivery of the same message (admins). The "
    "worker sends it as soon as the endpoint is active.",
)
async def resend_webhook_delivery(
    info: Info,
    input: ResendWebhookDeliveryInput,
) -> ResendWebhookDeliveryResult:
    return await on_delivery(  # type: ignore[return-value]
        info,
        input.delivery_id,
        lambda delivery: WebhookDeliveryResent(delivery=WebhookDelivery.from_domain(delivery)),
        use_case.resend_delivery,
    )
