"""The order simulator's side of webhooks: sign (Standard Webhooks) and deliver with retries.

What a real order system does, in small:
- every event gets a message id (`webhook-id`, "msg_..."), the same on every attempt, so that the
  receiver can drop duplicates;
- every attempt is signed anew with the attempt's time (`webhook-timestamp`) over
  `{id}.{timestamp}.{body}`, HMAC-SHA256 with the key of the `whsec_<base64>` secret, sent as
  `webhook-signature: v1,<base64>`;
- an attempt that does not get a 2xx (error status, timeout, connection refused) is retried
  after an exponential backoff (`backoff_base * 2**n`, at most `backoff_max`), at most
  `max_attempts` attempts in all; then the delivery is given up (and recorded as such).

Deliveries run as background tasks of the event loop that called `send`; `drain()` waits for
them (tests) and `aclose()` cancels what is still pending (shutdown).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

log = logging.getLogger(__name__)

SECRET_PREFIX = "whsec_"


def secret_key(secret: str) -> bytes:
    """The HMAC key of a `whsec_<base64>` secret (the prefix is optional)."""
    raw = secret[len(SECRET_PREFIX) :] if secret.startswith(SECRET_PREFIX) else secret
    return base64.b64decode(raw, validate=True)


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header value for one attempt."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, message_id, timestamp, body),
    }


@dataclass
class WebhookDelivery:
    """One event's delivery: its attempts' outcomes (HTTP status, or the error's name)."""

    message_id: str
    event_type: str
    order_id: str
    body: bytes
    outcomes: list[int | str] = field(default_factory=list)
    delivered: bool = False
    gave_up: bool = False

    @property
    def attempts(self) -> int:
        return len(self.outcomes)

    @property
    def done(self) -> bool:
        return self.delivered or self.gave_up


class WebhookSender:
    """Delivers signed events to `url`. `client`: an httpx.AsyncClient to send with (e.g. over
    `httpx.ASGITransport` to an app in the same process); made here (and closed by `aclose`)
    when None. `sleep` and `now` (epoch seconds) are injectable for tests."""

    def __init__(
        self,
        url: str,
        secret: str,
        *,
        client: httpx.AsyncClient | None = None,
        max_attempts: int = 8,
        backoff_base: float = 0.5,
        backoff_max: float = 60.0,
        timeout: float = 5.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        now: Callable[[], float] = time.time,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        secret_key(secret)  # fail early on a malformed secret
        self.url = url
        self.secret = secret
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.timeout = timeout
        self._owns_client = client is None
        self._client = client if client is not None else httpx.AsyncClient(timeout=timeout)
        self._sleep = sleep
        self._now = now
        self._tasks: set[asyncio.Task[None]] = set()
        self.deliveries: list[WebhookDelivery] = []

    def send(self, event_type: str, order: dict[str, Any]) -> WebhookDelivery:
        """Schedule the delivery of one event about `order` (its JSON); returns its record."""
        message_id = f"msg_{uuid.uuid4().hex}"
        payload = {
            "type": event_type,
            "timestamp": order.get("updated_at") or _iso_now(self._now()),
            "data": {"order": order},
        }
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        delivery = WebhookDelivery(message_id, event_type, str(order.get("id")), body)
        self.deliveries.append(delivery)
        task = asyncio.get_running_loop().create_task(
            self._deliver(delivery), name=f"webhook {message_id}"
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return delivery

    @property
    def pending(self) -> int:
        return len(self._tasks)

    async def drain(self) -> None:
        """Wait until every scheduled delivery is delivered or given up (bound it with
        `asyncio.timeout`)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def aclose(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._owns_client:
            await self._client.aclose()

    async def _deliver(self, delivery: WebhookDelivery) -> None:
        for attempt in range(self.max_attempts):
            timestamp = int(self._now())
            headers = signed_headers(self.secret, delivery.message_id, timestamp, delivery.body)
            try:
                response = await self._client.post(
                    self.url, content=delivery.body, headers=headers, timeout=self.timeout
                )
            except Exception as exc:  # noqa: BLE001 - network errors, or an in-process app's own
                delivery.outcomes.append(type(exc).__name__)
                log.info("webhook %s attempt %d: %s", delivery.message_id, attempt + 1, exc)
            else:
                delivery.outcomes.append(response.status_code)
                if 200 <= response.status_code < 300:
                    delivery.delivered = True
                    return
                log.info(
                    "webhook %s attempt %d: HTTP %d",
                    delivery.message_id,
                    attempt + 1,
                    response.status_code,
                )
            if attempt + 1 < self.max_attempts:
                await self._sleep(min(self.backoff_max, self.backoff_base * 2**attempt))
        delivery.gave_up = True
        log.warning(
            "webhook %s (%s) given up after %d attempts",
            delivery.message_id,
            delivery.event_type,
            self.max_attempts,
        )


def _iso_now(now: float) -> str:
    return datetime.fromtimestamp(now, UTC).isoformat().replace("+00:00", "Z")
