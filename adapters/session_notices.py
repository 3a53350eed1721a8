"""domain.ports.SessionNotices: "every session of this user ended", in process or over Redis.

- LocalSessionNotices: watchers by user id in this process (the embedded mode, one instance).
- RedisSessionNotices: the same, plus one Redis pub/sub channel (`<prefix>:sessions-ended`) so
  that every instance hears it. The listening connection opens with the first watcher (a process
  that only announces, like the CLI or the worker, never opens it) and reconnects after failures.
  An announcement is best effort (logged, never raised): a socket that misses one still closes
  at its periodic session check (WS_SESSION_CHECK_SECONDS).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import redis.asyncio as aioredis

from adapters.redis_failures import REDIS_FAILURES_OR_TIMEOUT

log = logging.getLogger("adapters.session_notices")


class LocalSessionNotices:
    def __init__(self) -> None:
        self._watchers: dict[str, set[Callable[[], None]]] = {}

    def watch(self, user_id: str, callback: Callable[[], None]) -> Callable[[], None]:
        self._watchers.setdefault(user_id, set()).add(callback)

        def stop() -> None:
            watchers = self._watchers.get(user_id)
            if watchers is not None:
                watchers.discard(callback)
                if not watchers:
                    del self._watchers[user_id]

        return stop

    def watching(self, user_id: str) -> int:
        return len(self._watchers.get(user_id, ()))

    def notify(self, user_id: str) -> None:
        for callback in list(self._watchers.get(user_id, ())):
            try:
                callback()
            except Exception:  # noqa: BLE001 - one watcher must not stop the others
                log.exception("session notice watcher failed")

    async def announce(self, user_id: str) -> None:
        self.notify(user_id)


class RedisSessionNotices(LocalSessionNotices):
    def __init__(
        self, url: str, *, channel_prefix: str, publish_timeout_seconds: float = 1.0
    ) -> None:
        super().__init__()
        self._url = url
        self.channel = f"{channel_prefix}:sessions-ended"
        self._publish_timeout = publish_timeout_seconds
        self._client: aioredis.Redis = aioredis.from_url(
            url, socket_connect_timeout=0.5, socket_timeout=None
        )
        self._listener: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()

    def watch(self, user_id: str, callback: Callable[[], None]) -> Callable[[], None]:
        if self._listener is None:
            self._listener = asyncio.get_running_loop().create_task(self._listen_forever())
        return super().watch(user_id, callback)

    async def wait_subscribed(self, seconds: float = 5.0) -> None:
        """For tests: until the listening connection is subscribed."""
        async with asyncio.timeout(seconds):
            await self._subscribed.wait()

    async def announce(self, user_id: str) -> None:
        self.notify(user_id)  # this instance's sockets at once, whatever Redis does
        try:
            async with asyncio.timeout(self._publish_timeout):
                await self._client.publish(self.channel, user_id)
        except REDIS_FAILURES_OR_TIMEOUT:
            log.warning(
                "could not announce ended sessions over Redis; other instances notice them at "
                "their next session check",
                exc_info=True,
            )

    async def _listen_forever(self) -> None:
        while True:
            try:
                async with self._client.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(self.channel)
                    self._subscribed.set()
                    while True:
                        message = await pubsub.get_message(timeout=5.0)
                        if message is None or message.get("type") != "message":
                            continue
                        data = message.get("data")
                        user_id = data.decode() if isinstance(data, bytes) else str(data)
                        self.notify(user_id)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - reconnect; the periodic checks cover the gap
                self._subscribed.clear()
                log.warning("session notices: Redis listener failed; retrying", exc_info=True)
                await asyncio.sleep(1.0)

    async def aclose(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._listener
        await self._client.aclose()
