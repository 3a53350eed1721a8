"""Outbound webhooks (admins only): endpoints, their deliveries and the shared enums.

A signing secret never appears on these types: registerWebhookEndpoint and rotateWebhookSecret
return it once, in their success payload."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import strawberry

from app.graphql.context import Info
from app.graphql.fields import field
from app.graphql.ids import encode_id
from app.graphql.relations import or_none, then
from app.graphql.types.common import _enum
from app.graphql.types.connections import Connection, connection
from app.graphql.types.from_model import from_model
from domain import outbound_webhooks as dw

_enum(
    dw.WebhookEvent,
    "What an outbound webhook tells the shop (the payload's `type` is the dotted name).",
    {
        dw.WebhookEvent.CASE_OPENED: "`case.opened`: a customer opened a case.",
        dw.WebhookEvent.CASE_RESOLVED: "`case.resolved`: a case was resolved.",
        dw.WebhookEvent.REFUND_REQUESTED: "`refund.requested`: a refund was requested.",
        dw.WebhookEvent.REFUND_APPROVED: "`refund.approved`: a refund was approved.",
        dw.WebhookEvent.REFUND_PAID: "`refund.paid`: the payment gateway paid a refund.",
        dw.WebhookEvent.REFUND_FAILED: "`refund.failed`: the payment gateway declined a refund.",
    },
)
_enum(
    dw.WebhookDeliveryState,
    "Where a webhook delivery stands.",
    {
        dw.WebhookDeliveryState.PENDING: "Waiting for its next attempt (or being sent now).",
        dw.WebhookDeliveryState.DELIVERED: "The endpoint answered 2xx.",
        dw.WebhookDeliveryState.FAILED: "Every attempt failed; resend it to try again.",
    },
)


@strawberry.type(description="A shop endpoint that receives signed webhooks (admins only).")
class WebhookEndpoint:
    model: strawberry.Private[dw.WebhookEndpoint]
    id: strawberry.ID = strawberry.field(description="The endpoint's id.")
    url: str = strawberry.field(description="Where deliveries are POSTed.")
    description: str = strawberry.field(description="A note for admins (may be empty).")
    events: list[dw.WebhookEvent] = strawberry.field(description="The events it receives.")
    active: bool = strawberry.field(description="Whether deliveries are sent to it.")
    disabled_reason: str | None = strawberry.field(
        description="Why it is disabled (by an admin, or after repeated failures); null if active."
    )
    disabled_at: datetime | None = strawberry.field(
        description="When it was disabled; null if active."
    )
    consecutive_failures: int = strawberry.field(
        description="Failed attempts in a row (reset by a success); at the limit it is disabled."
    )

    def _previous_secret_expires_at(self, info: Info) -> datetime | None:
        return self.model.rotation_ends_at(info.context.services.clock.now())

    # A resolver declared in place (@field would list it after every plain field): the schema
    # keeps its field order.
    previous_secret_expires_at: datetime | None = strawberry.field(
        resolver=_previous_secret_expires_at,
        description="While a secret rotation's grace period runs: when the previous secret stops "
        "signing (deliveries carry two signatures until then); null otherwise.",
    )
    created_at: datetime = strawberry.field(description="When it was registered.")
    updated_at: datetime = strawberry.field(
        description="When an admin or the worker last changed it."
    )

    @classmethod
    def from_domain(cls, endpoint: dw.WebhookEndpoint) -> WebhookEndpoint:
        return from_model(
            cls,
            endpoint,
            id=encode_id("WebhookEndpoint", endpoint.id),
            events=sorted(endpoint.events, key=list(dw.WebhookEvent).index),
        )


@strawberry.type(description="One message to one endpoint, its attempts and the last answer.")
class WebhookDelivery:
    model: strawberry.Private[dw.WebhookDelivery]
    id: strawberry.ID = strawberry.field(description="The delivery's id.")
    message_id: str = strawberry.field(
        description="The `webhook-id` header: the same on every attempt and every resend."
    )
    event_type: dw.WebhookEvent = strawberry.field(description="What it tells.")
    payload: str = strawberry.field(description="The JSON body exactly as sent (and signed).")
    state: dw.WebhookDeliveryState = strawberry.field(description="Where it stands.")
    attempts: int = strawberry.field(description="Attempts made so far.")
    next_attempt_at: datetime | None = strawberry.field(
        description="When the next attempt is due (PENDING only)."
    )
    last_attempt_at: datetime | None = strawberry.field(
        description="When the last attempt was made."
    )
    response_status: int | None = strawberry.field(
        description="The HTTP status of the last answer; null when none came."
    )
    response_body: str | None = strawberry.field(
        description="The start of the last answer's body (at most 1000 characters)."
    )
    error: str | None = strawberry.field(
        description="Why the last attempt got no answer (timeout, refused...), if so."
    )
    delivered_at: datetime | None = strawberry.field(description="When the endpoint accepted it.")
    created_at: datetime = strawberry.field(description="When it was queued.")
    is_resend: bool = strawberry.field(
        description="Whether an admin queued it as a resend of another delivery."
    )

    @field(description="The endpoint it goes to.")
    def endpoint(self, info: Info) -> WebhookEndpoint | None:
        return then(
            info.context.loaders.webhook_endpoint_by_id.load(self.model.endpoint_id),
            or_none(WebhookEndpoint.from_domain),
        )

    @classmethod
    def from_domain(cls, delivery: dw.WebhookDelivery) -> WebhookDelivery:
        pending = delivery.state is dw.WebhookDeliveryState.PENDING
        return from_model(
            cls,
            delivery,
            id=encode_id("WebhookDelivery", delivery.id),
            next_attempt_at=delivery.next_attempt_at if pending else None,
            response_status=delivery.last_status,
            response_body=delivery.last_response,
            error=delivery.last_error,
            is_resend=delivery.resend_of is not None,
        )


if TYPE_CHECKING:
    WebhookDeliveryConnection = Connection[WebhookDelivery]
else:
    WebhookDeliveryConnection = connection(
        WebhookDelivery,
        WebhookDelivery.from_domain,
        description="A page of webhook deliveries, newest first.",
        edges="The deliveries of this page.",
        edge_description="An edge of a webhook delivery connection.",
        cursor="Position of this delivery.",
        node_description="The delivery.",
    )
