"""What the outbound webhook mutations share (admins manage endpoints and deliveries)."""

from __future__ import annotations

from app.graphql.mutations._objects import OnObject, admin_actor
from app.graphql.mutations._run import internal_id
from domain.admin import AdminActor


def endpoint_id(global_id: str) -> str:
    """The internal id of a WebhookEndpoint.id argument (NotFound otherwise)."""
    return internal_id(global_id, "WebhookEndpoint", "Webhook endpoint")


def delivery_id(global_id: str) -> str:
    """The internal id of a WebhookDelivery.id argument (NotFound otherwise)."""
    return internal_id(global_id, "WebhookDelivery", "Webhook delivery")


on_endpoint: OnObject[AdminActor] = OnObject(admin_actor, endpoint_id)
on_delivery: OnObject[AdminActor] = OnObject(admin_actor, delivery_id)
