"""Outbound webhooks: what admins do with endpoints and deliveries, and the webhook worker's step.

Admin actions (admins only; the GraphQL layer checks first, these check again):
register, change (url, events, description, enable/disable), rotate the secret (the new one is
returned once, the old one keeps signing for the grace period), resend a delivery, list.
Each change is written to the audit log in the transaction of the change (WEBHOOK_* actions);
the details name the endpoint or delivery and never hold a secret.

The worker's step (`run_next_webhook_delivery`): lease the delivery due first (its own short
transaction), send it signed with the endpoint's signing secrets (no transaction open), then
record the attempt (domain.outbound_webhooks.attempt_outcome) while the lease is still ours.
A worker that dies mid-send loses nothing: the lease expires and the delivery is sent again
with the same webhook-id (receivers drop duplicates by id, as Standard Webhooks asks).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from domain.admin import AdminActor, AuditAction
from domain.errors import NotFound
from domain.outbound_webhooks import (
    DeliveryFilter,
    SendResult,
    WebhookDelivery,
    WebhookDeliveryState,
    WebhookEndpoint,
    WebhookEvent,
    WebhookPost,
    attempt_outcome,
)
from domain.ports import WebhookSender, WebhookStore
from domain.queries import Page, page_size
from domain.usecases.ops import audit_entry, require_admin
from domain.usecases.services import Services

log = logging.getLogger("webhooks.worker")


def _store(services: Services) -> WebhookStore:
    if services.webhooks is None:
        raise RuntimeError("outbound webhooks are not wired (Services.webhooks)")
    return services.webhooks


async def _endpoint(store: WebhookStore, endpoint_id: str) -> WebhookEndpoint:
    endpoint = await store.get_endpoint(endpoint_id)
    if endpoint is None:
        raise NotFound("Webhook endpoint")
    return endpoint


def _endpoint_details(endpoint: WebhookEndpoint) -> dict[str, str]:
    """What the audit log shows of an endpoint (never its secrets)."""
    return {
        "endpoint": endpoint.id,
        "url": endpoint.url,
        "events": ",".join(sorted(e.name for e in endpoint.events)),  # as in GraphQL
        "active": "true" if endpoint.active else "false",
        "description": endpoint.description,
    }


@dataclass(frozen=True, slots=True)
class EndpointWithSecret:
    """An endpoint and its new secret: shown once, never readable again."""

    endpoint: WebhookEndpoint
    secret: str


async def register_endpoint(
    services: Services,
    actor: AdminActor,
    *,
    url: str,
    events: Sequence[WebhookEvent],
    description: str = "",
) -> EndpointWithSecret:
    require_admin(actor)
    endpoint = WebhookEndpoint.register(
        url=url,
        events=events,
        description=description,
        now=services.clock.now(),
        allow_private_targets=services.webhook_delivery.allow_private_targets,
    )
    entry = audit_entry(
        services, actor, AuditAction.WEBHOOK_ENDPOINT_REGISTERED, **_endpoint_details(endpoint)
    )
    await _store(services).add_endpoint(endpoint, audit=entry)
    return EndpointWithSecret(endpoint, endpoint.secret)


async def update_endpoint(
    services: Services,
    actor: AdminActor,
    endpoint_id: str,
    *,
    url: str | None = None,
    events: Sequence[WebhookEvent] | None = None,
    description: str | None = None,
    active: bool | None = None,
) -> WebhookEndpoint:
    require_admin(actor)
    store = _store(services)
    endpoint = await _endpoint(store, endpoint_id)
    before = _endpoint_details(endpoint)
    endpoint.change(
        now=services.clock.now(),
        url=url,
        events=events,
        description=description,
        active=active,
        allow_private_targets=services.webhook_delivery.allow_private_targets,
    )
    after = _endpoint_details(endpoint)
    changed = ",".join(key for key in after if after[key] != before[key]) or "nothing"
    entry = audit_entry(
        services, actor, AuditAction.WEBHOOK_ENDPOINT_UPDATED, changed=changed, **after
    )
    await store.save_endpoint(endpoint, audit=entry)
    return endpoint


async def rotate_secret(
    services: Services, actor: AdminActor, endpoint_id: str, *, grace: timedelta | None = None
) -> EndpointWithSecret:
    require_admin(actor)
    store = _store(services)
    endpoint = await _endpoint(store, endpoint_id)
    now = services.clock.now()
    grace_period = services.webhook_delivery.rotation_grace if grace is None else grace
    secret = endpoint.rotate_secret(grace=grace_period, now=now)
    expires = endpoint.rotation_ends_at(now)
    entry = audit_entry(
        services,
        actor,
        AuditAction.WEBHOOK_SECRET_ROTATED,
        endpoint=endpoint.id,
        url=endpoint.url,
        grace_seconds=str(int(grace_period.total_seconds())),
        previous_secret_expires_at="" if expires is None else expires.isoformat(),
    )
    await store.save_endpoint(endpoint, audit=entry)
    return EndpointWithSecret(endpoint, secret)


async def resend_delivery(
    services: Services, actor: AdminActor, delivery_id: str
) -> WebhookDelivery:
    """A new PENDING delivery of the same message, sent by the worker as soon as it can (if the
    endpoint is disabled: once it is enabled again)."""
    require_admin(actor)
    store = _store(services)
    original = await store.get_delivery(delivery_id)
    if original is None:
        raise NotFound("Webhook delivery")
    copy = original.resend(services.clock.now())
    entry = audit_entry(
        services,
        actor,
        AuditAction.WEBHOOK_DELIVERY_RESENT,
        delivery=copy.id,
        resend_of=original.id,
        endpoint=copy.endpoint_id,
        message=copy.message_id,
        event=copy.event_type.name,
    )
    await store.add_delivery(copy, audit=entry)
    return copy


async def list_endpoints(services: Services, actor: AdminActor) -> list[WebhookEndpoint]:
    require_admin(actor)
    return await _store(services).list_endpoints()


async def list_deliveries(
    services: Services,
    actor: AdminActor,
    *,
    first: int | None,
    after: str | None = None,
    endpoint_id: str | None = None,
    states: Sequence[WebhookDeliveryState] = (),
) -> Page[WebhookDelivery]:
    require_admin(actor)
    size = page_size(first)
    return await _store(services).list_deliveries(
        DeliveryFilter(endpoint_id, tuple(states)), first=size, after=after
    )


async def get_endpoint(
    services: Services, actor: AdminActor, endpoint_id: str
) -> WebhookEndpoint | None:
    require_admin(actor)
    return await _store(services).get_endpoint(endpoint_id)


# -- the worker ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeliveryAttempt:
    delivery: WebhookDelivery
    endpoint: WebhookEndpoint
    result: SendResult
    state: WebhookDeliveryState
    recorded: bool  # False: the lease was lost before recording (another worker sends it)


def _sender(services: Services) -> WebhookSender:
    if services.webhook_sender is None:
        raise RuntimeError("the webhook worker needs Services.webhook_sender")
    return services.webhook_sender


async def run_next_webhook_delivery(services: Services, owner: str) -> DeliveryAttempt | None:
    """Claim, send and record one due delivery; None when none is due."""
    store = _store(services)
    sender = _sender(services)
    policy = services.webhook_delivery
    claimed = await store.claim(
        owner=owner, now=services.clock.now(), lease_seconds=policy.lease.total_seconds()
    )
    if claimed is None:
        return None
    delivery, endpoint = claimed
    sent_at = services.clock.now()
    result = await sender.send(
        WebhookPost(
            endpoint.url,
            message_id=delivery.message_id,
            payload=delivery.payload,
            secrets=endpoint.signing_secrets(sent_at),
            timestamp=sent_at,
            timeout_seconds=policy.request_timeout.total_seconds(),
        )
    )
    now = services.clock.now()
    outcome = attempt_outcome(delivery, result, policy, now)
    recorded = await store.record_attempt(delivery, result, outcome, owner=owner, now=now)
    if not result.ok:
        log.info(
            "webhook %s to %s: attempt %d failed (%s)",
            delivery.message_id,
            endpoint.url,
            outcome.attempts,
            result.describe(),
        )
    return DeliveryAttempt(delivery, endpoint, result, outcome.state, recorded)


async def drain_webhook_deliveries(
    services: Services, owner: str, *, max_deliveries: int = 10_000
) -> list[DeliveryAttempt]:
    """Send due deliveries until none is left (tests, tools)."""
    done: list[DeliveryAttempt] = []
    while len(done) < max_deliveries:
        attempt = await run_next_webhook_delivery(services, owner)
        if attempt is None:
            break
        done.append(attempt)
    return done
