from __future__ import annotations

import strawberry

from app.graphql.context import Info
from app.graphql.fields import mutation
from app.graphql.mutations._webhooks import on_endpoint
from app.graphql.permissions import IsAdmin
from app.graphql.types.errors import NotFound, ValidationFailed
from app.graphql.types.webhooks import WebhookEndpoint
from domain.outbound_webhooks import WebhookEvent
from domain.usecases import outbound_webhooks as use_case


@strawberry.input(description="What to change on an endpoint; omitted fields stay as they are.")
class UpdateWebhookEndpointInput:
    endpoint_id: strawberry.ID = strawberry.field(description="WebhookEndpoint.id")
    url: str | None = strawberry.field(default=None, description="A new URL.")
    events: list[WebhookEvent] | None = strawberry.field(
        default=None, description="The events it receives from now on (at least one)."
    )
    description: str | None = strawberry.field(default=None, description="A new note.")
    active: bool | None = strawberry.field(
        default=None,
        description="false: disable it (deliveries wait); true: enable it again (the failure "
        "count restarts and waiting deliveries are sent).",
    )


@strawberry.type(description="The endpoint after the change.")
class WebhookEndpointUpdated:
    endpoint: WebhookEndpoint = strawberry.field(description="The endpoint as it is now.")


UpdateWebhookEndpointResult = WebhookEndpointUpdated | NotFound | ValidationFailed


@mutation(
    permission_classes=[IsAdmin],
    description="Change an endpoint's URL, events or note, or disable/enable it (admins).",
)
async def update_webhook_endpoint(
    info: Info,
    input: UpdateWebhookEndpointInput,
) -> UpdateWebhookEndpointResult:
    return await on_endpoint(  # type: ignore[return-value]
        info,
        input.endpoint_id,
        lambda endpoint: WebhookEndpointUpdated(endpoint=WebhookEndpoint.from_domain(endpoint)),
        use_case.update_endpoint,
        url=input.url,
        events=input.events,
        description=input.description,
        active=input.active,
    )
