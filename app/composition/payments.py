"""The payment gateway port: PAYMENT_GATEWAY_URL, or the bundled simulator in process."""

from __future__ import annotations

import contextlib

import httpx
from starlette.applications import Starlette

from adapters.payment_gateway.http_client import HttpPaymentGateway
from adapters.payment_gateway.transport import NotifyWhenSentTransport
from app.settings import Settings, reveal
from domain.usecases.execute_refund import CHECKPOINT_SENT, Checkpoint

EMBEDDED_PAYMENT_GATEWAY_URL = "http://payment-gateway.local"


def payment_gateway(
    settings: Settings,
    stack: contextlib.AsyncExitStack,
    *,
    simulator: Starlette | None,
    checkpoint: Checkpoint | None = None,
) -> HttpPaymentGateway:
    """PAYMENT_GATEWAY_URL, or (unset) the bundled simulator in process, over the same client.

    `checkpoint` (the crash tests' hook) hears "sent" once a request is on the wire."""
    transport: httpx.AsyncBaseTransport
    if settings.payment_gateway_url:
        base_url = settings.payment_gateway_url
        transport = httpx.AsyncHTTPTransport()
    else:
        assert simulator is not None
        base_url = EMBEDDED_PAYMENT_GATEWAY_URL
        transport = httpx.ASGITransport(app=simulator)
    if checkpoint is not None:
        hook = checkpoint
        transport = NotifyWhenSentTransport(
            transport,
            lambda request: hook(CHECKPOINT_SENT, request.headers.get("idempotency-key", "")),
        )
    client = httpx.AsyncClient(
        transport=transport, timeout=settings.payment_gateway_timeout_seconds
    )
    stack.push_async_callback(client.aclose)
    return HttpPaymentGateway(
        base_url,
        timeout=settings.payment_gateway_timeout_seconds,
        client=client,
        api_key=reveal(settings.payment_gateway_api_key),
    )
