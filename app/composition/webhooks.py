"""POST /webhooks/order-system: the order system's signed change notifications."""

from __future__ import annotations

from adapters.order_system.codec import order_from_json
from app.composition.runtime import Runtime
from app.http.webhooks import OrderWebhookEndpoint, WebhookVerifier
from app.settings import reveal

ORDER_WEBHOOK_PATH = "/webhooks/order-system"


def order_webhook_endpoint(runtime: Runtime) -> OrderWebhookEndpoint:
    """Verified with the current and the previous secret; the order cache (the resilient order
    system) learns about the change."""
    settings = runtime.settings
    assert runtime.orders is not None
    verifier = WebhookVerifier(
        [
            reveal(settings.order_webhook_secret) or "",
            reveal(settings.order_webhook_previous_secret) or "",
        ],
        clock=runtime.services.clock,
        tolerance_seconds=settings.order_webhook_tolerance_seconds,
    )
    return OrderWebhookEndpoint(
        runtime.services,
        runtime.orders,
        verifier,
        order_from_json,
        max_body_bytes=settings.order_webhook_max_body_bytes,
    )
