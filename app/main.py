"""The entry points' view of the composition root (app.composition): what uvicorn
(`app.main:create_app --factory`), app.serve, app.worker, the tests and the benches import.

The wiring itself lives in app/composition/, one small module per concern (see its __init__).
"""

from __future__ import annotations

from app.composition.http import create_app, graphql_view
from app.composition.payments import EMBEDDED_PAYMENT_GATEWAY_URL, payment_gateway
from app.composition.policies import (
    auth_rules,
    case_rules,
    refund_execution_policy,
    refund_policy,
)
from app.composition.runtime import (
    Runtime,
    build_runtime,
    case_scheduler,
    refund_worker,
    seed,
    webhook_worker,
)
from app.composition.simulators import PAYMENT_SIMULATOR_PREFIX, SIMULATOR_PREFIX
from app.composition.webhooks import ORDER_WEBHOOK_PATH, order_webhook_endpoint

__all__ = [
    "EMBEDDED_PAYMENT_GATEWAY_URL",
    "ORDER_WEBHOOK_PATH",
    "PAYMENT_SIMULATOR_PREFIX",
    "SIMULATOR_PREFIX",
    "Runtime",
    "auth_rules",
    "build_runtime",
    "case_rules",
    "create_app",
    "graphql_view",
    "order_webhook_endpoint",
    "payment_gateway",
    "refund_execution_policy",
    "refund_policy",
    "refund_worker",
    "seed",
    "case_scheduler",
    "webhook_worker",
]
