"""domain.ports.WebhookSender over httpx, signed with the `standardwebhooks` reference library.

One POST per attempt, body = the stored payload bytes, headers per Standard Webhooks:
`webhook-id` (the message id, the same on every attempt), `webhook-timestamp` (this attempt's
time, integer seconds) and `webhook-signature`: one `v1,<base64 HMAC-SHA256>` per signing
secret, space-separated (two during a secret rotation's grace period, current first).

The whole attempt has one deadline (`timeout_seconds`: connect, send, wait, read). Redirects are
not followed (a 3xx is a failed attempt, as Standard Webhooks senders do). At most
RESPONSE_READ_MAX bytes of the answer are read, for the excerpt kept on the delivery.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime

import httpx
from standardwebhooks.webhooks import Webhook

from domain.outbound_webhooks import RESPONSE_EXCERPT_MAX, SendResult

RESPONSE_READ_MAX = 4 * RESPONSE_EXCERPT_MAX
USER_AGENT = "support-refunds-webhooks/1"


def signature_header(secrets: Sequence[str], message_id: str, at: datetime, body: str) -> str:
    """`v1,<sig> v1,<sig>`: one signature per secret, in the order given."""
    return " ".join(
        Webhook(secret).sign(message_id, at.astimezone(UTC), body) for secret in secrets
    )


def signed_headers(
    secrets: Sequence[str], message_id: str, at: datetime, body: str
) -> dict[str, str]:
    if not secrets:
        raise ValueError("a webhook is signed with at least one secret")
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature_header(secrets, message_id, at, body),
    }


class HttpWebhookSender:
    def __init__(self, client: httpx.AsyncClient | None = None) -> None:
        self._client = client or httpx.AsyncClient(follow_redirects=False)
        self._owns_client = client is None

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def send(
        self,
        url: str,
        *,
        message_id: str,
        payload: str,
        secrets: Sequence[str],
        timestamp: datetime,
        timeout_seconds: float,
    ) -> SendResult:
        headers = signed_headers(secrets, message_id, timestamp, payload)
        try:
            async with asyncio.timeout(timeout_seconds):
                request = self._client.build_request(
                    "POST",
                    url,
                    content=payload.encode(),
                    headers=headers,
                    timeout=timeout_seconds,
                )
                response = await self._client.send(request, stream=True, follow_redirects=False)
                try:
                    body = bytearray()
                    async for chunk in response.aiter_bytes():
                        body += chunk
                        if len(body) >= RESPONSE_READ_MAX:
                            break
                finally:
                    await response.aclose()
        except TimeoutError:
            return SendResult(status=None, error=f"no answer within {timeout_seconds:g} s")
        except httpx.TimeoutException:
            return SendResult(status=None, error=f"no answer within {timeout_seconds:g} s")
        except httpx.HTTPError as exc:
            return SendResult(status=None, error=f"{type(exc).__name__}: {exc}"[:500])
        text = bytes(body[:RESPONSE_READ_MAX]).decode("utf-8", errors="replace")
        return SendResult(status=response.status_code, body_excerpt=text)
