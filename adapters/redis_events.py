"""RedisEventBroker: domain.ports.EventBroker across instances, over Redis pub/sub.

- ONE Redis pub/sub connection per process, opened on the first subscription (a process that
  only publishes, like the refund worker, never opens it). Redis channels are subscribed while
  at least one local subscriber needs them and unsubscribed when the last one leaves; messages
  are fanned out in process (adapters.fanout) to bounded per-subscriber queues.
- Channels (under a per-deployment prefix): `staff` (every event), `case:<id>` (a case's public
  events), `case:<id>:staff` (its internal events); internal events never go to a channel a
  customer listens to.
- `publish` is called after commit (the use cases do so). Local subscribers are served directly;
  the same notification goes to Redis for the other instances (this process skips its own
  messages coming back). A failed PUBLISH is logged, never raised: the events are committed, and
  subscribers elsewhere find them in the log at the next notification or resync.
- `listen()` returns once Redis has confirmed the subscription, so a subscriber that replays the
  log afterwards cannot miss an event committed in between (Redis pub/sub drops messages
  published before a subscription exists and never replays).
- When the connection drops, redis-py reconnects and re-subscribes; as each channel is
  confirmed again, its subscribers get a resync wake-up and re-read the log, so nothing
  published during the outage is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from adapters.fanout import FanoutSubscription, LocalFanout, by_channel
from domain.events import CaseEvent, CaseEventType
from domain.live import EventScope, LiveUpdatesUnavailable

log = logging.getLogger("adapters.redis_events")

SUBSCRIBING = "subscribing"
CONFIRMED = "confirmed"
UNSUBSCRIBING = "unsubscribing"


# -- wire format ------------------------------------------------------------------------------


def encode_events(origin: str, events: Sequence[CaseEvent]) -> bytes:
    rows = [
        [
            e.sequence,
            e.id,
            e.case_id,
            e.type.value,
            e.occurred_at.isoformat(),
            e.summary,
            e.actor_id,
            e.internal,
            e.message_id,
            e.refund_id,
            e.before,
            e.after,
        ]
        for e in events
    ]
    return json.dumps({"o": origin, "e": rows}, separators=(",", ":")).encode()


def decode_events(data: bytes | str) -> tuple[str, list[CaseEvent]]:
    """(origin, events); ValueError for anything malformed."""
    try:
        body = json.loads(data)
        origin = body["o"]
        events = [
            CaseEvent(
                sequence=int(row[0]),
                id=str(row[1]),
                case_id=str(row[2]),
                type=CaseEventType(row[3]),
                occurred_at=datetime.fromisoformat(row[4]),
                summary=str(row[5]),
                actor_id=row[6],
                internal=bool(row[7]),
                message_id=row[8],
                refund_id=row[9],
                before=row[10],
                after=row[11],
            )
            for row in body["e"]
        ]
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise ValueError(f"malformed event notification: {exc}") from exc
    if not isinstance(origin, str):
        raise ValueError("malformed event notification: origin")
    return origin, events


# -- the broker ---------------------------------------------------------------------------------


class _Channel:
    __slots__ = ("ready", "resubscribing", "state")

    def __init__(self, *, resubscribing: bool = False) -> None:
        self.state = SUBSCRIBING
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        # Subscribed again after a lost connection: its subscribers must resync once confirmed.
        self.resubscribing = resubscribing


class RedisEventBroker:
    def __init__(
        self,
        url: str,
        *,
        channel_prefix: str = "support:events",
        subscribe_timeout_seconds: float = 5.0,
        ping_interval_seconds: float = 10.0,
    ) -> None:
        self.origin = uuid.uuid4().hex
        self.prefix = channel_prefix.rstrip(":") + ":"
        self._publisher = aioredis.from_url(url, socket_connect_timeout=1.0, socket_timeout=2.0)
        # No read timeout: the listener waits for messages as long as it takes.
        self._listener = aioredis.from_url(url, socket_connect_timeout=1.0, socket_keepalive=True)
        self._pubsub = self._listener.pubsub()
        self._subscribe_timeout = subscribe_timeout_seconds
        self._ping_interval = ping_interval_seconds
        self.fanout = LocalFanout(on_channel_empty=self._channel_empty)
        self._channels: dict[str, _Channel] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._commands = asyncio.Lock()  # SUBSCRIBE/UNSUBSCRIBE go out in decision order
        self._reader: asyncio.Task[None] | None = None
        self._connected_before = False
        self._last_heard = time.monotonic()
        self._closed = False
        self.reconnects = 0
        self.publish_failures = 0

    # -- publishing ---------------------------------------------------------------------------

    async def publish(self, events: Sequence[CaseEvent]) -> None:
        batch = [e for e in events if e.sequence is not None]
        if not batch:
            return
        self.fanout.publish(batch)  # this process's subscribers, at once
        try:
            async with self._publisher.pipeline(transaction=False) as pipe:
                for channel, channel_events in by_channel(batch).items():
                    pipe.publish(self.prefix + channel, encode_events(self.origin, channel_events))
                await pipe.execute()
        except (RedisError, OSError) as exc:
            self.publish_failures += 1
            log.warning(
                "could not publish %d event(s) to Redis (%s); other instances catch up from the "
                "log at their next notification",
                len(batch),
                exc,
            )

    # -- listening ----------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def listen(
        self, scope: EventScope, *, max_pending: int
    ) -> AsyncIterator[FanoutSubscription]:
        if self._closed:
            raise LiveUpdatesUnavailable()
        subscription = FanoutSubscription(scope, max_pending)
        # Local first: whatever arrives once Redis confirms is already queued for it.
        self.fanout.add(subscription)
        try:
            await self._subscribed(subscription.channels)
            yield subscription
        finally:
            self.fanout.remove(subscription)

    async def _subscribed(self, channels: Sequence[str]) -> None:
        waits: list[asyncio.Future[None]] = []
        new: list[str] = []
        for channel in channels:
            state = self._channels.get(channel)
            if state is None or state.state == UNSUBSCRIBING:
                state = self._channels[channel] = _Channel()
                new.append(channel)
            if state.state == SUBSCRIBING:
                waits.append(state.ready)
        try:
            if new:
                async with self._commands:
                    await self._pubsub.subscribe(*(self.prefix + c for c in new))
                self._start_reader()
            if waits:
                await asyncio.wait_for(
                    asyncio.gather(*(asyncio.shield(w) for w in waits)), self._subscribe_timeout
                )
        except (RedisError, OSError, TimeoutError) as exc:
            log.warning("live updates: could not subscribe to %s: %s", list(channels), exc)
            raise LiveUpdatesUnavailable() from exc

    def _channel_empty(self, channel: str) -> None:
        state = self._channels.get(channel)
        if state is None or state.state == UNSUBSCRIBING or self._closed:
            return
        state.state = UNSUBSCRIBING
        self._spawn(self._unsubscribe(channel))

    async def _unsubscribe(self, channel: str) -> None:
        try:
            async with self._commands:
                state = self._channels.get(channel)
                if state is None or state.state != UNSUBSCRIBING:
                    return  # someone subscribed it again meanwhile
                await self._pubsub.unsubscribe(self.prefix + channel)
        except (RedisError, OSError) as exc:
            log.info("live updates: unsubscribe %s failed: %s", channel, exc)

    # -- the one reader -----------------------------------------------------------------------

    def _start_reader(self) -> None:
        if self._reader is not None:
            return
        connection = self._pubsub.connection
        if connection is not None:
            connection.register_connect_callback(self._on_connect)
            self._connected_before = True
        self._reader = asyncio.create_task(self._read_forever(), name="redis-events-reader")
        if self._ping_interval > 0:
            self._spawn(self._keepalive())

    async def _on_connect(self, connection: object) -> None:
        """redis-py (re)connected the pub/sub connection and re-sent SUBSCRIBE for every
        channel: each one's subscribers resync once Redis confirms it."""
        if not self._connected_before:
            self._connected_before = True
            return
        self.reconnects += 1
        log.warning("live updates: Redis pub/sub reconnected; subscribers will resync")
        for channel, state in list(self._channels.items()):
            if state.state == CONFIRMED:
                self._channels[channel] = _Channel(resubscribing=True)

    async def _read_forever(self) -> None:
        backoff = 0.05
        while not self._closed:
            try:
                response = await self._pubsub.parse_response(block=True)
                # redis-py's PubSub.handle_message is unannotated (redis 8.1).
                message = await self._pubsub.handle_message(response)  # type: ignore[no-untyped-call]
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the reader must survive anything
                if self._closed:
                    return
                log.warning("live updates: Redis pub/sub read failed (%s); retrying", exc)
                self._unconfirm_all()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 2.0)
                continue
            backoff = 0.05
            self._last_heard = time.monotonic()
            if message is not None:
                self._handle(message)

    def _unconfirm_all(self) -> None:
        for channel, state in list(self._channels.items()):
            if state.state == CONFIRMED:
                self._channels[channel] = _Channel(resubscribing=True)

    def _handle(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        raw_channel = message.get("channel")
        if isinstance(raw_channel, bytes):
            raw_channel = raw_channel.decode()
        if not isinstance(raw_channel, str) or not raw_channel.startswith(self.prefix):
            return
        channel = raw_channel[len(self.prefix) :]
        if kind == "message":
            try:
                origin, events = decode_events(message["data"])
            except ValueError:
                log.warning("live updates: ignored a malformed notification on %s", channel)
                return
            if origin != self.origin:
                self.fanout.deliver(channel, events)
        elif kind == "subscribe":
            state = self._channels.get(channel)
            if state is not None and state.state == SUBSCRIBING:
                state.state = CONFIRMED
                if not state.ready.done():
                    state.ready.set_result(None)
                if state.resubscribing:
                    # Whatever was published while the connection was down is in the log only.
                    self.fanout.resync(channel)
        elif kind == "unsubscribe":
            state = self._channels.get(channel)
            if state is not None and state.state == UNSUBSCRIBING:
                del self._channels[channel]

    async def _keepalive(self) -> None:
        """A silently dead connection (no RST) would block the reader forever: ping it, and
        drop the connection when nothing comes back."""
        while not self._closed:
            await asyncio.sleep(self._ping_interval)
            if time.monotonic() - self._last_heard > 3 * self._ping_interval:
                log.warning("live updates: Redis pub/sub silent; reconnecting")
                connection = self._pubsub.connection
                if connection is not None:
                    with contextlib.suppress(Exception):
                        await connection.disconnect()
                continue
            with contextlib.suppress(RedisError, OSError):
                await self._pubsub.ping()

    # -- lifecycle ------------------------------------------------------------------------------

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def ping(self) -> bool:
        try:
            return bool(await self._publisher.ping())
        except (RedisError, OSError):
            return False

    async def aclose(self) -> None:
        self._closed = True
        tasks = [t for t in (self._reader, *self._tasks) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task
        with contextlib.suppress(Exception):
            await self._pubsub.aclose()  # type: ignore[no-untyped-call]  # unannotated in redis 8.1
        with contextlib.suppress(Exception):
            await self._listener.aclose()
        with contextlib.suppress(Exception):
            await self._publisher.aclose()
