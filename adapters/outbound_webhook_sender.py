"""domain.ports.WebhookSender over httpx, signed with the `standardwebhooks` reference library.

One POST per attempt, body = the stored payload bytes, headers per Standard Webhooks:
`webhook-id` (the message id, the same on every attempt), `webhook-timestamp` (this attempt's
time, integer seconds) and `webhook-signature`: one `v1,<base64 HMAC-SHA256>` per signing
secret, space-separated (two during a secret rotation's grace period, current first).

The whole attempt has one deadline (`timeout_seconds`: connect, send, wait, read). Redirects are
not followed (a 3xx is a failed attempt, as Standard Webhooks senders do). At most
RESPONSE_READ_MAX bytes of the answer are read, for the excerpt kept on the delivery.

SSRF guard (`allow_private_targets=False`, the production default): before connecting, the host
is resolved (within the same deadline) and the attempt is refused when ANY of its addresses is
non-public (domain.outbound_webhooks.is_private_address): a DNS name that points at (or is
rebound to) 127.0.0.1, 10.x or 169.254.169.254 is not reached. The refusal is a failed attempt
("refused: <host> resolves to a private address"), retried and counted like any other.
Known gap: httpx resolves the host again when it connects (pinning the checked address would
need a custom transport, with SNI and certificate checks for the name), so a DNS server that
answers differently within that window could still win; the registration rule and this check
stop every static internal target. Egress firewalling remains the complete defence.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Sequence
from datetime import UTC, datetime

import httpx
from standardwebhooks.webhooks import Webhook

from domain.outbound_webhooks import (
    ERROR_MAX,
    RESPONSE_EXCERPT_MAX,
    SendResult,
    WebhookPost,
    is_private_address,
)

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


async def private_target(url: str) -> str | None:
    """Why `url`'s host must not be reached (it resolves to at least one non-public address;
    an IP literal resolves to itself), or None. Raises socket.gaierror when it does not resolve."""
    parts = httpx.URL(url)
    host = parts.host
    port = parts.port or (443 if parts.scheme == "https" else 80)
    infos = await asyncio.get_running_loop().getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )
    if any(is_private_address(str(info[4][0])) for info in infos):
        return f"refused: {host} resolves to a private address"
    return None


class HttpWebhookSender:
    def __init__(
        self, client: httpx.AsyncClient | None = None, *, allow_private_targets: bool = True
    ) -> None:
        self._client = client or httpx.AsyncClient(follow_redirects=False)
        self._owns_client = client is None
        self._allow_private_targets = allow_private_targets

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def send(self, post: WebhookPost) -> SendResult:
        url, payload, timeout_seconds = post.url, post.payload, post.timeout_seconds
        headers = signed_headers(post.secrets, post.message_id, post.timestamp, payload)
        try:
            async with asyncio.timeout(timeout_seconds):
                if not self._allow_private_targets:
                    refused = await private_target(url)
                    if refused is not None:
                        return SendResult(status=None, error=refused[:ERROR_MAX])
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
        except (TimeoutError, httpx.TimeoutException):
            return SendResult(status=None, error=f"no answer within {timeout_seconds:g} s")
        except socket.gaierror as exc:
            return SendResult(status=None, error=f"could not resolve the host: {exc}"[:ERROR_MAX])
        except httpx.HTTPError as exc:
            return SendResult(status=None, error=f"{type(exc).__name__}: {exc}"[:ERROR_MAX])
        text = bytes(body[:RESPONSE_READ_MAX]).decode("utf-8", errors="replace")
        return SendResult(status=response.status_code, body_excerpt=text)
