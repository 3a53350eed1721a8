"""Redis (REDIS_URL), or the in-process twins of what it provides in the embedded mode."""

from __future__ import annotations

import contextlib

import redis.asyncio as aioredis

from adapters.cost_budget import InProcessCostBudget, RedisCostBudget
from adapters.memory.events import InMemoryEventPublisher
from adapters.rate_limit import InProcessRateLimiter, RedisRateLimiter
from adapters.rate_limit_fallback import FallbackRateLimiter
from adapters.redis_events import RedisEventBroker
from adapters.session_notices import LocalSessionNotices, RedisSessionNotices
from app.composition.shutdown import bounded_close
from app.settings import Settings
from domain.budget import CostBudget
from domain.ports import EventBroker, RateLimiter, SessionNotices


def redis_client(settings: Settings, stack: contextlib.AsyncExitStack) -> aioredis.Redis | None:
    """The shared client (closed with `stack`), or None without REDIS_URL."""
    if not settings.redis_url:
        return None
    # Short socket timeouts: a dead Redis must cost a request milliseconds, not seconds.
    client = aioredis.from_url(settings.redis_url, socket_connect_timeout=0.5, socket_timeout=1.0)
    stack.push_async_callback(
        bounded_close, client.aclose, "Redis client", settings.shutdown_grace_seconds / 8
    )
    return client


def rate_limiter(client: aioredis.Redis | None) -> RateLimiter:
    """Shared in Redis; per process while Redis is unreachable (adapters.rate_limit_fallback)."""
    if client is None:
        return InProcessRateLimiter()
    return FallbackRateLimiter(RedisRateLimiter(client), InProcessRateLimiter())


def cost_budget(settings: Settings, client: aioredis.Redis | None) -> CostBudget:
    """Query-cost buckets: in Redis, shared by every instance (keys namespaced like the event
    channels, so deployments sharing a Redis never share budgets), else in process."""
    if client is None:
        return InProcessCostBudget()
    deployment = settings.effective_event_channel_prefix.rsplit(":", 1)[-1]
    return RedisCostBudget(client, prefix=f"cost:{deployment}:")


def event_broker(settings: Settings, stack: contextlib.AsyncExitStack) -> EventBroker:
    """Live updates: Redis pub/sub across instances, else in process (keeping no history)."""
    if not settings.redis_url:
        return InMemoryEventPublisher(keep_history=False)
    broker = RedisEventBroker(
        settings.redis_url,
        channel_prefix=settings.effective_event_channel_prefix,
        publish_timeout_seconds=settings.event_publish_timeout_seconds,
    )
    stack.push_async_callback(
        bounded_close, broker.aclose, "event broker", settings.shutdown_grace_seconds / 8
    )
    return broker


def session_notices(settings: Settings, stack: contextlib.AsyncExitStack) -> SessionNotices:
    """ "A user's sessions ended" (admin actions): over Redis to every instance, else in process."""
    if not settings.redis_url:
        return LocalSessionNotices()
    notices = RedisSessionNotices(
        settings.redis_url,
        channel_prefix=settings.effective_event_channel_prefix,
        publish_timeout_seconds=settings.event_publish_timeout_seconds,
    )
    stack.push_async_callback(
        bounded_close, notices.aclose, "session notices", settings.shutdown_grace_seconds / 8
    )
    return notices
