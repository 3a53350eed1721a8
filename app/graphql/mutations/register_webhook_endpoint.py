from __future__ import annotations

import strawberry

from app.graphql.context import Info
from app.graphql.fields import mutation
from app.graphql.mutations._objects import admin_actor
from app.graphql.mutations._run import run_then
from app.graphql.permissions import IsAdmin
from app.graphql.types.errors import ValidationFailed
from app.graphql.types.webhooks import WebhookEndpoint
from domain.outbound_webhooks import WebhookEvent
from domain.usecases import outbound_webhooks as use_case


@strawberry.input(description="A shop endpoint to send signed webhooks to.")
class RegisterWebhookEndpointInput:
    url: str = strawberry.field(description="An http:// or https:// URL (at most 2000 characters).")
    events: list[WebhookEvent] = strawberry.field(description="What it receives (at least one).")
    description: str = strawberry.field(default="", description="A note for admins.")


@strawberry.type(description="The endpoint was registered; its secret is shown this once.")
class WebhookEndpointRegistered:
    endpoint: WebhookEndpoint = strawberry.field(description="The new endpoint (active).")
    secret: str = strawberry.field(
        description="The signing secret (`whsec_...`): give it to the receiver now; it is never "
        "shown again (rotate it to get a new one)."
    )


RegisterWebhookEndpointResult = WebhookEndpointRegistered | ValidationFailed


@mutation(
    permission_classes=[IsAdmin],
    description="Register a shop endpoint for outbound webhooks (admins). Returns its signing "
    "secret once.",
)
async def register_webhook_endpoint(
    info: Info,
    input: RegisterWebhookEndpointInput,
) -> RegisterWebhookEndpointResult:
    actor = admin_actor(info)
    return await run_then(  # type: ignore[return-value]
        lambda: use_case.register_endpoint(
            info.context.services,
            actor,
            url=input.url,
            events=input.events,
            description=input.description,
        ),
        lambda made: WebhookEndpointRegistered(
            endpoint=WebhookEndpoint.from_domain(made.endpoint), secret=made.secret
        ),
    )
