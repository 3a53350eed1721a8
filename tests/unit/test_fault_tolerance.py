"""What the fault suite (tests/faults/test_service_faults.py) found, pinned at unit level:
idempotency keys on postMessage and openCase, publishing after commit that never fails a
write, dependency outages told apart from bugs, the rate limiter's fallback while Redis is
gone, a WebSocket send that never swallows a cancellation, and subscriptions that live
through a failing event log."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy.exc as sa_exc
from redis.exceptions import ConnectionError as RedisConnectionError

from adapters.availability import dependency_unavailable
from adapters.memory.events import InMemoryEventPublisher
from adapters.rate_limit import InProcessRateLimiter
from adapters.rate_limit_fallback import FallbackRateLimiter
from app.http.graphql_ws import SupportWSHandler, WebSocketOptions
from domain.cases import CaseCategory
from domain.errors import IdempotencyKeyReused, ValidationFailed
from domain.events import CaseEvent
from domain.usecases.live_events import CaseEventFeed, follow_case_events
from domain.usecases.open_case import OpenCase, open_case
from domain.usecases.post_message import post_message
from tests.unit.builders import ORDER_120, make_world

CLOSED_TRANSPORT = RuntimeError(
    "unable to perform operation on <TCPTransport closed=True reading=False 0x1>; "
    "the handler is closed"
)


def _command(subject: str = "Damaged headphones") -> OpenCase:
    return OpenCase(
        subject=subject,
        description="The headphones arrived with a cracked ear cup.",
        category=CaseCategory.REFUND_REQUEST,
        order_id=ORDER_120,
    )


# -- idempotency keys ---------------------------------------------------------------------------


async def test_post_message_with_a_key_posts_once_and_replays_the_first_result() -> None:
    w = make_world()
    case = await open_case(w.services, w.alice, _command())
    first, _ = await post_message(w.services, w.alice, case.id, "Hello?", idempotency_key="k-1")
    again, replayed_case = await post_message(
        w.services, w.alice, case.id, "Hello?", idempotency_key="k-1"
    )
    assert again.id == first.id and replayed_case.id == case.id
    assert [m.body for m in w.store.messages.values()] == ["Hello?"]
    with pytest.raises(IdempotencyKeyReused):
        await post_message(w.services, w.alice, case.id, "Other text", idempotency_key="k-1")
    # Keys belong to their caller: the agent's "k-1" is another key.
    staff, _ = await post_message(w.services, w.agent, case.id, "Hello?", idempotency_key="k-1")
    assert staff.id != first.id
    # Without a key, nothing changes: two calls, two messages.
    await post_message(w.services, w.alice, case.id, "Hello?")
    assert len(w.store.messages) == 3


async def test_post_message_refuses_a_malformed_key() -> None:
    w = make_world()
    case = await open_case(w.services, w.alice, _command())
    with pytest.raises(ValidationFailed):
        await post_message(w.services, w.alice, case.id, "Hi", idempotency_key="has space")
    assert not w.store.messages


async def test_open_case_with_a_key_opens_once() -> None:
    w = make_world()
    first = await open_case(w.services, w.alice, _command(), idempotency_key="open-1")
    again = await open_case(w.services, w.alice, _command(), idempotency_key="open-1")
    assert again.id == first.id and len(w.store.cases) == 1
    with pytest.raises(IdempotencyKeyReused):
        await open_case(w.services, w.alice, _command("Other"), idempotency_key="open-1")
    assert len(w.store.cases) == 1


async def test_concurrent_calls_with_one_key_post_once() -> None:
    w = make_world()
    case = await open_case(w.services, w.alice, _command())
    results = await asyncio.gather(
        *(
            post_message(w.services, w.alice, case.id, "Same", idempotency_key="same")
            for _ in range(5)
        )
    )
    assert len({message.id for message, _ in results}) == 1
    assert len(w.store.messages) == 1


# -- publishing after commit ----------------------------------------------------------------------


class BrokenPublisher(InMemoryEventPublisher):
    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error

    async def publish(self, events: Sequence[CaseEvent]) -> None:
        raise self.error


@pytest.mark.parametrize(
    "error", [CLOSED_TRANSPORT, RedisConnectionError("gone"), OSError(104, "reset")]
)
async def test_a_failed_publish_never_fails_a_committed_write(error: Exception) -> None:
    w = make_world()
    w.services = dataclasses.replace(w.services, publisher=BrokenPublisher(error))
    case = await open_case(w.services, w.alice, _command())
    message, _ = await post_message(w.services, w.alice, case.id, "Still posted")
    assert message.id in w.store.messages
    assert [e.type.value for e in w.store.events][-1] == "MESSAGE_POSTED"


# -- dependency outages vs bugs -----------------------------------------------------------------


def _wrapped(driver_error: BaseException) -> sa_exc.DBAPIError:
    try:
        raise driver_error
    except BaseException as exc:  # noqa: BLE001
        return sa_exc.OperationalError("SELECT 1", {}, exc)


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (_wrapped(ConnectionResetError(104, "Connection reset by peer")), "database"),
        (sa_exc.TimeoutError("QueuePool limit ... timed out"), "database"),
        (sa_exc.InterfaceError("SELECT 1", {}, Exception("connection is closed")), "database"),
        (RedisConnectionError("Connection refused"), "redis"),
        (CLOSED_TRANSPORT, "redis"),
        (TimeoutError(), "network"),
        (ConnectionRefusedError(111, "refused"), "network"),
        (ValueError("a bug"), None),
        (RuntimeError("another bug"), None),
        (KeyError("x"), None),
    ],
)
def test_dependency_outages_are_told_from_bugs(error: BaseException, kind: str | None) -> None:
    assert dependency_unavailable(error) == kind


def test_an_outage_is_found_behind_a_wrapping_error() -> None:
    try:
        try:
            raise RedisConnectionError("gone")
        except RedisConnectionError as inner:
            raise LookupError("while reading the cache") from inner
    except LookupError as outer:
        assert dependency_unavailable(outer) == "redis"


# -- rate limits while Redis is gone ------------------------------------------------------------


class FlakyLimiter:
    def __init__(self) -> None:
        self.down = True
        self.calls = 0

    async def hit(self, key: str, *, limit: int, window_seconds: int) -> float | None:
        self.calls += 1
        if self.down:
            raise CLOSED_TRANSPORT
        return None


async def test_rate_limits_fall_back_to_the_process_and_back_to_redis() -> None:
    shared = FlakyLimiter()
    limiter = FallbackRateLimiter(shared, InProcessRateLimiter(), retry_shared_after_seconds=0)
    answers = [await limiter.hit("login:x", limit=2, window_seconds=60) for _ in range(3)]
    assert answers[:2] == [None, None] and answers[2] is not None  # still limited, locally
    shared.down = False
    assert await limiter.hit("login:x", limit=2, window_seconds=60) is None  # shared again
    assert shared.calls == 4


# -- a WebSocket send never swallows a cancellation ---------------------------------------------


async def test_a_cancellation_arriving_as_a_send_completes_is_kept() -> None:
    """Python 3.11's asyncio.wait_for returned the send's result when the task was cancelled
    just as the send completed: the cancellation was lost, and the subscription task that
    strawberry cancels (and then awaits) at shutdown never ended."""
    task: asyncio.Task[None] | None = None

    async def send_json(message: Any) -> None:
        assert task is not None
        task.cancel()  # arrives while the send itself completes

    handler = SimpleNamespace(
        _ending=False,
        websocket=SimpleNamespace(send_json=send_json),
        options=WebSocketOptions(send_timeout_seconds=5),
    )
    after_send = asyncio.Event()

    async def operation() -> None:
        await SupportWSHandler.send_message(handler, {"type": "ping"})  # type: ignore[arg-type]
        after_send.set()
        await asyncio.Event().wait()  # an operation waiting for its next event

    task = asyncio.create_task(operation())
    done, _ = await asyncio.wait({task}, timeout=5)
    assert done and task.cancelled()


# -- subscriptions and a failing event log -------------------------------------------------------


class FlakyLog:
    def __init__(self, inner: Any, failures: int) -> None:
        self.inner = inner
        self.failures = failures

    async def events_after(self, after_sequence: int, **kw: Any) -> list[CaseEvent]:
        if self.failures > 0:
            self.failures -= 1
            raise ConnectionResetError(104, "Connection reset by peer")
        result: list[CaseEvent] = await self.inner.events_after(after_sequence, **kw)
        return result

    async def last_event_sequence(self, **kw: Any) -> int:
        result: int = await self.inner.last_event_sequence(**kw)
        return result


async def test_a_subscription_lives_through_a_failing_event_log() -> None:
    from domain.live import EventScope

    w = make_world()
    case = await open_case(w.services, w.alice, _command())
    broker = InMemoryEventPublisher(keep_history=False)
    feed = CaseEventFeed(
        principal=w.agent, scope=EventScope(case_id=None, include_internal=True), after_sequence=0
    )
    log = FlakyLog(w.services.reads, failures=3)
    stream = follow_case_events(w.services, broker, feed, log=log)
    first = await asyncio.wait_for(anext(stream), 10)
    assert first.case_id == case.id and log.failures == 0
    await stream.aclose()
