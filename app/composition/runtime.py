"""`Runtime`: every adapter of one process, opened together at startup and closed at shutdown."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import redis.asyncio as aioredis
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette

from adapters.auth.passwords import Argon2PasswordHasher
from adapters.auth.refresh_tokens import hash_refresh_token, new_refresh_token
from adapters.clock import SystemClock
from adapters.order_system.codec import order_from_json
from adapters.order_system.resilient import ResilientOrderSystem
from adapters.outbound_webhook_sender import HttpWebhookSender
from adapters.payment_gateway.simulator import create_payment_gateway_simulator
from app.composition import policies
from app.composition.auth import access_tokens
from app.composition.database import sql_adapters
from app.composition.orders import order_system
from app.composition.payments import payment_gateway
from app.composition.redis_wiring import (
    cost_budget,
    event_broker,
    rate_limiter,
    redis_client,
    session_notices,
)
from app.composition.simulators import seed_demo_data
from app.http.webhooks import StoredEventDecoder
from app.observability.metrics import observe_refund_job
from app.polling_worker import Polling
from app.refund_worker import RefundWorker
from app.scheduler import CaseScheduler
from app.settings import Settings
from app.webhook_worker import WebhookWorker
from domain.budget import CostBudget
from domain.ports import Clock, EventBroker, SlaBreachLog
from domain.usecases.execute_refund import Checkpoint
from domain.usecases.prune import RetentionStore
from domain.usecases.services import Services


@dataclass
class Runtime:
    """Everything built at startup and closed at shutdown."""

    settings: Settings
    engine: AsyncEngine
    services: Services
    broker: EventBroker
    sla_breaches: SlaBreachLog
    retention: RetentionStore | None = None
    redis: aioredis.Redis | None = None
    orders: ResilientOrderSystem | None = None  # the webhook endpoint invalidates its cache
    # Embedded mode: the bundled payment gateway simulator (its ledger, its fault switch).
    payment_gateway_simulator: Starlette | None = None
    cost_budget: CostBudget | None = None  # query-cost buckets (app.graphql.cost)


@contextlib.asynccontextmanager
async def build_runtime(
    settings: Settings,
    *,
    clock: Clock | None = None,
    order_simulator: Starlette | None = None,
    password_hasher: Argon2PasswordHasher | None = None,
    payment_gateway_simulator: Starlette | None = None,
    gateway_checkpoint: Checkpoint | None = None,
) -> AsyncIterator[Runtime]:
    clock = clock or SystemClock()
    async with contextlib.AsyncExitStack() as stack:
        sql = sql_adapters(settings, stack)
        redis = redis_client(settings, stack)
        orders = order_system(settings, stack, clock=clock, redis=redis, simulator=order_simulator)
        broker = event_broker(settings, stack)
        payments_simulator = None
        webhook_sender = HttpWebhookSender(
            allow_private_targets=settings.effective_webhook_allow_private_targets
        )
        stack.push_async_callback(webhook_sender.aclose)
        if not settings.payment_gateway_url:
            payments_simulator = payment_gateway_simulator or create_payment_gateway_simulator()
        services = Services(
            uow=sql.uow,
            reads=sql.reads,
            clock=clock,
            orders=orders,
            publisher=broker,
            passwords=password_hasher or Argon2PasswordHasher(),
            access_tokens=access_tokens(settings, clock),
            rate_limiter=rate_limiter(redis),
            new_refresh_token=new_refresh_token,
            hash_refresh_token=hash_refresh_token,
            case_rules=policies.case_rules(settings),
            refund_policy=policies.refund_policy(settings),
            auth_rules=policies.auth_rules(settings),
            payments=payment_gateway(
                settings, stack, simulator=payments_simulator, checkpoint=gateway_checkpoint
            ),
            refund_execution=policies.refund_execution_policy(settings),
            session_notices=session_notices(settings, stack),
            webhooks=sql.webhooks,
            webhook_sender=webhook_sender,
            webhook_delivery=policies.webhook_delivery_policy(settings),
            # Replays of stored order webhook deliveries (admins, the CLI).
            order_events=StoredEventDecoder(order_from_json),
            order_changes=orders,
        )
        yield Runtime(
            settings=settings,
            engine=sql.engine,
            services=services,
            broker=broker,
            sla_breaches=sql.sla_breaches,
            retention=sql.retention,
            redis=redis,
            orders=orders,
            payment_gateway_simulator=payments_simulator,
            cost_budget=cost_budget(settings, redis),
        )


def refund_worker(
    runtime: Runtime,
    *,
    checkpoint: Checkpoint | None = None,
    max_shutdown_grace_seconds: float | None = None,
) -> RefundWorker:
    """The refund worker of a runtime (app.worker runs it; the embedded app's lifespan too,
    with at most part of the server's own shutdown grace period)."""
    settings = runtime.settings
    polling = Polling(
        poll_seconds=settings.refund_worker_poll_seconds,
        concurrency=settings.refund_worker_concurrency,
        shutdown_grace_seconds=settings.refund_worker_shutdown_grace_seconds,
    )
    return RefundWorker(
        runtime.services,
        polling.with_grace_at_most(max_shutdown_grace_seconds),
        checkpoint=checkpoint,
        on_result=lambda result: observe_refund_job(result.outcome.value),
    )


def webhook_worker(
    runtime: Runtime, *, max_shutdown_grace_seconds: float | None = None
) -> WebhookWorker:
    """The outbound webhook worker of a runtime (app.worker runs it beside the refund worker;
    the embedded app's lifespan too)."""
    settings = runtime.settings
    polling = Polling(
        poll_seconds=settings.webhook_worker_poll_seconds,
        concurrency=settings.webhook_worker_concurrency,
        # An attempt in flight is bounded by the webhook timeout: let it finish.
        shutdown_grace_seconds=settings.webhook_timeout_seconds + 1.0,
    )
    return WebhookWorker(runtime.services, polling.with_grace_at_most(max_shutdown_grace_seconds))


def case_scheduler(runtime: Runtime) -> CaseScheduler:
    """The SLA breach scheduler of a runtime; the worker runs it with
    `async with case_scheduler(runtime).running(): ...` (the embedded app's lifespan does too)."""
    return CaseScheduler(
        runtime.services,
        runtime.sla_breaches,
        interval_seconds=runtime.settings.sla_scan_interval_seconds,
        retention=runtime.retention,
        retention_policy=policies.retention_policy(runtime.settings),
        retention_interval_seconds=runtime.settings.retention_interval_seconds,
    )


async def seed(runtime: Runtime) -> int:
    """The demo users (make run, tests)."""
    return await seed_demo_data(runtime.services)
