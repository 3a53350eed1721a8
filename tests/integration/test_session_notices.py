"""Session notices: "every session of this user ended" reaches the watchers of every instance."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest

from adapters.session_notices import LocalSessionNotices, RedisSessionNotices
from tests.toolbox.services import REDIS_URL, redis_or_skip


async def test_local_notices_call_the_users_watchers_only() -> None:
    notices = LocalSessionNotices()
    heard: list[str] = []
    stop = notices.watch("u1", lambda: heard.append("u1"))
    notices.watch("u2", lambda: heard.append("u2"))
    await notices.announce("u1")
    assert heard == ["u1"]
    stop()
    await notices.announce("u1")
    assert heard == ["u1"] and notices.watching("u1") == 0


@pytest.mark.redis
async def test_an_announcement_on_one_instance_reaches_another_within_a_second() -> None:
    await redis_or_skip()
    prefix = f"test-notices-{uuid.uuid4().hex[:8]}"
    one = RedisSessionNotices(REDIS_URL, channel_prefix=prefix)
    two = RedisSessionNotices(REDIS_URL, channel_prefix=prefix)
    other_deployment = RedisSessionNotices(REDIS_URL, channel_prefix=f"{prefix}-other")
    try:
        heard = asyncio.Event()
        stray: list[str] = []
        one.watch("leaving-user", heard.set)
        one.watch("staying-user", lambda: stray.append("staying-user"))
        await one.wait_subscribed()
        started = time.monotonic()
        await two.announce("leaving-user")
        async with asyncio.timeout(1.0):
            await heard.wait()
        assert time.monotonic() - started < 1.0
        await other_deployment.announce("staying-user")  # another prefix: not ours
        await asyncio.sleep(0.2)
        assert stray == []
    finally:
        for notices in (one, two, other_deployment):
            await notices.aclose()


async def test_announcing_without_redis_is_logged_not_raised() -> None:
    notices = RedisSessionNotices(
        "redis://127.0.0.1:9/0", channel_prefix="nowhere", publish_timeout_seconds=0.5
    )
    heard: list[str] = []
    notices.watch("u", lambda: heard.append("u"))
    try:
        await notices.announce("u")  # local watchers still hear it
        assert heard == ["u"]
    finally:
        await notices.aclose()
