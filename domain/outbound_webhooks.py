"""Outbound webhooks: the shop's endpoints hear about refunds and cases, signed the Standard
Webhooks way (https://www.standardwebhooks.com), from a durable outbox.

Rules kept here (the adapters only store and send):
- which timeline events become which webhook events (`webhook_event_of`) and their payload
  (`payload_of`): `{"type": "refund.paid", "timestamp": ..., "data": {...}}`;
- what an endpoint accepts (`url_errors`, `event_errors`), and which targets it may not name:
  with `allow_private_targets` off (the production default, WEBHOOK_ALLOW_PRIVATE_TARGETS), a
  URL whose host is `localhost` or an IP literal in a private, loopback, link-local, multicast,
  reserved or unspecified range is refused (`target_errors`), and the sender refuses to connect
  when the host resolves to any such address (`is_private_address`), so an admin cannot point
  the worker at internal services or the cloud metadata endpoint (SSRF);
- which secrets sign a message: the current one, plus the previous one while the rotation grace
  period runs (`WebhookEndpoint.signing_secrets`: two `v1,` signatures in `webhook-signature`);
- what one attempt's outcome does (`WebhookDeliveryPolicy`, `attempt_outcome`): a 2xx delivers;
  anything else (status, timeout, refused connection) is a failure, retried with capped
  exponential backoff until `max_attempts`, and `disable_after_failures` consecutive failed
  attempts of one endpoint (any delivery) disable the endpoint, with the reason kept.

A delivery (one message to one endpoint) is PENDING (waiting for `next_attempt_at`, or leased by a
worker) -> DELIVERED | FAILED (attempts used up). Deliveries of a disabled endpoint stay PENDING and
are not sent until an admin enables it again. A resend is a new delivery of the same message
(same `webhook-id`, so a receiver that keeps ids drops a duplicate).
"""

from __future__ import annotations

import base64
import enum
import ipaddress
import json
import secrets
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from domain.errors import FieldError, ValidationFailed
from domain.events import CaseEvent, CaseEventType

URL_MAX = 2000
DESCRIPTION_MAX = 200
DISABLED_REASON_MAX = 500
RESPONSE_EXCERPT_MAX = 1000
ERROR_MAX = 500
SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
MAX_GRACE = timedelta(days=7)


class WebhookEvent(enum.StrEnum):
    """What an endpoint may subscribe to; the value is the payload's `type`."""

    CASE_OPENED = "case.opened"
    CASE_RESOLVED = "case.resolved"
    REFUND_REQUESTED = "refund.requested"
    REFUND_APPROVED = "refund.approved"
    REFUND_PAID = "refund.paid"
    REFUND_FAILED = "refund.failed"


class WebhookDeliveryState(enum.StrEnum):
    PENDING = "PENDING"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"  # every attempt failed


_BY_TIMELINE: Mapping[CaseEventType, WebhookEvent] = {
    CaseEventType.CASE_OPENED: WebhookEvent.CASE_OPENED,
    CaseEventType.REFUND_REQUESTED: WebhookEvent.REFUND_REQUESTED,
    CaseEventType.REFUND_APPROVED: WebhookEvent.REFUND_APPROVED,
    CaseEventType.REFUND_SUCCEEDED: WebhookEvent.REFUND_PAID,
    CaseEventType.REFUND_FAILED: WebhookEvent.REFUND_FAILED,
}


def webhook_event_of(event: CaseEvent) -> WebhookEvent | None:
    """The webhook event a timeline event is, if any (internal events never are)."""
    if event.internal:
        return None
    if event.type is CaseEventType.STATUS_CHANGED:
        return WebhookEvent.CASE_RESOLVED if event.after == "RESOLVED" else None
    return _BY_TIMELINE.get(event.type)


@dataclass(frozen=True, slots=True)
class CaseFacts:
    """What a payload tells about the case (read in the transaction of the change)."""

    id: str
    number: int
    status: str
    order_id: str | None


@dataclass(frozen=True, slots=True)
class RefundFacts:
    id: str
    status: str
    amount_minor: int
    currency: str
    order_id: str
    reason: str
    failure_reason: str | None
    attempt: int


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def payload_of(
    kind: WebhookEvent,
    event: CaseEvent,
    case: CaseFacts | None,
    refund: RefundFacts | None,
) -> str:
    """The JSON body of a message (compact, keys sorted: the bytes that are signed)."""
    data: dict[str, Any] = {"eventId": event.id, "summary": event.summary}
    if case is not None:
        data["case"] = {
            "id": case.id,
            "number": f"CS-{case.number:06d}",
            "status": case.status,
            "orderId": case.order_id,
        }
    if refund is not None:
        data["refund"] = {
            "id": refund.id,
            "status": refund.status,
            "amount": {"amountMinor": refund.amount_minor, "currency": refund.currency},
            "orderId": refund.order_id,
            "reason": refund.reason,
            "attempt": refund.attempt,
            "failureReason": refund.failure_reason,
        }
    body = {"type": kind.value, "timestamp": _iso(event.occurred_at), "data": data}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def message_id(event_id: str) -> str:
    """The `webhook-id` of the message about one timeline event (the same on every attempt,
    every endpoint and every resend)."""
    return f"msg_{event_id.replace('-', '')}"


def new_secret() -> str:
    """A fresh signing secret: `whsec_` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


# -- validation --------------------------------------------------------------------------------


def url_errors(url: str, field_name: str = "url") -> list[FieldError]:
    if len(url) > URL_MAX:
        return [FieldError(field_name, f"must be at most {URL_MAX} characters")]
    if not url or not url.isprintable() or any(c.isspace() for c in url):
        return [FieldError(field_name, "must be an absolute http or https URL without spaces")]
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError for a port out of range
    except ValueError:
        return [FieldError(field_name, "is not a valid URL")]
    if parts.scheme not in ("http", "https"):
        return [FieldError(field_name, "must start with http:// or https://")]
    if not parts.hostname:
        return [FieldError(field_name, "must name a host")]
    if parts.username is not None or parts.password is not None:
        return [FieldError(field_name, "must not carry credentials (user:password@)")]
    if parts.fragment:
        return [FieldError(field_name, "must not have a #fragment")]
    del port
    return []


def is_private_address(address: str) -> bool:
    """True for an IP address the webhook worker must not reach when private targets are not
    allowed: private, loopback, link-local (169.254.169.254, the cloud metadata endpoint),
    multicast, reserved, unspecified, or otherwise not globally routable (100.64.0.0/10...).
    An IPv4-mapped IPv6 address (::ffff:10.0.0.1) counts as the IPv4 address it maps.
    False for text that is not an IP address (a host name)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone (fe80::1%eth0)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def is_local_name(host: str) -> bool:
    """`localhost` and its subdomains (RFC 6761: they always mean this machine)."""
    name = host.lower().rstrip(".")
    return name == "localhost" or name.endswith(".localhost")


def target_errors(
    url: str, *, allow_private_targets: bool, field_name: str = "url"
) -> list[FieldError]:
    """A URL that names this machine or an internal address, when private targets are not
    allowed (the policy value of WEBHOOK_ALLOW_PRIVATE_TARGETS). Only what the URL itself says
    is checked here; host names that resolve to such addresses are refused at send time."""
    if allow_private_targets:
        return []
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return []  # url_errors reports it
    if host and (is_local_name(host) or is_private_address(host)):
        return [
            FieldError(
                field_name,
                f"must not point at a private, loopback, link-local or reserved address ({host})",
            )
        ]
    return []


def event_errors(events: Sequence[WebhookEvent], field_name: str = "events") -> list[FieldError]:
    if not events:
        return [FieldError(field_name, "choose at least one event")]
    return []


def description_errors(description: str, field_name: str = "description") -> list[FieldError]:
    if len(description) > DESCRIPTION_MAX:
        return [FieldError(field_name, f"must be at most {DESCRIPTION_MAX} characters")]
    if not description.isprintable():
        return [FieldError(field_name, "must not contain control characters")]
    return []


def grace_errors(grace: timedelta, field_name: str = "gracePeriodSeconds") -> list[FieldError]:
    if grace < timedelta(0) or grace > MAX_GRACE:
        return [FieldError(field_name, f"must be between 0 and {int(MAX_GRACE.total_seconds())}")]
    return []


def raise_if(errors: Iterable[FieldError]) -> None:
    found = list(errors)
    if found:
        raise ValidationFailed(found)


# -- endpoints -------------------------------------------------------------------------------


@dataclass(slots=True)
class WebhookEndpoint:
    id: str
    url: str
    events: frozenset[WebhookEvent]
    secret: str
    created_at: datetime
    updated_at: datetime
    description: str = ""
    active: bool = True
    disabled_reason: str | None = None
    disabled_at: datetime | None = None
    previous_secret: str | None = None
    previous_secret_expires_at: datetime | None = None
    consecutive_failures: int = 0

    @classmethod
    def register(
        cls,
        *,
        url: str,
        events: Sequence[WebhookEvent],
        description: str,
        now: datetime,
        secret: str | None = None,
        allow_private_targets: bool = True,
    ) -> WebhookEndpoint:
        url = url.strip()
        description = description.strip()
        raise_if(
            [
                *(
                    url_errors(url)
                    or target_errors(url, allow_private_targets=allow_private_targets)
                ),
                *event_errors(events),
                *description_errors(description),
            ]
        )
        return cls(
            id=str(uuid.uuid4()),
            url=url,
            events=frozenset(events),
            secret=secret or new_secret(),
            created_at=now,
            updated_at=now,
            description=description,
        )

    def subscribes_to(self, kind: WebhookEvent) -> bool:
        return kind in self.events

    def signing_secrets(self, now: datetime) -> list[str]:
        """Current secret first; the previous one too while its grace period runs."""
        found = [self.secret]
        if (
            self.previous_secret is not None
            and self.previous_secret_expires_at is not None
            and now < self.previous_secret_expires_at
        ):
            found.append(self.previous_secret)
        return found

    def rotation_ends_at(self, now: datetime) -> datetime | None:
        """When the previous secret stops signing (None: no rotation in progress)."""
        if len(self.signing_secrets(now)) < 2:
            return None
        return self.previous_secret_expires_at

    def change(
        self,
        *,
        now: datetime,
        url: str | None = None,
        events: Sequence[WebhookEvent] | None = None,
        description: str | None = None,
        active: bool | None = None,
        allow_private_targets: bool = True,
    ) -> None:
        errors: list[FieldError] = []
        if url is not None:
            url = url.strip()
            errors += url_errors(url) or target_errors(
                url, allow_private_targets=allow_private_targets
            )
        if events is not None:
            errors += event_errors(events)
        if description is not None:
            description = description.strip()
            errors += description_errors(description)
        raise_if(errors)
        if url is not None:
            self.url = url
        if events is not None:
            self.events = frozenset(events)
        if description is not None:
            self.description = description
        if active is True and not self.active:
            self.active = True
            self.disabled_reason = None
            self.disabled_at = None
            self.consecutive_failures = 0
        elif active is False and self.active:
            self.disable("disabled by an admin", now)
        self.updated_at = now

    def disable(self, reason: str, now: datetime) -> None:
        self.active = False
        self.disabled_reason = reason[:DISABLED_REASON_MAX]
        self.disabled_at = now
        self.updated_at = now

    def rotate_secret(self, *, grace: timedelta, now: datetime, secret: str | None = None) -> str:
        """A new current secret; the old one keeps signing for `grace` (0: stops at once)."""
        raise_if(grace_errors(grace))
        new = secret or new_secret()
        self.previous_secret = self.secret if grace > timedelta(0) else None
        self.previous_secret_expires_at = now + grace if grace > timedelta(0) else None
        self.secret = new
        self.updated_at = now
        return new


# -- deliveries ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WebhookDeliveryPolicy:
    """Retries, backoff and when to give up on an endpoint (settings)."""

    max_attempts: int = 8
    backoff_base: timedelta = timedelta(seconds=10)
    backoff_cap: timedelta = timedelta(hours=2)
    disable_after_failures: int = 15
    request_timeout: timedelta = timedelta(seconds=10)
    lease: timedelta = timedelta(seconds=60)
    rotation_grace: timedelta = timedelta(hours=24)  # when rotateWebhookSecret names none
    # May an endpoint name (or resolve to) a private/loopback/link-local... address?
    # (WEBHOOK_ALLOW_PRIVATE_TARGETS: off in production, on otherwise.)
    allow_private_targets: bool = True

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.disable_after_failures < 1:
            raise ValueError("max_attempts and disable_after_failures must be >= 1")
        if self.backoff_base <= timedelta(0) or self.backoff_cap < self.backoff_base:
            raise ValueError("backoff: 0 < base <= cap")
        if self.request_timeout <= timedelta(0) or self.lease <= self.request_timeout:
            raise ValueError("the lease must outlast the request timeout")

    def backoff(self, attempts: int) -> timedelta:
        """The wait after `attempts` failed attempts: base, 2 base, 4 base, ... up to the cap."""
        if attempts < 1:
            raise ValueError("attempts >= 1")
        base = self.backoff_base.total_seconds()
        return timedelta(
            seconds=min(self.backoff_cap.total_seconds(), base * 2 ** min(attempts - 1, 40))
        )

    def schedule(self) -> list[timedelta]:
        """The waits between attempts, in order (documentation, the admin screen)."""
        return [self.backoff(n) for n in range(1, self.max_attempts)]


@dataclass(slots=True)
class WebhookDelivery:
    id: str
    endpoint_id: str
    message_id: str
    event_type: WebhookEvent
    payload: str
    created_at: datetime
    next_attempt_at: datetime
    state: WebhookDeliveryState = WebhookDeliveryState.PENDING
    attempts: int = 0
    last_attempt_at: datetime | None = None
    last_status: int | None = None
    last_response: str | None = None
    last_error: str | None = None
    delivered_at: datetime | None = None
    resend_of: str | None = None
    case_id: str | None = None
    lease_owner: str | None = None
    lease_until: datetime | None = None

    @classmethod
    def new(
        cls,
        *,
        endpoint_id: str,
        message: str,
        kind: WebhookEvent,
        payload: str,
        now: datetime,
        case_id: str | None = None,
        resend_of: str | None = None,
    ) -> WebhookDelivery:
        return cls(
            id=str(uuid.uuid4()),
            endpoint_id=endpoint_id,
            message_id=message,
            event_type=kind,
            payload=payload,
            created_at=now,
            next_attempt_at=now,
            case_id=case_id,
            resend_of=resend_of,
        )

    def resend(self, now: datetime) -> WebhookDelivery:
        """A new delivery of the same message (same webhook-id and body)."""
        return WebhookDelivery.new(
            endpoint_id=self.endpoint_id,
            message=self.message_id,
            kind=self.event_type,
            payload=self.payload,
            now=now,
            case_id=self.case_id,
            resend_of=self.id,
        )


@dataclass(frozen=True, slots=True)
class DeliveryFilter:
    """Which deliveries a list shows: one endpoint's (None: every endpoint's), in these states
    (empty: any)."""

    endpoint_id: str | None = None
    states: tuple[WebhookDeliveryState, ...] = ()


@dataclass(frozen=True, slots=True)
class WebhookPost:
    """One attempt to send a delivery: POST `payload` to `url`, signed with every secret (current
    first), stamped `timestamp`, all within `timeout_seconds`."""

    url: str
    message_id: str
    payload: str
    secrets: Sequence[str]
    timestamp: datetime
    timeout_seconds: float


@dataclass(frozen=True, slots=True)
class SendResult:
    """One attempt as the sender saw it: an HTTP status and the start of the body, or an
    error (timeout, refused connection...) when no answer came."""

    status: int | None
    body_excerpt: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    def describe(self) -> str:
        if self.status is not None:
            return f"HTTP {self.status}"
        return self.error or "no answer"


@dataclass(frozen=True, slots=True)
class AttemptOutcome:
    """What to store after an attempt (the adapter applies it in one transaction)."""

    state: WebhookDeliveryState
    attempts: int
    next_attempt_at: datetime
    delivered_at: datetime | None
    endpoint_failure: bool  # counts towards disabling (False: resets the count)
    disable_after_failures: int
    disable_reason: str = field(default="")

    def disables(self, consecutive_failures: int) -> bool:
        """Whether an endpoint at `consecutive_failures` (this attempt counted) is switched off."""
        return self.endpoint_failure and consecutive_failures >= self.disable_after_failures


def attempt_outcome(
    delivery: WebhookDelivery, result: SendResult, policy: WebhookDeliveryPolicy, now: datetime
) -> AttemptOutcome:
    attempts = delivery.attempts + 1
    if result.ok:
        return AttemptOutcome(
            state=WebhookDeliveryState.DELIVERED,
            attempts=attempts,
            next_attempt_at=delivery.next_attempt_at,
            delivered_at=now,
            endpoint_failure=False,
            disable_after_failures=policy.disable_after_failures,
        )
    gave_up = attempts >= policy.max_attempts
    return AttemptOutcome(
        state=WebhookDeliveryState.FAILED if gave_up else WebhookDeliveryState.PENDING,
        attempts=attempts,
        next_attempt_at=delivery.next_attempt_at if gave_up else now + policy.backoff(attempts),
        delivered_at=None,
        endpoint_failure=True,
        disable_after_failures=policy.disable_after_failures,
        disable_reason=(
            f"Disabled automatically after {policy.disable_after_failures} consecutive failed "
            f"attempts (last: {result.describe()}, {_iso(now)})"
        )[:DISABLED_REASON_MAX],
    )


def excerpt(text: str | None, limit: int = RESPONSE_EXCERPT_MAX) -> str | None:
    if text is None:
        return None
    cleaned = "".join(c if c.isprintable() or c in "\n\t" else "\ufffd" for c in text)
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"
