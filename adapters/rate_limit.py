"""Rate limiters implementing domain.ports.RateLimiter: fixed windows, in-process or in Redis.

A window starts at the first hit of a key and lasts `window_seconds`; it allows `limit` hits and
refuses the rest with the seconds left until it ends. Use one (limit, window) per key.
Keys longer than 128 characters are replaced by their SHA-256 digest (bounded memory).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from redis.asyncio import Redis

_MAX_KEY_LENGTH: Final = 128
_MIN_RETRY_AFTER: Final = 0.001


def _normalize_key(key: str) -> str:
    if len(key) > _MAX_KEY_LENGTH:
        return "sha256:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
    return key


def _check_arguments(limit: int, window_seconds: int) -> None:
    if limit < 1:
        raise ValueError("limit must be at least 1")
    if window_seconds <= 0:
        raise ValueError("window_seconds must be positive")


@dataclass(slots=True)
class _Window:
    ends_at: float
    hits: int


class InProcessRateLimiter:
    """Fixed windows in a dict; for one process (development, tests, single instance).

    `hit` never awaits, so it is atomic on an event loop; a lock makes it thread-safe too.
    Memory is bounded: ended windows are pruned at most every `prune_interval` seconds (and
    whenever `max_keys` is reached); past `max_keys` live windows, the oldest ones are dropped.
    `time_func` (monotonic seconds) can be replaced in tests to move time.
    """

    def __init__(
        self,
        *,
        time_func: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
        prune_interval: float = 1.0,
    ) -> None:
        if max_keys < 1:
            raise ValueError("max_keys must be at least 1")
        self._time = time_func
        self._max_keys = max_keys
        self._prune_interval = prune_interval
        self._windows: dict[str, _Window] = {}  # insertion order = window start order
        self._lock = threading.Lock()
        self._last_prune = time_func()

    def __len__(self) -> int:
        """How many windows are held (including ended ones not yet pruned)."""
        return len(self._windows)

    async def hit(self, key: str, *, limit: int, window_seconds: int) -> float | None:
        _check_arguments(limit, window_seconds)
        key = _normalize_key(key)
        with self._lock:
            now = self._time()
            self._maybe_prune(now)
            window = self._windows.get(key)
            if window is None or window.ends_at <= now:
                if window is not None:
                    del self._windows[key]  # re-insert at the end: keeps start order
                elif len(self._windows) >= self._max_keys:
                    self._evict(now)
                self._windows[key] = _Window(ends_at=now + window_seconds, hits=1)
                return None
            if window.hits < limit:
                window.hits += 1
                return None
            return max(window.ends_at - now, _MIN_RETRY_AFTER)

    def _maybe_prune(self, now: float) -> None:
        if now - self._last_prune >= self._prune_interval:
            self._prune(now)

    def _prune(self, now: float) -> None:
        self._last_prune = now
        ended = [key for key, window in self._windows.items() if window.ends_at <= now]
        for key in ended:
            del self._windows[key]

    def _evict(self, now: float) -> None:
        self._prune(now)
        while len(self._windows) >= self._max_keys:
            del self._windows[next(iter(self._windows))]

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()


# INCR and set the expiry in one step; a key without expiry (should never happen) gets one.
_HIT_SCRIPT: Final = """
local hits = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if hits == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {hits, ttl}
"""


class RedisRateLimiter:
    """Fixed windows in Redis, shared by every instance: one atomic Lua script per hit.

    Redis errors (e.g. redis.exceptions.ConnectionError) propagate: the caller decides whether
    to fail open or closed.
    """

    def __init__(self, redis: Redis, prefix: str = "rl:") -> None:
        self._redis = redis
        self._prefix = prefix
        self._script = redis.register_script(_HIT_SCRIPT)

    async def hit(self, key: str, *, limit: int, window_seconds: int) -> float | None:
        _check_arguments(limit, window_seconds)
        redis_key = self._prefix + _normalize_key(key)
        window_ms = int(window_seconds * 1000)
        hits, ttl_ms = await self._script(keys=[redis_key], args=[window_ms])
        if int(hits) <= limit:
            return None
        return max(int(ttl_ms) / 1000, _MIN_RETRY_AFTER)
