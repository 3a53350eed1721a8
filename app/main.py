"""The composition root: the one module that wires adapters into the ports, by settings.

Nothing imports it but the entry points (app.serve, app.worker, tests)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
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

from adapters.auth.passwords import Argon2PasswordHasher
from adapters.auth.refresh_tokens import hash_refresh_token, new_refresh_token
from adapters.auth.tokens import JwtAccessTokenService
from adapters.clock import SystemClock
from adapters.memory.events import InMemoryEventPublisher
from adapters.order_system.cache import InProcessOrderCache, OrderCache, RedisOrderCache
from adapters.order_system.http_client import HttpOrderSystem
from adapters.order_system.resilient import CircuitBreaker, ResilientOrderSystem
from adapters.order_system.simulator import (
    ALICE_CUSTOMER_ID,
    BOB_CUSTOMER_ID,
    create_order_simulator,
)
from adapters.rate_limit import InProcessRateLimiter, RedisRateLimiter
from adapters.sql.db import create_engine, create_session_factory
from adapters.sql.read_store import SqlReadStore
from adapters.sql.unit_of_work import SqlUnitOfWorkFactory
from app.graphiql import STATIC_DIR as GRAPHIQL_STATIC_DIR
from app.graphql.schema import build_schema
from app.http.graphql_endpoint import GraphQLEndpoint, StrawberryView
from app.http.middleware import BodySizeLimitMiddleware, RequestContextMiddleware
from app.seed import demo_users, seed_demo_users
from app.settings import Settings
from domain.cases import CaseRules
from domain.ports import Clock, RateLimiter
from domain.refunds import RefundPolicy
from domain.usecases.services import AuthRules, Services

log = logging.getLogger("app")

SIMULATOR_PREFIX = "/_sim/orders"


@dataclass
class Runtime:
    """Everything built at startup and closed at shutdown."""

    settings: Settings
    engine: AsyncEngine
    services: Services
    redis: aioredis.Redis | None = None
    orders: ResilientOrderSystem | None = None  # the webhook endpoint invalidates its cache
    closers: list[contextlib.AsyncExitStack] = field(default_factory=list)


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

        services = Services(
            uow=SqlUnitOfWorkFactory(session_factory),
            reads=SqlReadStore(session_factory),
            clock=clock,
            orders=resilient_orders,
            publisher=InMemoryEventPublisher(),
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
        )
        yield Runtime(
            settings=settings,
            engine=engine,
            services=services,
            redis=redis_client,
            orders=resilient_orders,
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
    **runtime_options: object,
) -> Starlette:
    """The ASGI app (uvicorn: `app.main:create_app --factory`). Tests may pass the embedded
    order simulator to control its orders."""
    settings = settings or Settings()
    production = settings.app_env == "production"
    simulator = None
    if not settings.order_system_url:
        simulator = order_simulator or create_order_simulator()
    holder: dict[str, Runtime] = {}
    schema = build_schema(
        max_depth=settings.max_query_depth,
        max_aliases=settings.max_aliases,
        max_tokens=settings.max_tokens,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with build_runtime(settings, order_simulator=simulator, **runtime_options) as rt:  # type: ignore[arg-type]
            holder["runtime"] = rt
            view = StrawberryView(
                schema,
                services=rt.services,
                production=production,
                graphql_ide="graphiql",
                allow_queries_via_get=False,
                multipart_uploads_enabled=False,
            )
            app.state.graphql = GraphQLEndpoint(view, rt.services)
            app.state.runtime = rt
            yield

    async def graphql(scope: Scope, receive: Receive, send: Send) -> None:
        await scope["app"].state.graphql(scope, receive, send)

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
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Mount("/static/graphiql", StaticFiles(directory=GRAPHIQL_STATIC_DIR), name="graphiql"),
    ]
    if simulator is not None:
        routes.append(Mount(SIMULATOR_PREFIX, app=simulator))
    return Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[
            Middleware(RequestContextMiddleware),
            Middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes),
        ],
    )


class _AsgiEndpoint:
    """Starlette treats a plain function as a request/response endpoint; an object with an
    async __call__ is served as a raw ASGI app, which the GraphQL endpoint needs."""

    def __init__(self, endpoint: ASGIApp) -> None:
        self.endpoint = endpoint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.endpoint(scope, receive, send)
