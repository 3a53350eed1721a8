"""The composition root: the one module that wires adapters into the ports, by settings.

Nothing imports it but the entry points (app.serve, app.worker, tests)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import httpx
import redis.asyncio as aioredis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from adapters.auth.passwords import Argon2PasswordHasher
from adapters.auth.refresh_tokens import hash_refresh_token, new_refresh_token
from adapters.auth.tokens import JwtAccessTokenService
from adapters.clock import SystemClock
from adapters.memory.events import InMemoryEventPublisher
from adapters.order_system.cache import InProcessOrderCache, OrderCache, RedisOrderCache
from adapters.order_system.codec import order_from_json
from adapters.order_system.http_client import HttpOrderSystem
from adapters.order_system.resilient import CircuitBreaker, ResilientOrderSystem
from adapters.order_system.simulator import (
    ALICE_CUSTOMER_ID,
    BOB_CUSTOMER_ID,
    create_order_simulator,
    simulator_state,
)
from adapters.payment_gateway.http_client import HttpPaymentGateway
from adapters.payment_gateway.simulator import create_payment_gateway_simulator
from adapters.payment_gateway.transport import NotifyWhenSentTransport
from adapters.rate_limit import InProcessRateLimiter, RedisRateLimiter
from adapters.redis_events import RedisEventBroker
from adapters.sql.db import create_engine, create_session_factory
from adapters.sql.read_store import SqlReadStore
from adapters.sql.sla import SqlSlaBreachLog
from adapters.sql.unit_of_work import SqlUnitOfWorkFactory
from app.graphiql import STATIC_DIR as GRAPHIQL_STATIC_DIR
from app.graphql.context import LiveUpdates
from app.graphql.schema import build_schema
from app.http.browser_session import LOGOUT_PATH, REFRESH_PATH, BrowserSessionEndpoint
from app.http.graphql_endpoint import GraphQLEndpoint, StrawberryView
from app.http.graphql_ws import WebSocketOptions
from app.http.middleware import BodySizeLimitMiddleware, RequestContextMiddleware
from app.http.web_client import WebClient
from app.http.webhooks import OrderWebhookEndpoint, WebhookVerifier
from app.refund_worker import RefundWorker
from app.scheduler import SlaScheduler
from app.seed import demo_users, seed_demo_users
from app.settings import Settings
from domain.cases import CaseRules
from domain.ports import Clock, EventBroker, RateLimiter, SlaBreachLog
from domain.refund_jobs import RefundExecutionPolicy
from domain.refunds import RefundPolicy
from domain.usecases.execute_refund import CHECKPOINT_SENT, Checkpoint
from domain.usecases.live_events import SharedEventLog
from domain.usecases.services import AuthRules, Services

log = logging.getLogger("app")

SIMULATOR_PREFIX = "/_sim/orders"
PAYMENT_SIMULATOR_PREFIX = "/_sim/payments"
EMBEDDED_PAYMENT_GATEWAY_URL = "http://payment-gateway.local"
ORDER_WEBHOOK_PATH = "/webhooks/order-system"


@dataclass
class Runtime:
    """Everything built at startup and closed at shutdown."""

    settings: Settings
    engine: AsyncEngine
    services: Services
    broker: EventBroker
    sla_breaches: SlaBreachLog
    redis: aioredis.Redis | None = None
    orders: ResilientOrderSystem | None = None  # the webhook endpoint invalidates its cache
    # Embedded mode: the bundled payment gateway simulator (its ledger, its fault switch).
    payment_gateway_simulator: Starlette | None = None


def refund_policy(settings: Settings) -> RefundPolicy:
    return RefundPolicy(
        window=timedelta(days=settings.refund_window_days),
        not_received_grace=timedelta(days=settings.not_received_grace_days),
        auto_approve_max_minor=settings.auto_approve_max_minor,
        auto_approve_max_recent_refunds=settings.auto_approve_max_recent_refunds,
        auto_approve_lookback=timedelta(days=settings.auto_approve_lookback_days),
        agent_limit_minor=settings.agent_approval_limit_minor,
        requests_per_day=settings.refund_requests_per_day,
    )


def refund_execution_policy(settings: Settings) -> RefundExecutionPolicy:
    return RefundExecutionPolicy(
        lease=timedelta(seconds=settings.refund_worker_lease_seconds),
        backoff_base=timedelta(seconds=settings.refund_worker_backoff_base_seconds),
        backoff_cap=timedelta(seconds=settings.refund_worker_backoff_cap_seconds),
        give_up_after=timedelta(hours=settings.refund_worker_give_up_hours),
    )


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
        api_key=settings.payment_gateway_api_key,
    )


def case_rules(settings: Settings) -> CaseRules:
    return CaseRules(
        reopen_within=timedelta(days=settings.reopen_within_days),
        auto_close_after=timedelta(days=settings.auto_close_after_days),
    )


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
        engine = create_engine(settings.effective_database_url)
        stack.push_async_callback(engine.dispose)
        session_factory = create_session_factory(engine)

        redis_client: aioredis.Redis | None = None
        rate_limiter: RateLimiter
        if settings.redis_url:
            # Short socket timeouts: a dead Redis must cost a request milliseconds, not seconds.
            redis_client = aioredis.from_url(
                settings.redis_url, socket_connect_timeout=0.5, socket_timeout=1.0
            )
            stack.push_async_callback(redis_client.aclose)
            rate_limiter = RedisRateLimiter(redis_client)
        else:
            rate_limiter = InProcessRateLimiter()

        if settings.order_system_url:
            orders = HttpOrderSystem(
                settings.order_system_url, timeout=settings.order_system_timeout_seconds
            )
        else:
            # Embedded: the simulator runs inside this process, reached over an in-memory
            # transport through the very same HTTP client code.
            simulator = order_simulator or create_order_simulator()
            client = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=simulator),
                base_url="http://order-system.local",
                timeout=settings.order_system_timeout_seconds,
            )
            stack.push_async_callback(client.aclose)
            orders = HttpOrderSystem(
                "http://order-system.local",
                timeout=settings.order_system_timeout_seconds,
                client=client,
            )
        stack.push_async_callback(orders.aclose)
        order_cache: OrderCache = (
            RedisOrderCache(redis_client, clock=clock)
            if redis_client is not None
            else InProcessOrderCache(settings.order_cache_max_entries, clock)
        )
        resilient_orders = ResilientOrderSystem(
            orders,
            order_cache,
            fresh_ttl_seconds=settings.order_cache_fresh_seconds,
            stale_ttl_seconds=settings.order_cache_keep_seconds,
            retries=settings.order_system_retries,
            deadline_seconds=settings.order_system_deadline_seconds,
            breaker=CircuitBreaker(
                failure_threshold=settings.order_breaker_failures,
                reset_timeout_seconds=settings.order_breaker_reset_seconds,
            ),
            clock=clock,
        )

        # Live updates: Redis pub/sub across instances, else in process (keeping no history).
        broker: EventBroker
        if settings.redis_url:
            redis_broker = RedisEventBroker(
                settings.redis_url, channel_prefix=settings.effective_event_channel_prefix
            )
            stack.push_async_callback(redis_broker.aclose)
            broker = redis_broker
        else:
            broker = InMemoryEventPublisher(keep_history=False)

        payments_simulator = None
        if not settings.payment_gateway_url:
            payments_simulator = payment_gateway_simulator or create_payment_gateway_simulator()
        payments = payment_gateway(
            settings, stack, simulator=payments_simulator, checkpoint=gateway_checkpoint
        )

        services = Services(
            uow=SqlUnitOfWorkFactory(session_factory),
            reads=SqlReadStore(session_factory),
            clock=clock,
            orders=resilient_orders,
            publisher=broker,
            passwords=password_hasher or Argon2PasswordHasher(),
            access_tokens=JwtAccessTokenService(
                secret=settings.jwt_secret,
                key_id=settings.jwt_key_id,
                issuer=settings.jwt_issuer,
                audience=settings.jwt_audience,
                ttl_seconds=settings.access_token_ttl_seconds,
                clock=clock,
            ),
            rate_limiter=rate_limiter,
            new_refresh_token=new_refresh_token,
            hash_refresh_token=hash_refresh_token,
            case_rules=case_rules(settings),
            refund_policy=refund_policy(settings),
            auth_rules=AuthRules(
                refresh_token_ttl=timedelta(seconds=settings.refresh_token_ttl_seconds),
                login_attempts_per_minute=settings.login_attempts_per_minute,
            ),
            payments=payments,
            refund_execution=refund_execution_policy(settings),
        )
        yield Runtime(
            settings=settings,
            engine=engine,
            services=services,
            broker=broker,
            sla_breaches=SqlSlaBreachLog(session_factory),
            redis=redis_client,
            orders=resilient_orders,
            payment_gateway_simulator=payments_simulator,
        )


def refund_worker(runtime: Runtime, *, checkpoint: Checkpoint | None = None) -> RefundWorker:
    """The refund worker of a runtime (app.worker runs it; the embedded app's lifespan too)."""
    settings = runtime.settings
    return RefundWorker(
        runtime.services,
        poll_seconds=settings.refund_worker_poll_seconds,
        concurrency=settings.refund_worker_concurrency,
        shutdown_grace_seconds=settings.refund_worker_shutdown_grace_seconds,
        checkpoint=checkpoint,
    )


def sla_scheduler(runtime: Runtime) -> SlaScheduler:
    """The SLA breach scheduler of a runtime; the worker runs it with
    `async with sla_scheduler(runtime).running(): ...` (the embedded app's lifespan does too)."""
    return SlaScheduler(
        runtime.services,
        runtime.sla_breaches,
        interval_seconds=runtime.settings.sla_scan_interval_seconds,
    )


async def seed(runtime: Runtime) -> int:
    services = runtime.services
    return await seed_demo_users(
        services.uow,
        services.passwords,
        services.clock,
        demo_users(ALICE_CUSTOMER_ID, BOB_CUSTOMER_ID),
    )


def create_app(
    settings: Settings | None = None,
    *,
    order_simulator: Starlette | None = None,
    payment_gateway_simulator: Starlette | None = None,
    **runtime_options: object,
) -> Starlette:
    """The ASGI app (uvicorn: `app.main:create_app --factory`). Tests may pass the embedded
    order simulator to control its orders."""
    settings = settings or Settings()
    production = settings.app_env == "production"
    simulator = None
    if not settings.order_system_url:
        simulator = order_simulator or create_order_simulator()
    payments_simulator = None
    if not settings.payment_gateway_url:
        payments_simulator = payment_gateway_simulator or create_payment_gateway_simulator()
    holder: dict[str, Runtime] = {}
    schema = build_schema(
        max_depth=settings.max_query_depth,
        max_aliases=settings.max_aliases,
        max_tokens=settings.max_tokens,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with build_runtime(
            settings,
            order_simulator=simulator,
            payment_gateway_simulator=payments_simulator,
            **runtime_options,  # type: ignore[arg-type]
        ) as rt:
            holder["runtime"] = rt
            view = StrawberryView(
                schema,
                services=rt.services,
                production=production,
                live=LiveUpdates(
                    rt.broker,
                    max_pending=settings.subscription_queue_size,
                    log=SharedEventLog(rt.services.reads),
                ),
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
                connection_init_wait_timeout=timedelta(
                    seconds=settings.ws_connection_init_timeout_seconds
                ),
                max_subscriptions_per_connection=settings.ws_max_subscriptions,
                allowed_origins=settings.effective_ws_allowed_origins,
            )
            app.state.graphql = GraphQLEndpoint(view, rt.services)
            app.state.browser_sessions = BrowserSessionEndpoint(rt.services, production=production)
            app.state.runtime = rt
            app.state.order_webhooks = order_webhook_endpoint(rt)
            async with contextlib.AsyncExitStack() as webhooks_stack:
                if simulator is not None:
                    await _simulator_sends_webhooks(app, simulator, settings, webhooks_stack)
                if settings.effective_run_sla_scheduler:
                    await webhooks_stack.enter_async_context(sla_scheduler(rt).running())
                if settings.effective_run_embedded_worker:
                    app.state.refund_worker = await webhooks_stack.enter_async_context(
                        refund_worker(rt).running()
                    )
                yield

    async def graphql(scope: Scope, receive: Receive, send: Send) -> None:
        await scope["app"].state.graphql(scope, receive, send)

    async def browser_session(scope: Scope, receive: Receive, send: Send) -> None:
        await scope["app"].state.browser_sessions(scope, receive, send)

    async def order_webhook(scope: Scope, receive: Receive, send: Send) -> None:
        await scope["app"].state.order_webhooks(scope, receive, send)

    async def healthz(request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    async def readyz(request: Request) -> JSONResponse:
        rt: Runtime = request.app.state.runtime
        checks: dict[str, str] = {}
        try:
            async with rt.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            checks["database"] = "ok"
        except Exception:  # noqa: BLE001 - readiness reports, never raises
            log.warning("readiness: database unreachable", exc_info=True)
            checks["database"] = "unreachable"
        if rt.redis is not None:
            try:
                await rt.redis.ping()
                checks["redis"] = "ok"
            except Exception:  # noqa: BLE001
                log.warning("readiness: redis unreachable", exc_info=True)
                checks["redis"] = "unreachable"
        ready = all(v == "ok" for v in checks.values())
        return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)

    routes = [
        Route("/graphql", _AsgiEndpoint(graphql), methods=["GET", "POST"]),
        WebSocketRoute("/graphql", _AsgiEndpoint(graphql)),
        Route(ORDER_WEBHOOK_PATH, _AsgiEndpoint(order_webhook), methods=["POST"]),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route(REFRESH_PATH, _AsgiEndpoint(browser_session)),
        Route(LOGOUT_PATH, _AsgiEndpoint(browser_session)),
        Mount("/static/graphiql", StaticFiles(directory=GRAPHIQL_STATIC_DIR), name="graphiql"),
    ]
    if simulator is not None:
        routes.append(Mount(SIMULATOR_PREFIX, app=simulator))
    if payments_simulator is not None:  # operators: GET /_sim/payments/_ledger, POST /_faults
        routes.append(Mount(PAYMENT_SIMULATOR_PREFIX, app=payments_simulator))
    # Last: the web client (client/dist) at / and its client-side routes.
    routes.append(Route("/{path:path}", _AsgiEndpoint(WebClient(settings.client_dist_dir))))
    return Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[
            Middleware(RequestContextMiddleware),
            Middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes),
        ],
    )


def order_webhook_endpoint(runtime: Runtime) -> OrderWebhookEndpoint:
    """POST /webhooks/order-system: verified with the current and the previous secret; the
    order cache (the resilient order system) learns about the change."""
    settings = runtime.settings
    assert runtime.orders is not None
    verifier = WebhookVerifier(
        [settings.order_webhook_secret, settings.order_webhook_previous_secret or ""],
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


async def _simulator_sends_webhooks(
    app: Starlette, simulator: Starlette, settings: Settings, stack: contextlib.AsyncExitStack
) -> None:
    """Embedded mode: the bundled order simulator delivers its signed events to this app, as the
    real order system would: in process (over httpx.ASGITransport, no port needed), or to
    `simulator_webhook_url` over HTTP. A simulator the caller configured already is left alone."""
    state = simulator_state(simulator)
    if state.webhooks is not None:
        return
    client: httpx.AsyncClient | None = None
    url = settings.simulator_webhook_url
    if url is None:
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://support.local"
        )
        stack.push_async_callback(client.aclose)
        url = "http://support.local" + ORDER_WEBHOOK_PATH
    state.configure_webhooks(url, settings.order_webhook_secret, client=client)
    stack.push_async_callback(state.aclose)  # runs first: pending deliveries are cancelled


class _AsgiEndpoint:
    """Starlette treats a plain function as a request/response endpoint; an object with an
    async __call__ is served as a raw ASGI app, which the GraphQL endpoint needs."""

    def __init__(self, endpoint: ASGIApp) -> None:
        self.endpoint = endpoint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.endpoint(scope, receive, send)
