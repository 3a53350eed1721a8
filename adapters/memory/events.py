"""InMemoryEventPublisher: domain.ports.EventBroker as an in-process fan-out.

The embedded mode's broker, and the fake of the unit tests. Two ways to receive events:

- `listen(scope, max_pending=...)` (the EventBroker port): scoped, bounded subscriptions used by
  live GraphQL subscriptions (see adapters.fanout: a subscriber that falls behind is dropped);
- `subscribe()` / `subscription()`: a raw queue of every event, for tests. A subscriber whose
  queue is full is dropped (it must replay from the event log, as after any reconnect) and
  listed in `dropped`.

With `keep_history=True` (the default, for tests) every published batch is kept in
`published`; the app passes `keep_history=False` so that a long-running process keeps nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from adapters.fanout import FanoutSubscription, LocalFanout
from domain.events import CaseEvent
from domain.live import EventScope

DEFAULT_QUEUE_SIZE = 1000


class InMemoryEventPublisher:
    def __init__(self, *, keep_history: bool = True) -> None:
        self.keep_history = keep_history
        self.published: list[list[CaseEvent]] = []
        self.dropped: list[asyncio.Queue[CaseEvent]] = []
        self._subscribers: list[asyncio.Queue[CaseEvent]] = []
        self.fanout = LocalFanout()

    @property
    def events(self) -> list[CaseEvent]:
        """Every published event, in publication order (empty without `keep_history`)."""
        return [event for batch in self.published for event in batch]

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    async def publish(self, events: Sequence[CaseEvent]) -> None:
        batch = list(events)
        if not batch:
            return
        if self.keep_history:
            self.published.append(batch)
        for queue in list(self._subscribers):
            try:
                for event in batch:
                    queue.put_nowait(event)
            except asyncio.QueueFull:
                self.unsubscribe(queue)
                self.dropped.append(queue)
        self.fanout.publish(batch)

    # -- domain.ports.EventBroker -----------------------------------------------------------

    @asynccontextmanager
    async def listen(
        self, scope: EventScope, *, max_pending: int
    ) -> AsyncIterator[FanoutSubscription]:
        subscription = FanoutSubscription(scope, max_pending)
        self.fanout.add(subscription)  # in process: subscribed at once
        try:
            yield subscription
        finally:
            self.fanout.remove(subscription)

    # -- raw queues (tests) -------------------------------------------------------------------

    def subscribe(self, maxsize: int = DEFAULT_QUEUE_SIZE) -> asyncio.Queue[CaseEvent]:
        """A queue that receives every event published from now on."""
        queue: asyncio.Queue[CaseEvent] = asyncio.Queue(maxsize=maxsize)
        self._subscribers.append(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[CaseEvent]) -> None:
        if queue in self._subscribers:
            self._subscribers.remove(queue)

    def is_subscribed(self, queue: asyncio.Queue[CaseEvent]) -> bool:
        return queue in self._subscribers

    @asynccontextmanager
    async def subscription(
        self, maxsize: int = DEFAULT_QUEUE_SIZE
    ) -> AsyncIterator[asyncio.Queue[CaseEvent]]:
        queue = self.subscribe(maxsize)
        try:
            yield queue
        finally:
            self.unsubscribe(queue)

    def clear(self) -> None:
        """Forget what was published (subscribers stay)."""
        self.published.clear()
        self.dropped.clear()
