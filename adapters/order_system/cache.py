"""A cache of the order system's orders: in-process (embedded mode, tests) or in Redis (shared).

Every entry holds one order (its JSON, via `codec`), the `as_of` of the read that produced it,
a `version` and a "fresh until" instant. Entries are served as fresh until then and are *kept*
much longer (`keep_seconds`, e.g. 24 h) so that a copy can still be served, marked stale, while
the order system is down.

Versions are integers that grow with the knowledge they stand for. The convention used by
`ResilientOrderSystem` is `version_at(t)`: microseconds since the Unix epoch of the moment the
read was *started* (or, for `invalidate`, the moment a change became known, e.g. a webhook's
occurred-at). An order system that sends an updated-at or a sequence number could use that
instead, as long as one kind of version is used for one cache.

Rules (one contract, both implementations, tested by tests/integration/test_order_cache.py):
- `put_many` writes an order only when the entry holds no version newer than the one given:
  an older write never overwrites a newer one; the same version overwrites (a re-read of the
  same state refreshes `as_of` and "fresh until"). In Redis this check-and-set is one Lua script.
- `invalidate` ends the freshness of an entry without dropping its data (still a stale fallback)
  and raises its version to at least the given one, so that a read that started before the
  change cannot write its (possibly older) answer back. For an order not in the cache it leaves
  a short-lived tombstone (`tombstone_seconds`) that does the same.
- `get_many` returns what is held, fresh or not (tombstones excluded); the caller decides
  freshness with `CachedOrder.is_fresh(now)`. Unknown ids are absent.
- Failures of the backing store raise `OrderCacheError`; entries that cannot be decoded are
  logged and treated as absent.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Protocol

from redis.asyncio import Redis

from adapters.clock import SystemClock
from adapters.order_system.codec import order_from_json, order_to_json
from adapters.redis_failures import REDIS_FAILURES
from domain.orders import Order
from domain.ports import Clock

__all__ = [
    "DEFAULT_KEEP_SECONDS",
    "DEFAULT_TOMBSTONE_SECONDS",
    "CachedOrder",
    "InProcessOrderCache",
    "OrderCache",
    "OrderCacheError",
    "RedisOrderCache",
    "version_at",
]

log = logging.getLogger(__name__)

DEFAULT_KEEP_SECONDS: Final = 24 * 3600.0
DEFAULT_TOMBSTONE_SECONDS: Final = 600.0
MAX_VERSION: Final = 10**20 - 1  # versions are stored as 20 decimal digits

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_NEVER_FRESH: Final = _EPOCH
_MAX_KEY_ID: Final = 128


class OrderCacheError(Exception):
    """The cache's backing store failed (e.g. Redis unreachable). Callers treat the cache as
    empty for reads and skip writes: a cache outage must never fail a read."""


def version_at(moment: datetime) -> int:
    """The version of knowledge current at `moment`: microseconds since the Unix epoch."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("version_at needs a timezone-aware datetime")
    return (moment - _EPOCH) // timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class CachedOrder:
    """One cached order: `order.as_of` is when it was read (never changed by the cache) and
    `order.stale` is False; `fresh_until` is when it stops being fresh."""

    order: Order
    version: int
    fresh_until: datetime

    def is_fresh(self, now: datetime) -> bool:
        return now < self.fresh_until


class OrderCache(Protocol):
    async def get_many(self, order_ids: Sequence[str]) -> dict[str, CachedOrder]: ...

    async def put_many(
        self,
        orders: Iterable[Order],
        ttl_seconds: float,
        *,
        keep_seconds: float = DEFAULT_KEEP_SECONDS,
        versions: Mapping[str, int] | None = None,
    ) -> set[str]:
        """Store orders, fresh for `ttl_seconds`, kept `keep_seconds`; `versions` by order id
        (default: `version_at(order.as_of)`). Returns the ids actually written."""
        ...

    async def invalidate(self, order_ids: Sequence[str], *, version: int | None = None) -> None:
        """End the freshness of these orders; `version` (default: now) becomes their floor."""
        ...


def _check_put(ttl_seconds: float, keep_seconds: float) -> None:
    if ttl_seconds < 0:
        raise ValueError("ttl_seconds must be >= 0")
    if keep_seconds <= 0 or keep_seconds < ttl_seconds:
        raise ValueError("keep_seconds must be > 0 and >= ttl_seconds")


def _check_version(version: int) -> int:
    if isinstance(version, bool) or not isinstance(version, int) or not 0 <= version <= MAX_VERSION:
        raise ValueError(f"a version must be an integer in 0..{MAX_VERSION}, got {version!r}")
    return version


def _versions_for(
    orders: Iterable[Order], versions: Mapping[str, int] | None
) -> list[tuple[Order, int]]:
    pairs: dict[str, tuple[Order, int]] = {}
    for order in orders:
        given = versions.get(order.id) if versions is not None else None
        version = given if given is not None else version_at(order.as_of)
        pairs[order.id] = (
            replace(order, stale=False) if order.stale else order,
            _check_version(version),
        )
    return list(pairs.values())


def _wanted(order_ids: Sequence[str]) -> list[str]:
    if isinstance(order_ids, str):
        raise TypeError("order_ids must be a sequence of ids, not a string")
    return list(dict.fromkeys(i for i in order_ids if i))


# -- in process ------------------------------------------------------------------------------


@dataclass(slots=True)
class _Entry:
    order: Order | None  # None: a tombstone
    version: int
    fresh_until: datetime
    expires_at: datetime


class InProcessOrderCache:
    """An LRU dict of at most `max_entries` entries (tombstones included), for one process.

    No method awaits anything, so each is atomic on the event loop. Orders are stored as the
    (immutable) domain objects themselves: there is no serialization boundary to cross here.
    `clock` decides both freshness and when kept entries and tombstones expire."""

    def __init__(
        self,
        max_entries: int = 10_000,
        clock: Clock | None = None,
        *,
        tombstone_seconds: float = DEFAULT_TOMBSTONE_SECONDS,
    ) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        if tombstone_seconds <= 0:
            raise ValueError("tombstone_seconds must be > 0")
        self._max_entries = max_entries
        self._clock: Clock = clock or SystemClock()
        self._tombstone = timedelta(seconds=tombstone_seconds)
        self._entries: OrderedDict[str, _Entry] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        self._entries.clear()

    def _live(self, order_id: str, now: datetime) -> _Entry | None:
        entry = self._entries.get(order_id)
        if entry is not None and entry.expires_at <= now:
            del self._entries[order_id]
            return None
        return entry

    def _store(self, order_id: str, entry: _Entry) -> None:
        self._entries[order_id] = entry
        self._entries.move_to_end(order_id)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    async def get_many(self, order_ids: Sequence[str]) -> dict[str, CachedOrder]:
        now = self._clock.now()
        found: dict[str, CachedOrder] = {}
        for order_id in _wanted(order_ids):
            entry = self._live(order_id, now)
            if entry is None or entry.order is None:
                continue
            self._entries.move_to_end(order_id)
            found[order_id] = CachedOrder(entry.order, entry.version, entry.fresh_until)
        return found

    async def put_many(
        self,
        orders: Iterable[Order],
        ttl_seconds: float,
        *,
        keep_seconds: float = DEFAULT_KEEP_SECONDS,
        versions: Mapping[str, int] | None = None,
    ) -> set[str]:
        _check_put(ttl_seconds, keep_seconds)
        now = self._clock.now()
        written: set[str] = set()
        for order, version in _versions_for(orders, versions):
            current = self._live(order.id, now)
            if current is not None and current.version > version:
                continue
            self._store(
                order.id,
                _Entry(
                    order=order,
                    version=version,
                    fresh_until=now + timedelta(seconds=ttl_seconds),
                    expires_at=now + timedelta(seconds=keep_seconds),
                ),
            )
            written.add(order.id)
        return written

    async def invalidate(self, order_ids: Sequence[str], *, version: int | None = None) -> None:
        now = self._clock.now()
        floor = _check_version(version if version is not None else version_at(now))
        for order_id in _wanted(order_ids):
            current = self._live(order_id, now)
            if current is None:
                self._store(order_id, _Entry(None, floor, _NEVER_FRESH, now + self._tombstone))
            else:
                current.version = max(current.version, floor)
                current.fresh_until = _NEVER_FRESH


# -- Redis -----------------------------------------------------------------------------------

# A value is "<version: 20 digits>|<fresh until, ms since the epoch: 20 digits>|<payload>",
# payload = JSON {"as_of": ..., "order": ...}, or empty for a tombstone. The fixed-width header
# lets the scripts compare versions as strings and rewrite it without parsing the JSON.
_HEADER: Final = 42
_ZERO: Final = "0" * 20

# The version of a stored value, or nil when there is none or it is not in the format above
# (a value that cannot be read must not block writes forever).
_VERSION_OF: Final = """
local function version_of(value)
  if not value or string.len(value) < 42 then return nil end
  if string.sub(value, 21, 21) ~= '|' or string.sub(value, 42, 42) ~= '|' then return nil end
  local version = string.sub(value, 1, 20)
  if not string.match(version, '^%d+$') then return nil end
  return version
end
"""

# KEYS: the entries; ARGV: per key (version, value, keep ms). Returns 1/0 per key (written?).
_PUT_SCRIPT: Final = (
    _VERSION_OF
    + """
local written = {}
for i, key in ipairs(KEYS) do
  local base = (i - 1) * 3
  local current = version_of(redis.call('GET', key))
  if current and current > ARGV[base + 1] then
    written[i] = 0
  else
    redis.call('SET', key, ARGV[base + 2], 'PX', ARGV[base + 3])
    written[i] = 1
  end
end
return written
"""
)

# KEYS: the entries; ARGV[1]: the version floor; ARGV[2]: tombstone ms. An unreadable value
# is treated as absent (replaced by a tombstone).
_INVALIDATE_SCRIPT: Final = (
    _VERSION_OF
    + """
local zero = string.rep('0', 20)
for _, key in ipairs(KEYS) do
  local value = redis.call('GET', key)
  local current = version_of(value)
  if not current then
    redis.call('SET', key, ARGV[1] .. '|' .. zero .. '|', 'PX', ARGV[2])
  else
    if ARGV[1] > current then current = ARGV[1] end
    redis.call('SET', key, current .. '|' .. zero .. '|' .. string.sub(value, 43), 'KEEPTTL')
  end
end
return #KEYS
"""
)


def _ms(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def _encode(order: Order, version: int, fresh_until: datetime) -> str:
    payload = json.dumps(
        {"as_of": order.as_of.astimezone(UTC).isoformat(), "order": order_to_json(order)},
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return f"{version:020d}|{_ms(fresh_until):020d}|{payload}"


def _decode(raw: bytes | str) -> CachedOrder | None:
    """None for a tombstone; raises ValueError (incl. MalformedOrder) for anything malformed."""
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    if len(text) < _HEADER:
        raise ValueError("too short")
    head_version, head_fresh, sep = text[:20], text[21:41], text[20] + text[41]
    if sep != "||" or not head_version.isdigit() or not head_fresh.isdigit():
        raise ValueError("bad header")
    payload = text[_HEADER:]
    if not payload:
        return None
    data: Any = json.loads(payload)
    if not isinstance(data, dict) or not isinstance(data.get("as_of"), str):
        raise ValueError("bad payload")
    as_of = datetime.fromisoformat(data["as_of"])
    order = order_from_json(data.get("order"), as_of)
    fresh_until = _EPOCH + timedelta(milliseconds=int(head_fresh))
    return CachedOrder(order=order, version=int(head_version), fresh_until=fresh_until)


class RedisOrderCache:
    """Entries as Redis strings under `prefix` + order id (ids longer than 128 characters are
    replaced by their SHA-256), one key per order, expiring after `keep_seconds` (PX).

    Writes and invalidations are one Lua script call per batch (atomic; all keys of a batch
    must live on one node: plain Redis or a single shard). `clock` stamps "fresh until"; use
    the same (wall) clock on every instance sharing the cache. Any Redis or connection error
    is raised as `OrderCacheError` (the Redis client's own socket timeouts bound each call)."""

    def __init__(
        self,
        redis: Redis,
        prefix: str = "orders:",
        *,
        clock: Clock | None = None,
        tombstone_seconds: float = DEFAULT_TOMBSTONE_SECONDS,
    ) -> None:
        if tombstone_seconds <= 0:
            raise ValueError("tombstone_seconds must be > 0")
        self._redis = redis
        self._prefix = prefix
        self._clock: Clock = clock or SystemClock()
        self._tombstone_ms = max(1, int(tombstone_seconds * 1000))
        self._put = redis.register_script(_PUT_SCRIPT)
        self._invalidate = redis.register_script(_INVALIDATE_SCRIPT)

    def key(self, order_id: str) -> str:
        """The Redis key of an order id (public for tests and operations)."""
        if len(order_id) > _MAX_KEY_ID:
            order_id = (
                "sha256:" + hashlib.sha256(order_id.encode("utf-8", "surrogatepass")).hexdigest()
            )
        return self._prefix + order_id

    async def get_many(self, order_ids: Sequence[str]) -> dict[str, CachedOrder]:
        wanted = _wanted(order_ids)
        if not wanted:
            return {}
        try:
            values = await self._redis.mget([self.key(i) for i in wanted])
        except REDIS_FAILURES as exc:
            raise OrderCacheError(f"order cache: read failed ({type(exc).__name__})") from exc
        found: dict[str, CachedOrder] = {}
        for order_id, raw in zip(wanted, values, strict=True):
            if raw is None:
                continue
            try:
                entry = _decode(raw)
            except (ValueError, UnicodeDecodeError, RecursionError) as exc:
                log.warning(
                    "order cache: ignoring an undecodable entry for order %r (%s)",
                    order_id[:64],
                    exc,
                )
                continue
            if entry is not None and entry.order.id == order_id:
                found[order_id] = entry
        return found

    async def put_many(
        self,
        orders: Iterable[Order],
        ttl_seconds: float,
        *,
        keep_seconds: float = DEFAULT_KEEP_SECONDS,
        versions: Mapping[str, int] | None = None,
    ) -> set[str]:
        _check_put(ttl_seconds, keep_seconds)
        pairs = _versions_for(orders, versions)
        if not pairs:
            return set()
        fresh_until = self._clock.now() + timedelta(seconds=ttl_seconds)
        keep_ms = max(1, int(keep_seconds * 1000))
        keys: list[str] = []
        args: list[str | int] = []
        for order, version in pairs:
            keys.append(self.key(order.id))
            args.extend((f"{version:020d}", _encode(order, version, fresh_until), keep_ms))
        try:
            results = await self._put(keys=keys, args=args)
        except REDIS_FAILURES as exc:
            raise OrderCacheError(f"order cache: write failed ({type(exc).__name__})") from exc
        return {order.id for (order, _), done in zip(pairs, results, strict=True) if int(done) == 1}

    async def invalidate(self, order_ids: Sequence[str], *, version: int | None = None) -> None:
        wanted = _wanted(order_ids)
        if not wanted:
            return
        floor = _check_version(version if version is not None else version_at(self._clock.now()))
        try:
            await self._invalidate(
                keys=[self.key(i) for i in wanted], args=[f"{floor:020d}", self._tombstone_ms]
            )
        except REDIS_FAILURES as exc:
            raise OrderCacheError(f"order cache: invalidate failed ({type(exc).__name__})") from exc
