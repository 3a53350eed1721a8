"""A notification Redis missed is published again once Redis answers (the fault suite's finding:
a subscriber on another instance missed a committed event for good). The publishing instance
reaches Redis through the fault proxy; the listening one directly."""

from __future__ import annotations

import asyncio
import uuid
from urllib.parse import urlsplit

import pytest

from adapters.redis_events import RedisEventBroker
from domain.live import EventScope
from tests.faults.proxy import FaultProxy
from tests.integration.test_event_brokers import event
from tests.toolbox.services import REDIS_URL, redis_or_skip

pytestmark = pytest.mark.redis

STAFF = EventScope(None, include_internal=True)


def _via(proxy: FaultProxy) -> str:
    parts = urlsplit(REDIS_URL)
    return f"redis://127.0.0.1:{proxy.port}{parts.path}"


async def test_a_missed_notification_is_published_again_in_order() -> None:
    await redis_or_skip()
    prefix = f"test:republish:{uuid.uuid4().hex[:8]}"
    async with FaultProxy(urlsplit(REDIS_URL).port or 6379) as proxy:
        publisher = RedisEventBroker(
            _via(proxy), channel_prefix=prefix, publish_timeout_seconds=0.5
        )
        listener = RedisEventBroker(REDIS_URL, channel_prefix=prefix)
        try:
            async with listener.listen(STAFF, max_pending=16) as subscription:
                proxy.reset()
                await proxy.close_all()
                await publisher.publish([event(1)])  # never raises: kept for later
                assert publisher.publish_failures >= 1
                proxy.passthrough()
                await publisher.publish([event(2)])  # queued behind the missed one
                received: list[int] = []
                async with asyncio.timeout(10):  # a bound for the failure case only
                    while len(received) < 2:
                        wakeup = await subscription.next()
                        received += [e.sequence for e in wakeup.events if e.sequence is not None]
                assert received == [1, 2]
                assert publisher.republished >= 1
        finally:
            await publisher.aclose()
            await listener.aclose()
