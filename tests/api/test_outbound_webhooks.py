"""Outbound webhooks end to end, in the embedded style on PostgreSQL: the refund worker pays through
the bundled payment gateway simulator and the webhook worker (both background tasks of the API
process) delivers to a real HTTP receiver served in this event loop.

The receiver checks every request with a verifier written here from the Standard Webhooks spec
(https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md,
"Verifying webhook authenticity"), not with the service's code nor the library it signs with:
- signed content: `{webhook-id}.{webhook-timestamp}.{raw body}`;
- key: base64-decoded secret after the `whsec_` prefix; HMAC-SHA256; base64 signature;
- `webhook-signature`: space-separated `v1,<signature>` entries, any one may match (constant-time
  comparison); the timestamp must be within five minutes of now.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from adapters.payment_gateway.simulator import (
    PaymentGatewaySimulatorState,
)
from app.settings import Settings
from domain.outbound_webhooks import DeliveryFilter, WebhookDelivery, WebhookEndpoint, WebhookEvent
from domain.usecases.outbound_webhooks import drain_webhook_deliveries
from tests.api._helpers import APPROVE_REFUND, codes, gid, open_case, request_refund
from tests.api.conftest import Api, running_api
from tests.toolbox.graphql import internal_id
from tests.toolbox.network import serve
from tests.toolbox.polling import poll_until
from tests.toolbox.services import throwaway_database

pytestmark = pytest.mark.postgres

TOLERANCE_SECONDS = 5 * 60


# -- a verifier from the spec ------------------------------------------------------------------


class SignatureInvalid(Exception):
    pass


def spec_verify(secret: str, headers: httpx.Headers | dict[str, str], body: bytes) -> None:
    """Raises SignatureInvalid unless one `v1` signature of `headers` is `body`'s under `secret`."""
    msg_id = headers.get("webhook-id")
    timestamp = headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature")
    if not msg_id or not timestamp or not signatures:
        raise SignatureInvalid("missing headers")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > TOLERANCE_SECONDS:
        raise SignatureInvalid("timestamp outside the tolerance")
    assert secret.startswith("whsec_")
    key = base64.b64decode(secret.removeprefix("whsec_"))
    content = msg_id.encode() + b"." + timestamp.encode() + b"." + body
    expected = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
    for entry in signatures.split(" "):
        version, _, signature = entry.partition(",")
        if version == "v1" and hmac.compare_digest(signature, expected):
            return
    raise SignatureInvalid("no signature matches")


def verifies(secret: str, headers: dict[str, str], body: bytes) -> bool:
    try:
        spec_verify(secret, headers, body)
    except SignatureInvalid:
        return False
    return True


# -- a receiver ----------------------------------------------------------------------------------


@dataclass
class Received:
    name: str
    headers: dict[str, str]
    body: bytes
    answered: int

    @property
    def json(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


@dataclass
class Receiver:
    url: str = ""
    received: list[Received] = field(default_factory=list)
    # Per endpoint name: the statuses to answer next (then 200); `always` overrides.
    script: dict[str, deque[int]] = field(default_factory=dict)
    always: dict[str, int] = field(default_factory=dict)

    def endpoint(self, name: str) -> str:
        return f"{self.url}/hooks/{name}"

    def of(self, name: str) -> list[Received]:
        return [r for r in self.received if r.name == name]

    async def handle(self, request: Request) -> PlainTextResponse:
        name = request.path_params["name"]
        body = await request.body()
        status = self.always.get(name) or (
            self.script[name].popleft() if self.script.get(name) else 200
        )
        self.received.append(Received(name, dict(request.headers), body, status))
        return PlainTextResponse(f"{name} says {status}", status_code=status)


@dataclass
class World:
    api: Api
    gateway: PaymentGatewaySimulatorState
    receiver: Receiver
    admin: str
    agent: str


DISABLE_AFTER = 3


@pytest.fixture(scope="module")
async def world() -> AsyncIterator[World]:
    receiver = Receiver()
    app_under_test = Starlette(routes=[Route("/hooks/{name}", receiver.handle, methods=["POST"])])
    async with throwaway_database("outhooks") as url, serve(app_under_test) as receiver_url:
        receiver.url = receiver_url
        settings = Settings(
            app_env="test",
            database_url=url,
            redis_url=None,
            run_embedded_worker=True,
            refund_worker_poll_seconds=0.05,
            webhook_worker_poll_seconds=0.05,
            webhook_backoff_base_seconds=0.2,
            webhook_backoff_cap_seconds=0.4,
            webhook_max_attempts=6,
            webhook_disable_after_failures=DISABLE_AFTER,
            webhook_timeout_seconds=3,
            webhook_lease_seconds=10,
            login_attempts_per_minute=100_000,
        )
        async with running_api(settings, with_gateway=True) as api:
            assert api.app.state.webhook_worker is not None  # the embedded webhook worker runs
            assert api.gateway is not None
            yield World(
                api=api,
                gateway=api.gateway,
                receiver=receiver,
                admin=await api.token("admin@example.com"),
                agent=await api.token("agent@example.com"),
            )


# -- documents -----------------------------------------------------------------------------------

ENDPOINT_FIELDS = """id url description events active disabledReason consecutiveFailures
  previousSecretExpiresAt createdAt"""

REGISTER = f"""mutation($input: RegisterWebhookEndpointInput!) {{
  registerWebhookEndpoint(input: $input) {{
    __typename
    ... on WebhookEndpointRegistered {{ secret endpoint {{ {ENDPOINT_FIELDS} }} }}
    ... on ValidationFailed {{ fields {{ field message }} }}
    ... on Error {{ message code }}
}} }}"""

UPDATE = f"""mutation($input: UpdateWebhookEndpointInput!) {{
  updateWebhookEndpoint(input: $input) {{
    __typename
    ... on WebhookEndpointUpdated {{ endpoint {{ {ENDPOINT_FIELDS} }} }}
    ... on ValidationFailed {{ fields {{ field message }} }}
    ... on Error {{ message code }}
}} }}"""

ROTATE = f"""mutation($input: RotateWebhookSecretInput!) {{
  rotateWebhookSecret(input: $input) {{
    __typename
    ... on WebhookSecretRotated {{
      secret previousSecretExpiresAt endpoint {{ {ENDPOINT_FIELDS} }} }}
    ... on ValidationFailed {{ fields {{ field message }} }}
    ... on Error {{ message code }}
}} }}"""

RESEND = """mutation($input: ResendWebhookDeliveryInput!) {
  resendWebhookDelivery(input: $input) {
    __typename
    ... on WebhookDeliveryResent { delivery { id messageId state attempts isResend } }
    ... on Error { message code }
} }"""

ENDPOINTS = f"{{ webhookEndpoints {{ {ENDPOINT_FIELDS} }} }}"

DELIVERIES = """query($endpoint: ID, $first: Int, $after: String, $state: [WebhookDeliveryState!]) {
  webhookDeliveries(endpointId: $endpoint, first: $first, after: $after, state: $state) {
    edges { cursor node { id messageId eventType payload state attempts nextAttemptAt
      lastAttemptAt responseStatus responseBody error deliveredAt createdAt isResend
      endpoint { id url } } }
    pageInfo { hasNextPage endCursor }
} }"""


async def register(w: World, name: str, events: list[str]) -> tuple[str, str]:
    """(endpoint id, secret) of a new endpoint at the receiver's /hooks/<name>."""
    data = await w.api.gql.ok(
        REGISTER, {"input": {"url": w.receiver.endpoint(name), "events": events}}, w.admin
    )
    result = data["registerWebhookEndpoint"]
    assert result["__typename"] == "WebhookEndpointRegistered", result
    return result["endpoint"]["id"], result["secret"]


async def deliveries(w: World, endpoint_id: str) -> list[dict[str, Any]]:
    data = await w.api.gql.ok(DELIVERIES, {"endpoint": endpoint_id, "first": 100}, w.admin)
    return [edge["node"] for edge in data["webhookDeliveries"]["edges"]]


async def settled(
    w: World, endpoint_id: str, count: int, state: str = "DELIVERED"
) -> list[dict[str, Any]]:
    """The endpoint's deliveries once `count` of them are in `state`."""
    return await poll_until(
        lambda: deliveries(w, endpoint_id),
        until=lambda found: sum(1 for d in found if d["state"] == state) >= count,
        what=f"{count} {state} deliveries",
    )


async def paid_refund(w: World, amount: int = 3000) -> str:
    """A customer's refund, approved by an agent and paid by the embedded refund worker."""
    customer = await w.api.new_customer("Webhook Customer")
    case = await open_case(w.api, customer.token, customer.order_ids["delivered"])
    requested = await request_refund(
        w.api, customer.token, case["id"], reason="DAMAGED", amount=amount
    )
    refund_id: str = requested["refund"]["id"]
    decided = await w.api.gql.ok(APPROVE_REFUND, {"input": {"refundId": refund_id}}, w.agent)
    assert decided["approveRefund"]["__typename"] == "RefundDecided", decided
    return refund_id


# -- tests ---------------------------------------------------------------------------------------


async def test_a_paid_refund_is_one_signed_delivery_retried_after_a_500(world: World) -> None:
    w = world
    endpoint_id, secret = await register(w, "shop", ["REFUND_PAID"])
    w.receiver.script["shop"] = deque([500])  # the first attempt fails

    refund_id = await paid_refund(w)
    found = await settled(w, endpoint_id, 1)

    # Exactly one delivery (the refund's other events are not subscribed), delivered on the
    # second attempt; the receiver saw both attempts of the same message, both signed.
    assert len(found) == 1, found
    delivery = found[0]
    assert (delivery["eventType"], delivery["attempts"]) == ("REFUND_PAID", 2)
    assert (delivery["responseStatus"], delivery["responseBody"]) == (200, "shop says 200")
    assert delivery["endpoint"]["id"] == endpoint_id
    attempts = w.receiver.of("shop")
    assert [a.answered for a in attempts] == [500, 200]
    assert {a.headers["webhook-id"] for a in attempts} == {delivery["messageId"]}
    for attempt in attempts:
        spec_verify(secret, attempt.headers, attempt.body)
        assert attempt.body.decode() == delivery["payload"]
        assert len(attempt.headers["webhook-signature"].split(" ")) == 1
    # Tampering is caught by the same verifier (it can fail).
    with pytest.raises(SignatureInvalid):
        spec_verify(secret, attempts[-1].headers, attempts[-1].body.replace(b"3000", b"9000"))

    body = attempts[-1].json
    assert body["type"] == "refund.paid"
    refund = body["data"]["refund"]
    assert refund["id"] == internal_id(refund_id)
    assert (refund["status"], refund["amount"]) == (
        "SUCCEEDED",
        {"amountMinor": 3000, "currency": "USD"},
    )
    assert sum(1 for p in w.gateway.payouts if p.idempotency_key.startswith(refund["id"])) == 1


async def test_a_declined_refund_is_one_refund_failed_message_with_the_reason(world: World) -> None:
    w = world
    endpoint_id, secret = await register(w, "declines", ["REFUND_FAILED"])
    w.gateway.set_fault("decline", decline_reason="card_expired")
    try:
        refund_id = await paid_refund(w, amount=2600)
        (delivery,) = await settled(w, endpoint_id, 1)
    finally:
        w.gateway.set_fault("none")
    (received,) = w.receiver.of("declines")
    spec_verify(secret, received.headers, received.body)
    body = received.json
    assert (body["type"], delivery["eventType"]) == ("refund.failed", "REFUND_FAILED")
    refund = body["data"]["refund"]
    assert refund["id"] == internal_id(refund_id)
    assert (refund["status"], refund["failureReason"]) == ("FAILED", "card_expired")


async def test_rotation_signs_with_both_secrets_during_the_grace_period(world: World) -> None:
    w = world
    endpoint_id, old = await register(w, "rotating", ["CASE_OPENED"])
    data = await w.api.gql.ok(
        ROTATE, {"input": {"endpointId": endpoint_id, "gracePeriodSeconds": 3600}}, w.admin
    )
    rotated = data["rotateWebhookSecret"]
    assert rotated["__typename"] == "WebhookSecretRotated", rotated
    new = rotated["secret"]
    assert new != old and new.startswith("whsec_") and rotated["previousSecretExpiresAt"]
    listed = await w.api.gql.ok(ENDPOINTS, token=w.admin)
    assert new not in json.dumps(listed) and old not in json.dumps(listed)  # shown once only

    customer = await w.api.new_customer()
    await open_case(w.api, customer.token, customer.order_ids["small"])
    await settled(w, endpoint_id, 1)
    (received,) = w.receiver.of("rotating")
    signatures = received.headers["webhook-signature"].split(" ")
    assert len(signatures) == 2 and all(s.startswith("v1,") for s in signatures)
    assert verifies(new, received.headers, received.body)
    assert verifies(old, received.headers, received.body)
    assert verifies(new, {**received.headers, "webhook-signature": signatures[0]}, received.body)
    assert verifies(old, {**received.headers, "webhook-signature": signatures[1]}, received.body)

    # Grace 0: only the new secret signs from now on.
    data = await w.api.gql.ok(
        ROTATE, {"input": {"endpointId": endpoint_id, "gracePeriodSeconds": 0}}, w.admin
    )
    newest = data["rotateWebhookSecret"]["secret"]
    assert data["rotateWebhookSecret"]["previousSecretExpiresAt"] is None
    await open_case(w.api, customer.token, customer.order_ids["big"])
    await settled(w, endpoint_id, 2)
    latest = w.receiver.of("rotating")[-1]
    assert len(latest.headers["webhook-signature"].split(" ")) == 1
    assert verifies(newest, latest.headers, latest.body)
    assert not verifies(new, latest.headers, latest.body)


async def test_repeated_failures_disable_the_endpoint_and_nothing_more_is_sent(
    world: World,
) -> None:
    w = world
    broken_id, _ = await register(w, "broken", ["CASE_OPENED"])
    w.receiver.always["broken"] = 503
    customer = await w.api.new_customer()
    await open_case(w.api, customer.token, customer.order_ids["small"])

    async def endpoint() -> dict[str, Any]:
        data = await w.api.gql.ok(ENDPOINTS, token=w.admin)
        (found,) = [e for e in data["webhookEndpoints"] if e["id"] == broken_id]
        return found

    disabled = await poll_until(endpoint, until=lambda e: not e["active"], what="disabled")
    assert disabled["disabledReason"].startswith(
        f"Disabled automatically after {DISABLE_AFTER} consecutive failed attempts (last: HTTP 503"
    ), disabled
    assert len(w.receiver.of("broken")) == DISABLE_AFTER
    (pending,) = await deliveries(w, broken_id)
    assert (pending["state"], pending["attempts"]) == ("PENDING", DISABLE_AFTER)
    assert pending["responseStatus"] == 503 and pending["responseBody"] == "broken says 503"

    # Sentinel: once the waiting delivery is due again, a new message to another endpoint is
    # delivered. The worker takes the delivery due first, so a disabled endpoint's delivery that
    # could still be sent would have been sent before it.
    sentinel_id, _ = await register(w, "sentinel", ["CASE_OPENED"])
    due = pending["nextAttemptAt"]
    await poll_until(lambda: time.time() > _epoch(due) + 0.05, what="the retry to be due")
    await open_case(w.api, customer.token, customer.order_ids["big"])
    await settled(w, sentinel_id, 1)
    assert len(w.receiver.of("broken")) == DISABLE_AFTER

    # Enabled again (the receiver recovered): the waiting delivery is sent.
    del w.receiver.always["broken"]
    data = await w.api.gql.ok(UPDATE, {"input": {"endpointId": broken_id, "active": True}}, w.admin)
    enabled = data["updateWebhookEndpoint"]["endpoint"]
    assert (enabled["active"], enabled["disabledReason"], enabled["consecutiveFailures"]) == (
        True,
        None,
        0,
    )
    (resumed,) = await settled(w, broken_id, 1)
    assert resumed["attempts"] == DISABLE_AFTER + 1
    assert resumed["responseBody"] == "broken says 200"
    # The case opened while it was disabled queued nothing for it (disabled: no new messages).
    assert len(w.receiver.of("broken")) == DISABLE_AFTER + 1


def _epoch(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso).timestamp()


async def test_resend_sends_the_same_message_again(world: World) -> None:
    w = world
    endpoint_id, secret = await register(w, "resend", ["CASE_OPENED"])
    customer = await w.api.new_customer()
    await open_case(w.api, customer.token, customer.order_ids["small"])
    (first,) = await settled(w, endpoint_id, 1)

    data = await w.api.gql.ok(RESEND, {"input": {"deliveryId": first["id"]}}, w.admin)
    resent = data["resendWebhookDelivery"]
    assert resent["__typename"] == "WebhookDeliveryResent", resent
    assert resent["delivery"]["messageId"] == first["messageId"]
    assert resent["delivery"]["isResend"] is True
    await settled(w, endpoint_id, 2)
    original, again = w.receiver.of("resend")
    assert original.body == again.body
    assert original.headers["webhook-id"] == again.headers["webhook-id"]
    spec_verify(secret, again.headers, again.body)

    missing = await w.api.gql.ok(
        RESEND, {"input": {"deliveryId": gid("WebhookDelivery", "no-such-delivery")}}, w.admin
    )
    assert missing["resendWebhookDelivery"]["code"] == "NOT_FOUND"


async def test_endpoints_can_be_changed_and_are_validated(world: World) -> None:
    w = world
    data = await w.api.gql.ok(
        REGISTER,
        {"input": {"url": "ftp://shop.example/x", "events": [], "description": "bad"}},
        w.admin,
    )
    refused = data["registerWebhookEndpoint"]
    assert refused["__typename"] == "ValidationFailed"
    assert {f["field"] for f in refused["fields"]} == {"url", "events"}

    endpoint_id, _ = await register(w, "changing", ["CASE_OPENED"])
    data = await w.api.gql.ok(
        UPDATE,
        {"input": {"endpointId": endpoint_id, "events": ["REFUND_PAID", "REFUND_FAILED"]}},
        w.admin,
    )
    assert data["updateWebhookEndpoint"]["endpoint"]["events"] == ["REFUND_PAID", "REFUND_FAILED"]
    data = await w.api.gql.ok(
        UPDATE, {"input": {"endpointId": endpoint_id, "url": "https://x y"}}, w.admin
    )
    assert data["updateWebhookEndpoint"]["__typename"] == "ValidationFailed"
    data = await w.api.gql.ok(
        UPDATE, {"input": {"endpointId": endpoint_id, "active": False}}, w.admin
    )
    assert data["updateWebhookEndpoint"]["endpoint"]["disabledReason"] == "disabled by an admin"
    data = await w.api.gql.ok(
        ROTATE, {"input": {"endpointId": endpoint_id, "gracePeriodSeconds": 10**7}}, w.admin
    )
    assert data["rotateWebhookSecret"]["__typename"] == "ValidationFailed"


async def test_deliveries_are_paginated(world: World) -> None:
    w = world
    endpoint_id, _ = await register(w, "pages", ["CASE_OPENED"])
    customer = await w.api.new_customer()
    for key in ("small", "big", "delivered"):
        await open_case(w.api, customer.token, customer.order_ids[key])
    everything = await settled(w, endpoint_id, 3)
    seen: list[str] = []
    after = None
    while True:
        data = await w.api.gql.ok(
            DELIVERIES, {"endpoint": endpoint_id, "first": 2, "after": after}, w.admin
        )
        page = data["webhookDeliveries"]
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [d["id"] for d in everything]
    bad = await w.api.gql(DELIVERIES, {"after": "not-a-cursor"}, w.admin)
    assert codes(bad) == ["BAD_USER_INPUT"], bad


@pytest.mark.parametrize("who", ["agent@example.com", "alice@example.com"])
async def test_only_admins_manage_webhooks(world: World, who: str) -> None:
    w = world
    token = await w.api.token(who)
    endpoint_id, _ = await register(w, "guarded", ["CASE_OPENED"])
    store = w.api.runtime.services.webhooks
    endpoints_before = [e.id for e in await store.list_endpoints()]
    guarded_before = await store.get_endpoint(internal_id(endpoint_id))
    assert guarded_before is not None
    audit_before = await w.api.gql.ok(AUDIT_LOG, None, w.admin)
    attempts = [
        (REGISTER, {"input": {"url": w.receiver.endpoint("evil"), "events": ["REFUND_PAID"]}}),
        (UPDATE, {"input": {"endpointId": endpoint_id, "url": w.receiver.endpoint("evil")}}),
        (ROTATE, {"input": {"endpointId": endpoint_id}}),
        (RESEND, {"input": {"deliveryId": endpoint_id}}),
        (ENDPOINTS, None),
        (DELIVERIES, {}),
    ]
    for document, variables in attempts:
        body = await w.api.gql(document, variables, token)
        assert codes(body) == ["FORBIDDEN"], body
        assert body.get("data") is None or all(v is None for v in body["data"].values()), body
    listed = await w.api.gql.ok(ENDPOINTS, token=w.admin)
    (guarded,) = [e for e in listed["webhookEndpoints"] if e["id"] == endpoint_id]
    assert guarded["url"] == w.receiver.endpoint("guarded")
    # Nothing was stored: no endpoint added, the guarded one unchanged (its secret too), no
    # delivery resent, no audit entry.
    assert [e.id for e in await store.list_endpoints()] == endpoints_before
    assert await store.get_endpoint(internal_id(endpoint_id)) == guarded_before
    resent = await store.list_deliveries(
        DeliveryFilter(internal_id(endpoint_id)), first=10, after=None
    )
    assert resent.items == []
    assert await w.api.gql.ok(AUDIT_LOG, None, w.admin) == audit_before


AUDIT_LOG = """{ auditLog(first: 30) { edges { node {
  action actorLabel actor { id email } targetUser { id } details { key value } } } } }"""


async def test_every_webhook_admin_action_is_audited_without_a_secret(world: World) -> None:
    w = world
    endpoint_id, secret = await register(w, "audited", ["CASE_OPENED"])
    customer = await w.api.new_customer()
    await open_case(w.api, customer.token, customer.order_ids["small"])
    (first,) = await settled(w, endpoint_id, 1)
    data = await w.api.gql.ok(RESEND, {"input": {"deliveryId": first["id"]}}, w.admin)
    resent = data["resendWebhookDelivery"]["delivery"]
    data = await w.api.gql.ok(
        ROTATE, {"input": {"endpointId": endpoint_id, "gracePeriodSeconds": 60}}, w.admin
    )
    rotated = data["rotateWebhookSecret"]
    new_secret = rotated["secret"]
    data = await w.api.gql.ok(
        UPDATE,
        {"input": {"endpointId": endpoint_id, "events": ["REFUND_PAID"], "active": False}},
        w.admin,
    )
    assert data["updateWebhookEndpoint"]["__typename"] == "WebhookEndpointUpdated", data

    data = await w.api.gql.ok(AUDIT_LOG, None, w.admin)
    me = (await w.api.gql.ok("{ viewer { id email } }", None, w.admin))["viewer"]
    assert me["email"] == "admin@example.com"
    target = internal_id(endpoint_id)
    entries = [
        {**e["node"], "details": {d["key"]: d["value"] for d in e["node"]["details"]}}
        for e in data["auditLog"]["edges"]
    ]
    ours = [e for e in entries if e["details"].get("endpoint") == target]
    assert [e["action"] for e in ours] == [  # newest first
        "WEBHOOK_ENDPOINT_UPDATED",
        "WEBHOOK_SECRET_ROTATED",
        "WEBHOOK_DELIVERY_RESENT",
        "WEBHOOK_ENDPOINT_REGISTERED",
    ]
    for entry in ours:
        assert entry["actor"] == me
        assert entry["actorLabel"] == me["id"]
        assert entry["targetUser"] is None  # the target is the endpoint, named in the details
        text = json.dumps(entry)
        assert secret not in text and new_secret not in text and "whsec_" not in text
    updated, rotation, resend, registered = (e["details"] for e in ours)
    assert registered == {
        "endpoint": target,
        "url": w.receiver.endpoint("audited"),
        "events": "CASE_OPENED",
        "active": "true",
        "description": "",
    }
    assert resend == {
        "delivery": internal_id(resent["id"]),
        "resend_of": internal_id(first["id"]),
        "endpoint": target,
        "message": first["messageId"],
        "event": "CASE_OPENED",
    }
    assert rotation["grace_seconds"] == "60"
    assert rotation["url"] == w.receiver.endpoint("audited")
    expires = rotation["previous_secret_expires_at"]
    assert _epoch(expires) == _epoch(rotated["previousSecretExpiresAt"])
    assert updated == {
        "endpoint": target,
        "changed": "events,active",
        "url": w.receiver.endpoint("audited"),
        "events": "REFUND_PAID",
        "active": "false",
        "description": "",
    }


async def test_private_targets_are_refused_when_not_allowed() -> None:
    """WEBHOOK_ALLOW_PRIVATE_TARGETS=false (the production default): an URL naming this machine
    or an internal address (the cloud metadata endpoint...) is a ValidationFailed on `url`, on
    registration and on change; a public host name is accepted."""
    async with throwaway_database("outhooks_ssrf") as url:
        settings = Settings(
            app_env="test",
            database_url=url,
            redis_url=None,
            run_embedded_worker=False,
            webhook_allow_private_targets=False,
            login_attempts_per_minute=100_000,
        )
        async with running_api(settings, with_gateway=True) as api:
            gql = api.gql
            admin = await gql.login("admin@example.com")
            for target in (
                "http://127.0.0.1:8123/hooks",
                "http://169.254.169.254/latest/meta-data/",
                "http://localhost:5432/",
            ):
                data = await gql.ok(
                    REGISTER, {"input": {"url": target, "events": ["REFUND_PAID"]}}, admin
                )
                refused = data["registerWebhookEndpoint"]
                assert refused["__typename"] == "ValidationFailed", (target, refused)
                ((field_name, message),) = [(f["field"], f["message"]) for f in refused["fields"]]
                assert field_name == "url"
                assert "private, loopback, link-local or reserved address" in message
            data = await gql.ok(
                REGISTER,
                {"input": {"url": "https://hooks.shop.example/in", "events": ["REFUND_PAID"]}},
                admin,
            )
            accepted = data["registerWebhookEndpoint"]
            assert accepted["__typename"] == "WebhookEndpointRegistered", accepted
            endpoint_id = accepted["endpoint"]["id"]
            data = await gql.ok(
                UPDATE, {"input": {"endpointId": endpoint_id, "url": "http://10.0.0.7/"}}, admin
            )
            changed = data["updateWebhookEndpoint"]
            assert changed["__typename"] == "ValidationFailed", changed
            assert [f["field"] for f in changed["fields"]] == ["url"]
            listed = await gql.ok(ENDPOINTS, None, admin)
            assert [e["url"] for e in listed["webhookEndpoints"]] == [
                "https://hooks.shop.example/in"
            ]

            # Send time: an endpoint stored before the guard was on (straight into the
            # store) whose host resolves to 127.0.0.1 is refused by the worker, recorded,
            # and retried like any failed attempt; the receiver hears nothing.
            services = api.runtime.services
            receiver = Receiver()
            hooks = Starlette(routes=[Route("/hooks/{name}", receiver.handle, methods=["POST"])])
            async with serve(hooks) as receiver_url:
                port = receiver_url.rsplit(":", 1)[1]
                now = services.clock.now()
                legacy = WebhookEndpoint.register(
                    url=f"http://localhost:{port}/hooks/legacy",
                    events=[WebhookEvent.CASE_OPENED],
                    description="stored before the guard",
                    now=now,
                )
                await services.webhooks.add_endpoint(legacy)
                await services.webhooks.add_delivery(
                    WebhookDelivery.new(
                        endpoint_id=legacy.id,
                        message="msg_ssrf",
                        kind=WebhookEvent.CASE_OPENED,
                        payload="{}",
                        now=now,
                    )
                )
                (attempt,) = await drain_webhook_deliveries(services, "ssrf-test")
                assert receiver.received == []  # the attempt is over: nothing was sent
            assert attempt.result.error == "refused: localhost resolves to a private address"
            data = await gql.ok(DELIVERIES, {"endpoint": gid("WebhookEndpoint", legacy.id)}, admin)
            (node,) = [e["node"] for e in data["webhookDeliveries"]["edges"]]
            assert (node["state"], node["attempts"], node["error"]) == (
                "PENDING",  # retried later, like any failure
                1,
                "refused: localhost resolves to a private address",
            )
