from __future__ import annotations

from datetime import datetime, timedelta

import strawberry

from app.graphql.context import Info
from app.graphql.fields import mutation
from app.graphql.mutations._webhooks import on_endpoint
from app.graphql.permissions import IsAdmin
from app.graphql.types.errors import NotFound, ValidationFailed
from app.graphql.types.webhooks import WebhookEndpoint
from domain.usecases import outbound_webhooks as use_case


@strawberry.input(
    description="Whose secret rotateWebhookSecret replaces; how long the old one still signs."
)
class RotateWebhookSecretInput:
    endpoint_id: strawberry.ID = strawberry.field(description="WebhookEndpoint.id")
    grace_period_seconds: int | None = strawberry.field(
        default=None,
        description="How long deliveries stay signed with the old secret too (two signatures), "
        "0..604800; default: the service's setting (24 h). 0 stops the old secret at once.",
    )


@strawberry.type(description="A new secret; shown this once.")
class WebhookSecretRotated:
    endpoint: WebhookEndpoint = strawberry.field(description="The endpoint.")
    secret: str = strawberry.field(
        description="The new signing secret (`whsec_...`): never shown again."
    )
    previous_secret_expires_at: datetime | None = strawberry.field(
        description="Until when the old secret signs too; null when it stopped at once."
    )


RotateWebhookSecretResult = WebhookSecretRotated | NotFound | ValidationFailed


@mutation(
    permission_classes=[IsAdmin],
    description="Give an endpoint a new signing secret (admins); the old one keeps signing "
    "during the grace period, so the receiver can switch without losing a delivery.",
)
async def rotate_webhook_secret(
    info: Info, input: RotateWebhookSecretInput
) -> RotateWebhookSecretResult:
    clock = info.context.services.clock
    grace = input.grace_period_seconds

    def rotated(made: use_case.EndpointWithSecret) -> WebhookSecretRotated:
        return WebhookSecretRotated(
            endpoint=WebhookEndpoint.from_domain(made.endpoint),
            secret=made.secret,
            previous_secret_expires_at=made.endpoint.rotation_ends_at(clock.now()),
        )

    return await on_endpoint(  # type: ignore[return-value]
        info,
        input.endpoint_id,
        rotated,
        use_case.rotate_secret,
        grace=None if grace is None else timedelta(seconds=grace),
    )
