"""Cost budgets (domain.budget.CostBudget): token buckets, in process or shared in Redis.

Why one Lua script and not the `limits` library: `limits` counts hits in fixed or sliding
windows; what we need is a token bucket that refills continuously per second, spends a variable
cost only when the whole cost fits (a refused operation spends nothing), and answers with the
level left, in one atomic round trip on the Redis client the service already has (same pool,
same timeouts, same error handling). `limits` would need a test-then-hit pair (two round trips,
not atomic across instances) and its own Redis connection from a URI. The script is twenty
lines, uses Redis' own clock (`TIME`), so instances with skewed clocks still agree, and stores
one small hash per caller that expires once the bucket would be full again.

In-process buckets are for the embedded mode (no REDIS_URL) and tests; memory is bounded.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from redis.asyncio import Redis

from domain.budget import BudgetPolicy, BudgetSpend, settle

_MAX_KEY_LENGTH: Final = 128


def _normalize_key(key: str) -> str:
    if len(key) > _MAX_KEY_LENGTH:
        return "sha256:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
    return key


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float


class InProcessCostBudget:
    """Token buckets in a dict (one process). `time_func` (monotonic seconds) for tests."""

    def __init__(
        self, *, time_func: Callable[[], float] = time.monotonic, max_keys: int = 100_000
    ) -> None:
        self._time = time_func
        self._max_keys = max_keys
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._lock = threading.Lock()

    async def spend(self, key: str, cost: int, policy: BudgetPolicy) -> BudgetSpend:
        key = _normalize_key(key)
        with self._lock:
            now = self._time()
            bucket = self._buckets.pop(key, None)
            if bucket is None:
                tokens = float(policy.capacity)
                while len(self._buckets) >= self._max_keys:
                    self._buckets.popitem(last=False)  # least recently used
            else:
                elapsed = max(0.0, now - bucket.at)
                tokens = min(policy.capacity, bucket.tokens + elapsed * policy.refill_per_second)
            result = settle(tokens, cost, policy)
            left = tokens - cost if result.allowed else tokens
            self._buckets[key] = _Bucket(tokens=left, at=now)
            return result

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()


# KEYS[1] the bucket; ARGV capacity, refill per second, cost. Returns {allowed, level before}.
_SPEND_SCRIPT: Final = """
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = capacity
else
  tokens = math.min(capacity, tokens + math.max(0, now - at) * rate)
end
local before = tokens
local allowed = 0
if cost <= tokens then
  tokens = tokens - cost
  allowed = 1
end
redis.call('HSET', KEYS[1],
  'tokens', string.format('%.6f', tokens), 'at', string.format('%.6f', now))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / rate * 1000) + 1000)
return {allowed, string.format('%.6f', before)}
"""


class RedisCostBudget:
    """Token buckets in Redis, shared by every instance: one atomic Lua script per spend.

    Redis errors propagate: the caller decides whether to fail open or closed."""

    def __init__(self, redis: Redis, prefix: str = "cost:") -> None:
        self._prefix = prefix
        self._script = redis.register_script(_SPEND_SCRIPT)

    async def spend(self, key: str, cost: int, policy: BudgetPolicy) -> BudgetSpend:
        allowed, before = await self._script(
            keys=[self._prefix + _normalize_key(key)],
            args=[policy.capacity, repr(float(policy.refill_per_second)), cost],
        )
        level = float(before.decode() if isinstance(before, bytes) else before)
        # The script decided; the rounding of `level` must not flip its decision here.
        level = max(level, float(cost)) if int(allowed) else min(level, cost - 1e-6)
        return settle(level, cost, policy)
