"""The order system port: the HTTP client (to ORDER_SYSTEM_URL, or to the embedded simulator over
an in-memory transport), behind the cache, retries and circuit breaker of ResilientOrderSystem."""

from __future__ import annotations

import contextlib

import httpx
import redis.asyncio as aioredis
from starlette.applications import Starlette

from adapters.order_system.cache import InProcessOrderCache, OrderCache, RedisOrderCache
from adapters.order_system.http_client import HttpOrderSystem
from adapters.order_system.resilient import CircuitBreaker, ResilientOrderSystem
from adapters.order_system.simulator import create_order_simulator
from app.observability.metrics import OrderSystemMetrics
from app.settings import Settings
from domain.ports import Clock

EMBEDDED_ORDER_SYSTEM_URL = "http://order-system.local"


def order_client(
    settings: Settings, stack: contextlib.AsyncExitStack, *, simulator: Starlette | None
) -> HttpOrderSystem:
    if settings.order_system_url:
        orders = HttpOrderSystem(
            settings.order_system_url, timeout=settings.order_system_timeout_seconds
        )
    else:
        # Embedded: the simulator runs inside this process, reached over an in-memory
        # transport through the very same HTTP client code.
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=simulator or create_order_simulator()),
            base_url=EMBEDDED_ORDER_SYSTEM_URL,
            timeout=settings.order_system_timeout_seconds,
        )
        stack.push_async_callback(client.aclose)
        orders = HttpOrderSystem(
            EMBEDDED_ORDER_SYSTEM_URL,
            timeout=settings.order_system_timeout_seconds,
            client=client,
        )
    stack.push_async_callback(orders.aclose)
    return orders


def order_cache(settings: Settings, redis: aioredis.Redis | None, clock: Clock) -> OrderCache:
    if redis is not None:
        return RedisOrderCache(redis, clock=clock)
    return InProcessOrderCache(settings.order_cache_max_entries, clock)


def order_system(
    settings: Settings,
    stack: contextlib.AsyncExitStack,
    *,
    clock: Clock,
    redis: aioredis.Redis | None,
    simulator: Starlette | None,
) -> ResilientOrderSystem:
    return ResilientOrderSystem(
        order_client(settings, stack, simulator=simulator),
        order_cache(settings, redis, clock),
        fresh_ttl_seconds=settings.order_cache_fresh_seconds,
        stale_ttl_seconds=settings.order_cache_keep_seconds,
        retries=settings.order_system_retries,
        deadline_seconds=settings.order_system_deadline_seconds,
        breaker=CircuitBreaker(
            failure_threshold=settings.order_breaker_failures,
            reset_timeout_seconds=settings.order_breaker_reset_seconds,
        ),
        clock=clock,
        observer=OrderSystemMetrics() if settings.metrics_enabled else None,
    )
