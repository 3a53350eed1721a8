"""POST /webhooks/order-system: the order system's events, signed per Standard Webhooks.

Verification (https://www.standardwebhooks.com, "Verifying webhooks"):
- headers `webhook-id`, `webhook-timestamp` (integer seconds since the epoch) and
  `webhook-signature`: space-separated `v1,<base64 HMAC-SHA256>` entries; the signed content is
  `{id}.{timestamp}.{raw body}` and the key is the secret's base64 part after `whsec_`;
- the timestamp must be within `tolerance` (5 minutes) of now, either way, so that a captured
  request cannot be replayed later; replays within the window are stopped by the delivery ids
  the use case records;
- the signature is compared in constant time (hmac.compare_digest) over the raw body bytes,
  against the current and, during a rotation, the previous secret.

Answers: 400 missing or malformed headers, or a verified body that is not a valid event;
401 bad signature or a timestamp outside the window; 413 body above the limit; 503 when the
delivery cannot be stored (database or cache down: the sender delivers it again); 200 otherwise,
including duplicates, outdated events and event types this service does not handle (they are
acknowledged and ignored). Nothing is written unless the request is verified.

Why not the `standardwebhooks` package (the reference implementation) as the verifier: it reads
the wall clock with a fixed five-minute window (here the tolerance is a setting and the clock a
port the tests control), holds one secret per instance (a rotation accepts two here, every
comparison run), decodes the body as UTF-8 before checking it, and lets malformed headers escape
as ValueError or binascii.Error where this endpoint must answer 400/401, never 500.
tests/unit/test_standard_webhooks_library.py checks that what it signs verifies here and what the
simulator signs verifies there. (Signing has none of those problems: the outbound webhooks to the
shop are signed with it, adapters/outbound_webhook_sender.py.)
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from app.http.endpoint import RequestEndpoint
from app.observability.metrics import observe_webhook
from domain.order_events import DELIVERY_ID_MAX, OrderEvent, OrderEventType
from domain.orders import Order
from domain.ports import Clock, OrderChanges
from domain.usecases.apply_order_event import apply_order_event
from domain.usecases.services import Services

log = logging.getLogger("app.webhooks")

SECRET_PREFIX = "whsec_"
DEFAULT_TOLERANCE_SECONDS = 5 * 60
DEFAULT_MAX_BODY_BYTES = 64 * 1024
_MAX_SIGNATURE_HEADER = 4096  # a handful of signatures; anything longer is not a real sender
_MAX_TIMESTAMP_DIGITS = 12

# Parses one order of the order system's JSON (`as_of` = when read); raises ValueError.
OrderParser = Callable[[Any, datetime], Order]


def decode_secret(secret: str) -> bytes:
    """The HMAC key of a Standard Webhooks secret: base64 after the `whsec_` prefix."""
    raw = secret[len(SECRET_PREFIX) :] if secret.startswith(SECRET_PREFIX) else secret
    try:
        key = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("a webhook secret is `whsec_` followed by base64") from None
    if len(key) < 16:
        raise ValueError("a webhook secret needs at least 16 bytes of key")
    return key


SOURCE = "order_system"  # the `source` label of the webhook metrics


def refusal_reason(exc: WebhookRejected) -> str:
    """A bounded label for why a delivery was refused (the metrics)."""
    if exc.status == 413:
        return "too_large"
    if exc.reason.startswith("missing"):
        return "missing_headers"
    if exc.reason.startswith("malformed webhook") or exc.reason == "malformed content-length":
        return "malformed_headers"
    if exc.reason.startswith("webhook-timestamp"):
        return "timestamp_outside_window"
    if exc.status == 401:
        return "bad_signature"
    return "invalid_event"


class WebhookRejected(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True, slots=True)
class VerifiedDelivery:
    delivery_id: str
    timestamp: int


class WebhookVerifier:
    """Checks a delivery's headers and signature; `secrets` in `whsec_...` form, current first
    (a previous one is accepted during a rotation). `clock` decides the timestamp window."""

    def __init__(
        self,
        secrets: Sequence[str],
        *,
        clock: Clock,
        tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
    ) -> None:
        keys = [decode_secret(s) for s in secrets if s]
        if not keys:
            raise ValueError("at least one webhook secret is needed")
        if tolerance_seconds <= 0:
            raise ValueError("tolerance_seconds must be > 0")
        self._keys = keys
        self._clock = clock
        self._tolerance = tolerance_seconds

    def verify(
        self, delivery_id: str | None, timestamp: str | None, signature: str | None, body: bytes
    ) -> VerifiedDelivery:
        if not delivery_id or not timestamp or not signature:
            raise WebhookRejected(400, "missing webhook-id, webhook-timestamp or webhook-signature")
        if len(delivery_id) > DELIVERY_ID_MAX or not _printable_ascii(delivery_id):
            raise WebhookRejected(400, "malformed webhook-id")
        if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > (
            _MAX_TIMESTAMP_DIGITS
        ):
            raise WebhookRejected(400, "malformed webhook-timestamp")
        if len(signature) > _MAX_SIGNATURE_HEADER:
            raise WebhookRejected(400, "malformed webhook-signature")
        sent_at = int(timestamp)
        now = self._clock.now().timestamp()
        if abs(now - sent_at) > self._tolerance:
            raise WebhookRejected(401, "webhook-timestamp outside the tolerance window")
        candidates = [
            value
            for version, _, value in (p.partition(",") for p in signature.split())
            if version == "v1"
        ]
        if not candidates:
            raise WebhookRejected(401, "no v1 signature")
        signed = b"%s.%s.%s" % (delivery_id.encode(), timestamp.encode(), body)
        expected = [
            base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()) for key in self._keys
        ]
        matched = False
        for candidate in candidates:
            given = candidate.encode("ascii", errors="replace")
            for want in expected:
                # Every comparison runs (no early exit): the time does not depend on which matched.
                matched |= hmac.compare_digest(given, want)
        if not matched:
            raise WebhookRejected(401, "invalid signature")
        return VerifiedDelivery(delivery_id=delivery_id, timestamp=sent_at)


def _printable_ascii(value: str) -> bool:
    return value.isascii() and value.isprintable()


def _parse_event(
    delivery_id: str, body: bytes, parse_order: OrderParser, now: datetime
) -> OrderEvent | None:
    """The event of a verified body; None for an event type this service does not handle.
    Raises WebhookRejected(400) for a body that is not a valid event."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        raise WebhookRejected(400, "the body is not JSON") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("type"), str):
        raise WebhookRejected(400, "the body is not an event (an object with a type)")
    try:
        event_type = OrderEventType(payload["type"])
    except ValueError:
        return None
    data = payload.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("order"), dict):
        raise WebhookRejected(400, "the event has no data.order")
    try:
        order = parse_order(data["order"], now)
        changed_at = _instant(data["order"].get("updated_at")) or _instant(payload.get("timestamp"))
        if changed_at is None:
            raise ValueError("the event has neither data.order.updated_at nor timestamp")
        return OrderEvent(
            delivery_id=delivery_id,
            type=event_type,
            order=order,
            changed_at=changed_at,
            payload=body.decode("utf-8", errors="replace"),
        )
    except ValueError as exc:
        raise WebhookRejected(400, f"malformed event: {str(exc)[:200]}") from None


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        return None
    return parsed.astimezone(UTC)


class StoredEventDecoder:
    """domain.ports.OrderEventDecoder: a stored delivery's payload (verified when it arrived)
    read back as this endpoint reads a body."""

    def __init__(self, parse_order: OrderParser) -> None:
        self.parse_order = parse_order

    def decode(self, delivery_id: str, payload: str, *, now: datetime) -> OrderEvent | None:
        try:
            return _parse_event(delivery_id, payload.encode("utf-8"), self.parse_order, now)
        except WebhookRejected as exc:
            raise ValueError(exc.reason) from None


class OrderWebhookEndpoint(RequestEndpoint):
    """The ASGI endpoint; see the module docstring."""

    def __init__(
        self,
        services: Services,
        changes: OrderChanges,
        verifier: WebhookVerifier,
        parse_order: OrderParser,
        *,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    ) -> None:
        self.services = services
        self.changes = changes
        self.verifier = verifier
        self.parse_order = parse_order
        self.max_body_bytes = max_body_bytes

    async def handle(self, request: Request) -> Response:
        if request.method != "POST":
            return _answer(405, {"error": "POST only"}, {"Allow": "POST"})
        try:
            body = await self._read_body(request)
            headers = request.headers
            delivery = self.verifier.verify(
                headers.get("webhook-id"),
                headers.get("webhook-timestamp"),
                headers.get("webhook-signature"),
                body,
            )
            event = _parse_event(
                delivery.delivery_id, body, self.parse_order, self.services.clock.now()
            )
        except WebhookRejected as exc:
            log.warning("order webhook rejected (%s): %s", exc.status, exc.reason)
            observe_webhook(SOURCE, accepted=False, reason=refusal_reason(exc))
            return _answer(exc.status, {"error": exc.reason})
        except ClientDisconnect:
            observe_webhook(SOURCE, accepted=False, reason="client_gone")
            return _answer(400, {"error": "the client went away"})
        if event is None:
            log.info("order webhook %s: event type not handled, ignored", delivery.delivery_id)
            observe_webhook(SOURCE, accepted=True, reason="ignored")
            return _answer(200, {"status": "ignored"})
        try:
            result = await apply_order_event(self.services, self.changes, event)
        except Exception:  # noqa: BLE001 - any failure to store it: the sender must retry
            log.exception("order webhook %s could not be stored", delivery.delivery_id)
            observe_webhook(SOURCE, accepted=False, reason="unavailable")
            return _answer(
                503, {"error": "the event could not be stored; retry later"}, {"Retry-After": "5"}
            )
        log.info(
            "order webhook %s (%s, order %s): %s, %d case(s)",
            delivery.delivery_id,
            event.type.value,
            event.order.id,
            result.outcome.value,
            len(result.case_ids),
        )
        observe_webhook(SOURCE, accepted=True, reason=result.outcome.value.lower())
        return _answer(200, {"status": result.outcome.value, "cases": len(result.case_ids)})

    async def _read_body(self, request: Request) -> bytes:
        announced = request.headers.get("content-length")
        if announced is not None:
            if not (announced.isascii() and announced.isdigit()):
                raise WebhookRejected(400, "malformed content-length")
            if int(announced) > self.max_body_bytes:
                raise WebhookRejected(413, f"the body is larger than {self.max_body_bytes} bytes")
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > self.max_body_bytes:
                raise WebhookRejected(413, f"the body is larger than {self.max_body_bytes} bytes")
            chunks.append(chunk)
        return b"".join(chunks)


def _answer(
    status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
) -> Response:
    return JSONResponse(payload, status_code=status, headers=headers)
