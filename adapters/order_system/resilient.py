"""`OrderSystem` that stays useful while the order system is slow or down.

`ResilientOrderSystem` wraps another `OrderSystem` (in production the `HttpOrderSystem`) with:

- a cache (`adapters.order_system.cache`): fresh copies are served without calling the order
  system; misses are fetched in ONE batch call and stored;
- retries of these idempotent reads: exponential backoff with full jitter, all attempts within
  one overall deadline;
- a circuit breaker: after `failure_threshold` consecutive failures it opens and calls fail fast
  (no network) for `reset_timeout_seconds`; then ONE trial call is let through (half-open): its
  success closes the circuit, its failure opens it again;
- a stale fallback for reads: when the order system cannot answer, `get_orders` serves the cached
  copies kept for `stale_ttl_seconds`, marked `stale=True` with their original `as_of`.

Which call to use:
- `get_orders(ids)`: display and access checks. Fresh cache hits, else the order system, else
  stale copies. Raises `OrdersPartiallyUnavailable` (an `OrderSystemUnavailable`) naming the ids
  it has nothing for, carrying what it could serve.
- `get_orders_fresh(ids)`: decisions that move money (request and approve a refund). Always asks
  the order system (retries and breaker apply); never serves a cached copy; refreshes the cache.
- `list_customer_orders(...)`: always asks the order system (retries and breaker apply) and puts
  the orders of the page into the cache; when the order system cannot answer it raises
  `OrderSystemUnavailable` rather than serving a cached listing: the order system sends no
  webhook for new orders, so a cached page could silently miss a customer's newest order, and its
  cursors belong to the order system. The orders a customer opens from the list are still served
  stale by `get_orders`.
- `invalidate(ids, version=...)`: for the order webhooks: ends freshness, keeps the stale copy,
  and keeps reads that started before the change from writing their older answer back.
  `order_changed(ids, known_at=...)` is the same as the domain's `OrderChanges` port.

A cache failure (Redis down) never fails a read: it counts as a miss and the write is skipped.
Every failed attempt and every breaker transition is logged once, with the reason.

Why the breaker and the retries are written here rather than taken from a library (evaluated:
purgatory 3.0 and aiobreaker 1.2 for the breaker, stamina 26 and tenacity 9 for the retries):
- The breaker needs verdicts that can arrive late and be ignored (a call started before a
  transition must not reopen or close the circuit: `BreakerPermit.generation`), a third outcome
  besides success and failure (`release`: the caller went away, no verdict), a deadline overrun
  that counts as a failure while a cancellation does not, and an injectable monotonic clock for
  the tests. purgatory counts every exception raised inside its `async with` (a cancellation
  too; there is no "no verdict"), lets every call through while half-open instead of one trial,
  keeps its state behind an async unit of work (each check awaits, so it is no longer atomic on
  the event loop) and times the cool-down with the wall clock (`time.time()`); aiobreaker has
  had no release since 2021 and also reads the wall clock.
- The retries are tied to that breaker (one permit per attempt, "circuit open" is never retried),
  to one `asyncio.timeout` around all attempts and waits, and skip a wait that alone would overrun
  the deadline. tenacity could express the backoff (`wait_random_exponential`) and the stop rule
  (`stop_before_delay`), and stamina its capped, jittered backoff within a timeout, but the
  per-attempt breaker bookkeeping and the deadline-vs-cancellation rule would remain here, around
  their loop: about 40 lines of loop would be traded for a dependency and a second place to read.
If the breaker ever has to be shared across instances (today each API process has its own, which
is the usual choice for a consecutive-failure breaker), purgatory's Redis storage is the first
thing to try.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import random
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol, TypeVar

from adapters.clock import SystemClock
from adapters.order_system.cache import CachedOrder, OrderCache, OrderCacheError, version_at
from domain.errors import OrdersPartiallyUnavailable, OrderSystemUnavailable
from domain.orders import Order, OrderPage
from domain.ports import Clock, OrderSystem

__all__ = [
    "BreakerPermit",
    "BreakerState",
    "CircuitBreaker",
    "CircuitOpen",
    "OrdersPartiallyUnavailable",
    "ResilientOrderSystem",
]

log = logging.getLogger(__name__)

T = TypeVar("T")


class CircuitOpen(OrderSystemUnavailable):
    """The breaker refused the call without trying (open, or a half-open trial in flight)."""


# -- circuit breaker -------------------------------------------------------------------------


class OrderSystemObserver(Protocol):
    """What the resilient order system reports as it works (metrics: app.observability wires
    one in; None: nothing is reported). Called synchronously, never awaited; must not raise."""

    def call_finished(self, operation: str, outcome: str) -> None:
        """One attempt: `outcome` is "ok", "unavailable" or "circuit_open"."""
        ...

    def cache_looked_up(self, hits: int, misses: int) -> None:
        """One cache read of `get_orders`: fresh copies served vs ids the order system is asked."""
        ...

    def breaker_changed(self, state: BreakerState) -> None: ...


class BreakerState(enum.StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"


@dataclass(frozen=True, slots=True)
class BreakerPermit:
    """Given by `CircuitBreaker.acquire()`; hand it back with the call's verdict."""

    generation: int


class CircuitBreaker:
    """Consecutive-failure circuit breaker for one dependency, for one event loop.

    `acquire()` before a call (raises `CircuitOpen` when the call must not be made), then exactly
    one of `record_success(permit)`, `record_failure(permit, reason)` or `release(permit)` (the
    call was abandoned, e.g. cancelled because the caller went away: no verdict). A verdict only
    counts for the state it was given in: every transition starts a new generation, and late
    verdicts of calls from an older generation are ignored. In half-open exactly one trial call
    is let through; should it never report, another one is allowed after `reset_timeout_seconds`.
    `time_func` (monotonic seconds) is injectable so tests need not wait for the cool-down.
    No method awaits, so each is atomic on the event loop."""

    def __init__(
        self,
        *,
        failure_threshold: int = 5,
        reset_timeout_seconds: float = 30.0,
        name: str = "order system",
        time_func: Callable[[], float] = time.monotonic,
        on_change: Callable[[BreakerState], None] | None = None,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        if reset_timeout_seconds <= 0:
            raise ValueError("reset_timeout_seconds must be > 0")
        self.failure_threshold = failure_threshold
        self.reset_timeout_seconds = reset_timeout_seconds
        self.name = name
        self._time = time_func
        self._state = BreakerState.CLOSED
        self._generation = 0
        self._failures = 0
        self._opened_at = 0.0
        self._trial_started_at: float | None = None
        self.on_change = on_change

    @property
    def state(self) -> BreakerState:
        return self._state

    @property
    def consecutive_failures(self) -> int:
        return self._failures

    def _move(self, state: BreakerState, reason: str) -> None:
        previous, self._state = self._state, state
        self._generation += 1
        self._trial_started_at = None
        if state is BreakerState.OPEN:
            self._opened_at = self._time()
        if state is BreakerState.CLOSED:
            self._failures = 0
        level = logging.INFO if state is BreakerState.CLOSED else logging.WARNING
        log.log(level, "circuit breaker %s: %s -> %s (%s)", self.name, previous, state, reason)
        if self.on_change is not None:
            self.on_change(state)

    def acquire(self) -> BreakerPermit:
        now = self._time()
        if self._state is BreakerState.OPEN:
            waited = now - self._opened_at
            if waited < self.reset_timeout_seconds:
                raise CircuitOpen(
                    f"{self.name}: circuit open after {self._failures} consecutive failures; "
                    f"next trial in {self.reset_timeout_seconds - waited:.1f} s"
                )
            self._move(
                BreakerState.HALF_OPEN, f"cool-down of {self.reset_timeout_seconds:g} s over"
            )
        if self._state is BreakerState.HALF_OPEN:
            started = self._trial_started_at
            if started is not None and now - started < self.reset_timeout_seconds:
                raise CircuitOpen(f"{self.name}: circuit half-open, a trial call is in flight")
            self._trial_started_at = now
        return BreakerPermit(self._generation)

    def record_success(self, permit: BreakerPermit) -> None:
        if permit.generation != self._generation:
            return
        if self._state is BreakerState.HALF_OPEN:
            self._move(BreakerState.CLOSED, "trial call succeeded")
        else:
            self._failures = 0

    def record_failure(self, permit: BreakerPermit, reason: str) -> None:
        if permit.generation != self._generation:
            return
        self._failures += 1
        if self._state is BreakerState.HALF_OPEN:
            self._move(BreakerState.OPEN, f"trial call failed: {reason}")
        elif self._failures >= self.failure_threshold:
            self._move(BreakerState.OPEN, f"{self._failures} consecutive failures, last: {reason}")

    def release(self, permit: BreakerPermit) -> None:
        if permit.generation == self._generation and self._state is BreakerState.HALF_OPEN:
            self._trial_started_at = None


# -- the resilient order system --------------------------------------------------------------


def _wanted(order_ids: Sequence[str]) -> list[str]:
    if isinstance(order_ids, str):
        raise TypeError("order_ids must be a sequence of ids, not a string")
    return list(dict.fromkeys(i for i in order_ids if i))


class ResilientOrderSystem:
    """`OrderSystem` plus `get_orders_fresh` and `invalidate`; see the module docstring.

    `fresh_ttl_seconds`: how long a read is served without asking again; `stale_ttl_seconds`:
    how long it is kept as a fallback. `retries`: extra attempts after a failure (so at most
    `retries + 1` calls), waiting `uniform(0, min(backoff_max, backoff_base * 2**n))` seconds
    before retry n+1; `deadline_seconds` bounds one whole operation (attempts and waits).
    `cache_timeout_seconds` bounds each cache call. `clock` stamps cache versions and decides
    freshness; `sleep` and `rng` are injectable for tests."""

    def __init__(
        self,
        inner: OrderSystem,
        cache: OrderCache,
        *,
        fresh_ttl_seconds: float = 60.0,
        stale_ttl_seconds: float = 86_400.0,
        retries: int = 2,
        backoff_base: float = 0.05,
        backoff_max: float = 0.5,
        deadline_seconds: float = 2.0,
        breaker: CircuitBreaker | None = None,
        cache_timeout_seconds: float = 0.5,
        clock: Clock | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
        observer: OrderSystemObserver | None = None,
    ) -> None:
        if fresh_ttl_seconds < 0 or stale_ttl_seconds <= 0 or stale_ttl_seconds < fresh_ttl_seconds:
            raise ValueError("need 0 <= fresh_ttl_seconds <= stale_ttl_seconds, stale > 0")
        if retries < 0:
            raise ValueError("retries must be >= 0")
        if backoff_base < 0 or backoff_max < 0:
            raise ValueError("backoff_base and backoff_max must be >= 0")
        if deadline_seconds <= 0 or cache_timeout_seconds <= 0:
            raise ValueError("deadline_seconds and cache_timeout_seconds must be > 0")
        self._inner = inner
        self._cache = cache
        self._fresh_ttl = fresh_ttl_seconds
        self._stale_ttl = stale_ttl_seconds
        self._retries = retries
        self._backoff_base = backoff_base
        self._backoff_max = backoff_max
        self._deadline = deadline_seconds
        self._cache_timeout = cache_timeout_seconds
        self.breaker = breaker or CircuitBreaker()
        self._clock: Clock = clock or SystemClock()
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._observer = observer
        if observer is not None:
            self.breaker.on_change = observer.breaker_changed
            observer.breaker_changed(self.breaker.state)

    # -- OrderSystem ------------------------------------------------------------------------

    async def get_orders(self, order_ids: Sequence[str]) -> dict[str, Order]:
        """Fresh cached copies, else one batch call for the rest, else stale copies."""
        wanted = _wanted(order_ids)
        if not wanted:
            return {}
        cached = await self._cache_get(wanted)
        now = self._clock.now()
        served = {i: entry.order for i, entry in cached.items() if entry.is_fresh(now)}
        misses = [i for i in wanted if i not in served]
        if self._observer is not None:
            self._observer.cache_looked_up(len(served), len(misses))
        if misses:
            try:
                served.update(await self._fetch(misses))
            except OrderSystemUnavailable as exc:
                stale = {i: replace(cached[i].order, stale=True) for i in misses if i in cached}
                served.update(stale)
                missing = [i for i in misses if i not in stale]
                if missing:
                    raise OrdersPartiallyUnavailable(
                        f"{exc}; no cached copy of {len(missing)} of {len(wanted)} orders",
                        available={i: served[i] for i in wanted if i in served},
                        missing=missing,
                    ) from exc
                log.debug("order system unavailable: served %d stale cached orders", len(stale))
        return {i: served[i] for i in wanted if i in served}

    async def list_customer_orders(
        self, customer_id: str, *, limit: int, cursor: str | None = None
    ) -> OrderPage:
        """Always the order system (no stale fallback, see the module docstring)."""
        version = version_at(self._clock.now())
        page = await self._call(
            "list customer orders",
            lambda: self._inner.list_customer_orders(customer_id, limit=limit, cursor=cursor),
        )
        await self._cache_put(page.orders, version)
        return page

    # -- beyond the port --------------------------------------------------------------------

    async def get_orders_fresh(self, order_ids: Sequence[str]) -> dict[str, Order]:
        """Read from the order system itself, for decisions; raises OrderSystemUnavailable."""
        wanted = _wanted(order_ids)
        if not wanted:
            return {}
        return await self._fetch(wanted)

    async def invalidate(self, order_ids: Sequence[str], *, version: int | None = None) -> None:
        """The order changed (webhook): the next read asks the order system again. `version`
        (default: now, as `cache.version_at`) is the moment the change was known. Raises
        `OrderCacheError` when the cache cannot record it (the webhook should then fail so that
        it is delivered again)."""
        try:
            async with asyncio.timeout(self._cache_timeout):
                await self._cache.invalidate(order_ids, version=version)
        except TimeoutError:
            raise OrderCacheError("order cache: invalidate timed out") from None

    async def order_changed(self, order_ids: Sequence[str], *, known_at: datetime) -> None:
        """domain.ports.OrderChanges (the order webhooks): `invalidate` with the version of
        `known_at`. Raises `OrderCacheError` when the cache cannot record it."""
        await self.invalidate(order_ids, version=version_at(known_at))

    # -- internals --------------------------------------------------------------------------

    async def _fetch(self, order_ids: list[str]) -> dict[str, Order]:
        version = version_at(self._clock.now())  # before asking: what we learn is at least this new
        found = await self._call("get orders", lambda: self._inner.get_orders(order_ids))
        await self._cache_put(found.values(), version)
        return found

    async def _call(self, what: str, call: Callable[[], Awaitable[T]]) -> T:
        try:
            async with asyncio.timeout(self._deadline) as deadline:
                return await self._attempts(what, call, deadline)
        except TimeoutError:
            raise OrderSystemUnavailable(
                f"order system: {what}: no answer within the {self._deadline:g} s deadline"
            ) from None

    async def _attempts(
        self, what: str, call: Callable[[], Awaitable[T]], deadline: asyncio.Timeout
    ) -> T:
        loop = asyncio.get_running_loop()
        attempts = self._retries + 1
        for attempt in range(attempts):
            try:
                permit = self.breaker.acquire()  # CircuitOpen: fail fast, no retry
            except CircuitOpen:
                self._observed(what, "circuit_open")
                raise
            try:
                result = await call()
            except OrderSystemUnavailable as exc:
                self._observed(what, "unavailable")
                self.breaker.record_failure(permit, str(exc))
                log.warning(
                    "order system: %s failed (attempt %d/%d): %s", what, attempt + 1, attempts, exc
                )
                if attempt + 1 == attempts:
                    raise
                delay = self._rng.uniform(
                    0, min(self._backoff_max, self._backoff_base * 2**attempt)
                )
                when = deadline.when()
                if when is not None and loop.time() + delay >= when:
                    raise  # the wait alone would overrun the deadline
                await self._sleep(delay)
            except asyncio.CancelledError:
                if deadline.expired():
                    self._observed(what, "unavailable")
                    reason = f"deadline of {self._deadline:g} s exceeded"
                    self.breaker.record_failure(permit, reason)
                    log.warning(
                        "order system: %s failed (attempt %d/%d): %s",
                        what,
                        attempt + 1,
                        attempts,
                        reason,
                    )
                else:
                    self.breaker.release(permit)
                raise
            except BaseException:
                self.breaker.release(permit)  # e.g. ValueError for a bad limit: not an outage
                raise
            else:
                self._observed(what, "ok")
                self.breaker.record_success(permit)
                return result
        raise AssertionError("unreachable")  # pragma: no cover

    def _observed(self, what: str, outcome: str) -> None:
        if self._observer is not None:
            self._observer.call_finished(what, outcome)

    async def _cache_get(self, order_ids: list[str]) -> dict[str, CachedOrder]:
        try:
            async with asyncio.timeout(self._cache_timeout):
                return await self._cache.get_many(order_ids)
        except (OrderCacheError, TimeoutError) as exc:
            log.warning("order cache: read failed, treated as a miss: %s", _describe(exc))
            return {}

    async def _cache_put(self, orders: Iterable[Order], version: int) -> None:
        batch = list(orders)
        if not batch:
            return
        try:
            async with asyncio.timeout(self._cache_timeout):
                await self._cache.put_many(
                    batch,
                    self._fresh_ttl,
                    keep_seconds=self._stale_ttl,
                    versions={order.id: version for order in batch},
                )
        except (OrderCacheError, TimeoutError) as exc:
            log.warning("order cache: write of %d orders skipped: %s", len(batch), _describe(exc))


def _describe(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__
