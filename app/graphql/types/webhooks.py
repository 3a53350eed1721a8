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
from app.graphql.relations import then
from app.graphql.types.common import _enum
from app.graphql.types.connections import Connection, connection
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

    @classmethod
    def from_domain(cls, endpoint: dw.WebhookEndpoint) -> WebhookEndpoint:
        return cls(model=endpoint)

    @field(description="The endpoint's id.")
    def id(self) -> strawberry.ID:
        return encode_id("WebhookEndpoint", self.model.id)

    @field(description="Where deliveries are POSTed.")
    def url(self) -> str:
        return self.model.url

    @field(description="A note for admins (may be empty).")
    def description(self) -> str:
        return self.model.description

    @field(description="The events it receives.")
    def events(self) -> list[dw.WebhookEvent]:
        return sorted(self.model.events, key=list(dw.WebhookEvent).index)

    @field(description="Whether deliveries are sent to it.")
    def active(self) -> bool:
        return self.model.active

    @field(
        description="Why it is disabled (by an admin, or after repeated failures); null if active."
    )
    def disabled_reason(self) -> str | None:
        return self.model.disabled_reason

    @field(description="When it was disabled; null if active.")
    def disabled_at(self) -> datetime | None:
        return self.model.disabled_at

    @field(
        description="Failed attempts in a row (reset by a success); at the limit it is disabled."
    )
    def consecutive_failures(self) -> int:
        return self.model.consecutive_failures

    @field(
        description="While a secret rotation's grace period runs: when the previous secret stops "
        "signing (deliveries carry two signatures until then); null otherwise."
    )
    def previous_secret_expires_at(self, info: Info) -> datetime | None:
        return self.model.rotation_ends_at(info.context.services.clock.now())

    @field(description="When it was registered.")
    def created_at(self) -> datetime:
        return self.model.created_at

    @field(description="When an admin or the worker last changed it.")
    def updated_at(self) -> datetime:
        return self.model.updated_at


@strawberry.type(description="One message to one endpoint, its attempts and the last answer.")
class WebhookDelivery:
    model: strawberry.Private[dw.WebhookDelivery]

    @classmethod
    def from_domain(cls, delivery: dw.WebhookDelivery) -> WebhookDelivery:
        return cls(model=delivery)

    @field(description="The delivery's id.")
    def id(self) -> strawberry.ID:
        return encode_id("WebhookDelivery", self.model.id)

    @field(description="The `webhook-id` header: the same on every attempt and every resend.")
    def message_id(self) -> str:
        return self.model.message_id

    @field(description="What it tells.")
    def event_type(self) -> dw.WebhookEvent:
        return self.model.event_type

    @field(description="The JSON body exactly as sent (and signed).")
    def payload(self) -> str:
        return self.model.payload

    @field(description="Where it stands.")
    def state(self) -> dw.WebhookDeliveryState:
        return self.model.state

    @field(description="Attempts made so far.")
    def attempts(self) -> int:
        return self.model.attempts

    @field(description="When the next attempt is due (PENDING only).")
    def next_attempt_at(self) -> datetime | None:
        return (
            self.model.next_attempt_at
            if self.model.state is dw.WebhookDeliveryState.PENDING
            else None
        )

    @field(description="When the last attempt was made.")
    def last_attempt_at(self) -> datetime | None:
        return self.model.last_attempt_at

    @field(description="The HTTP status of the last answer; null when none came.")
    def response_status(self) -> int | None:
        return self.model.last_status

    @field(description="The start of the last answer's body (at most 1000 characters).")
    def response_body(self) -> str | None:
        return self.model.last_response

    @field(description="Why the last attempt got no answer (timeout, refused...), if so.")
    def error(self) -> str | None:
        return self.model.last_error

    @field(description="When the endpoint accepted it.")
    def delivered_at(self) -> datetime | None:
        return self.model.delivered_at

    @field(description="When it was queued.")
    def created_at(self) -> datetime:
        return self.model.created_at

    @field(description="Whether an admin queued it as a resend of another delivery.")
    def is_resend(self) -> bool:
        return self.model.resend_of is not None

    @field(description="The endpoint it goes to.")
    def endpoint(self, info: Info) -> WebhookEndpoint | None:
        return then(
            info.context.loaders.webhook_endpoint_by_id.load(self.model.endpoint_id),
            lambda found: WebhookEndpoint.from_domain(found) if found is not None else None,
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
