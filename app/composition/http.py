"""`create_app`: the Starlette app: routes, middleware, and the lifespan that opens the runtime."""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry import Schema
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from adapters.availability import dependency_unavailable
from app.composition.health import healthz, readyz
from app.composition.runtime import (
    Runtime,
    build_runtime,
    case_scheduler,
    refund_worker,
    webhook_worker,
)
from app.composition.shutdown import bounded_close
from app.composition.simulators import (
    PAYMENT_SIMULATOR_PREFIX,
    SIMULATOR_PREFIX,
    embedded_simulators,
    simulator_sends_webhooks,
)
from app.composition.webhooks import ORDER_WEBHOOK_PATH, order_webhook_endpoint
from app.graphiql import STATIC_DIR as GRAPHIQL_STATIC_DIR
from app.graphql.context import LiveUpdates
from app.graphql.cost import CostRules
from app.graphql.schema import build_schema
from app.graphql.shared_events import SharedEvents
from app.http.browser_session import LOGOUT_PATH, REFRESH_PATH, BrowserSessionEndpoint
from app.http.client_identity import ClientIdentityMiddleware, parse_trusted_proxies
from app.http.graphql_endpoint import GraphQLEndpoint, StrawberryView
from app.http.graphql_ws import WebSocketOptions
from app.http.middleware import BodySizeLimitMiddleware, RequestContextMiddleware
from app.http.persisted_queries import PersistedQueries
from app.http.security_headers import SecurityHeadersMiddleware
from app.http.unavailable import DependencyFailureMiddleware
from app.http.web_client import WebClient
from app.observability.logging import configure_logging
from app.observability.metrics import MetricsEndpoint, process_exited, set_refund_queue
from app.observability.tracing import configure_tracing, trace_engine, traced_asgi
from app.settings import Settings, load_settings
from domain.budget import BudgetPolicy
from domain.usecases.live_events import SharedEventLog
from domain.usecases.ops import refund_queue_depths


def cost_rules(settings: Settings) -> CostRules:
    return CostRules(
        enabled=settings.cost_limits_enabled,
        max_operation_cost=settings.cost_max_per_operation,
        mutation_cost=settings.cost_mutation,
        subscription_cost=settings.cost_subscription,
        unpaged_list_size=settings.cost_unpaged_list_size,
        customer=BudgetPolicy(
            settings.cost_budget_customer, settings.cost_refill_per_second_customer
        ),
        staff=BudgetPolicy(settings.cost_budget_staff, settings.cost_refill_per_second_staff),
    )


def graphql_view(schema: Schema, runtime: Runtime) -> StrawberryView:
    """The Strawberry view of a runtime: HTTP POST and graphql-transport-ws, GraphiQL."""
    settings = runtime.settings
    live = LiveUpdates(
        runtime.broker,
        max_pending=settings.subscription_queue_size,
        log=SharedEventLog(runtime.services.reads),
    )
    if settings.subscription_grouping:
        live = dataclasses.replace(live, shared=SharedEvents(schema, live))
    return StrawberryView(
        schema,
        services=runtime.services,
        production=settings.app_env == "production",
        live=live,
        cost_budget=runtime.cost_budget,
        persisted_queries=PersistedQueries(settings.persisted_queries_max_entries),
        ws_options=WebSocketOptions(
            keepalive_seconds=settings.ws_keepalive_seconds,
            pong_timeout_seconds=settings.ws_pong_timeout_seconds,
            send_timeout_seconds=settings.ws_send_timeout_seconds,
            session_check_seconds=settings.ws_session_check_seconds,
            max_message_bytes=settings.max_body_bytes,
        ),
        graphql_ide="graphiql",
        allow_queries_via_get=False,
        multipart_uploads_enabled=False,
        # graphql-transport-ws only: the legacy graphql-ws protocol is refused (4406).
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
        connection_init_wait_timeout=timedelta(seconds=settings.ws_connection_init_timeout_seconds),
        max_subscriptions_per_connection=settings.ws_max_subscriptions,
        allowed_origins=settings.effective_ws_allowed_origins,
    )


def create_app(
    settings: Settings | None = None,
    *,
    order_simulator: Starlette | None = None,
    payment_gateway_simulator: Starlette | None = None,
    **runtime_options: Any,
) -> Starlette:
    """The ASGI app (uvicorn: `app.main:create_app --factory`). Tests may pass the embedded
    order simulator to control its orders; `runtime_options` go to `build_runtime`.

    Called without settings (uvicorn's factory), it reads them from the environment and sets up
    logging (LOG_LEVEL, LOG_FORMAT) as `python -m app.serve` does; callers that pass settings
    own their logging."""
    if settings is None:
        settings = load_settings()
        configure_logging(settings.log_level, settings.effective_log_format)
    production = settings.app_env == "production"
    if settings.tracing_enabled:
        configure_tracing()
    simulators = embedded_simulators(
        settings,
        order_simulator=order_simulator,
        payment_gateway_simulator=payment_gateway_simulator,
    )
    schema = build_schema(
        max_depth=settings.max_query_depth,
        max_aliases=settings.max_aliases,
        max_tokens=settings.max_tokens,
        unavailable=dependency_unavailable,
        retry_after_seconds=settings.unavailable_retry_after_seconds,
        cost_rules=cost_rules(settings),
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with build_runtime(
            settings,
            order_simulator=simulators.orders,
            payment_gateway_simulator=simulators.payments,
            **runtime_options,
        ) as rt:
            app.state.graphql = GraphQLEndpoint(graphql_view(schema, rt), rt.services)
            app.state.browser_sessions = BrowserSessionEndpoint(rt.services, production=production)
            app.state.runtime = rt
            if settings.tracing_enabled:
                trace_engine(rt.engine)
            app.state.order_webhooks = order_webhook_endpoint(rt)
            background = contextlib.AsyncExitStack()
            try:
                if simulators.orders is not None:
                    await simulator_sends_webhooks(
                        app,
                        simulators.orders,
                        settings,
                        background,
                        webhook_path=ORDER_WEBHOOK_PATH,
                    )
                if settings.effective_run_sla_scheduler:
                    await background.enter_async_context(case_scheduler(rt).running())
                if settings.effective_run_embedded_worker:
                    # A job still running at SIGTERM gets part of the grace period; after it,
                    # its lease expires and a worker takes it over (never paid twice).
                    worker = refund_worker(
                        rt, max_shutdown_grace_seconds=settings.shutdown_grace_seconds / 8
                    )
                    app.state.refund_worker = await background.enter_async_context(worker.running())
                    sender = webhook_worker(
                        rt, max_shutdown_grace_seconds=settings.shutdown_grace_seconds / 8
                    )
                    app.state.webhook_worker = await background.enter_async_context(
                        sender.running()
                    )
                yield
            finally:
                process_exited(os.getpid())
                # Bounded: a cancelled job cleaning up on a hanging database must not hold the
                # process past its grace period (the runtime's closers come next).
                await bounded_close(
                    background.aclose, "background tasks", settings.shutdown_grace_seconds / 4
                )

    routes: list[BaseRoute] = [
        Route("/graphql", _StateEndpoint("graphql"), methods=["GET", "POST"]),
        WebSocketRoute("/graphql", _StateEndpoint("graphql")),
        Route(ORDER_WEBHOOK_PATH, _StateEndpoint("order_webhooks"), methods=["POST"]),
        Route("/healthz", healthz),
        *([Route("/metrics", _metrics_endpoint().handle)] if settings.metrics_enabled else []),
        Route("/readyz", readyz),
        Route(REFRESH_PATH, _StateEndpoint("browser_sessions")),
        Route(LOGOUT_PATH, _StateEndpoint("browser_sessions")),
        Mount("/static/graphiql", StaticFiles(directory=GRAPHIQL_STATIC_DIR), name="graphiql"),
    ]
    if simulators.orders is not None:
        routes.append(Mount(SIMULATOR_PREFIX, app=simulators.orders))
    if simulators.payments is not None:  # operators: GET /_sim/payments/_ledger, POST /_faults
        routes.append(Mount(PAYMENT_SIMULATOR_PREFIX, app=simulators.payments))
    # Last: the web client (client/dist) at / and its client-side routes.
    routes.append(Route("/{path:path}", _AsgiEndpoint(WebClient(settings.client_dist_dir))))
    return Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[
            # Tracing (TRACING_ENABLED): a server span around everything else.
            *([Middleware(traced_asgi)] if settings.tracing_enabled else []),
            # First: the client's address (behind trusted proxies) for everything after it.
            Middleware(
                ClientIdentityMiddleware,
                trusted_proxies=parse_trusted_proxies(settings.trusted_proxies),
            ),
            Middleware(RequestContextMiddleware),
            Middleware(SecurityHeadersMiddleware, hsts=production),
            # Inside the security headers: its 503 / 500 answers get them too.
            Middleware(
                DependencyFailureMiddleware,
                classify=dependency_unavailable,
                retry_after_seconds=settings.unavailable_retry_after_seconds,
            ),
            Middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes),
        ],
    )


def _metrics_endpoint() -> MetricsEndpoint:
    """GET /metrics; each scrape first reads the refund queue from the database."""

    async def refresh(request: Request) -> None:
        runtime: Runtime | None = getattr(request.app.state, "runtime", None)
        if runtime is None:
            return
        services = runtime.services
        depths = await refund_queue_depths(services)
        set_refund_queue(
            {
                "pending": depths.pending,
                "due": depths.due,
                "leased": depths.leased,
                "dead": depths.dead,
                "done": depths.done,
            },
            depths.oldest_pending_age_seconds(services.clock.now()),
        )

    return MetricsEndpoint(refresh)


class _AsgiEndpoint:
    """Starlette treats a plain function as a request/response endpoint; an object with an
    async __call__ is served as a raw ASGI app, which the GraphQL endpoint needs."""

    def __init__(self, endpoint: ASGIApp) -> None:
        self.endpoint = endpoint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.endpoint(scope, receive, send)


class _StateEndpoint:
    """A raw ASGI endpoint built in the lifespan: served from `app.state.<name>`."""

    def __init__(self, name: str) -> None:
        self.name = name

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint: ASGIApp = getattr(scope["app"].state, self.name)
        await endpoint(scope, receive, send)
