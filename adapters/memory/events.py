"""InMemoryEventPublisher: domain.ports.EventPublisher as an in-process fan-out.

Every published batch is kept (`published`) so that tests can assert what went out and when.
Subscribers get each event on their own asyncio.Queue; a subscriber whose queue is full is
dropped (it must replay from the event log, as after any reconnect) and listed in `dropped`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from domain.events import CaseEvent

DEFAULT_QUEUE_SIZE = 1000


class InMemoryEventPublisher:
    def __init__(self) -> None:
        self.published: list[list[CaseEvent]] = []
        self.dropped: list[asyncio.Queue[CaseEvent]] = []
        self._subscribers: list[asyncio.Queue[CaseEvent]] = []

    @property
    def events(self) -> list[CaseEvent]:
        """Every published event, in publication order."""
        return [event for batch in self.published for event in batch]

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    async def publish(self, events: Sequence[CaseEvent]) -> None:
        batch = list(events)
        if not batch:
            return
        self.published.append(batch)
        for queue in list(self._subscribers):
            try:
                for event in batch:
                    queue.put_nowait(event)
            except asyncio.QueueFull:
                self.unsubscribe(queue)
                self.dropped.append(queue)

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
