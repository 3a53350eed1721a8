"""In-process fan-out of live event notifications, shared by the in-process and Redis brokers.

Channels are chosen so that an event wakes only subscribers who may see it:

- `staff`             every event of every case (staff following all cases);
- `case:<id>`         the public events of one case (its customer, and staff following it);
- `case:<id>:staff`   the internal events of one case (staff following it).

Internal events are never put on a customer's channel. Each subscriber also checks every event
against its scope before queueing it (defence in depth).

Every subscriber has a bounded queue of pending notifications. Delivery never blocks: when a
queue is full the subscriber is dropped (removed from every channel, its queue freed) and its
next `next()` raises SubscriberTooSlow, so a slow or stuck consumer never slows the publisher or
the other subscribers.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Iterable, Sequence

from domain.events import CaseEvent
from domain.live import EventScope, SubscriberTooSlow, Wakeup

STAFF_CHANNEL = "staff"


def case_channel(case_id: str, *, internal: bool) -> str:
    return f"case:{case_id}:staff" if internal else f"case:{case_id}"


def event_channels(event: CaseEvent) -> tuple[str, str]:
    return (STAFF_CHANNEL, case_channel(event.case_id, internal=event.internal))


def scope_channels(scope: EventScope) -> tuple[str, ...]:
    if scope.case_id is None:
        return (STAFF_CHANNEL,)
    public = case_channel(scope.case_id, internal=False)
    if scope.include_internal:
        return (public, case_channel(scope.case_id, internal=True))
    return (public,)


def by_channel(events: Iterable[CaseEvent]) -> dict[str, list[CaseEvent]]:
    """The events of a batch grouped by the channels they go to (batch order kept)."""
    grouped: dict[str, list[CaseEvent]] = {}
    for event in events:
        for channel in event_channels(event):
            grouped.setdefault(channel, []).append(event)
    return grouped


class FanoutSubscription:
    """One subscriber: a bounded queue of notifications (domain.ports.EventSubscription)."""

    def __init__(self, scope: EventScope, max_pending: int) -> None:
        if max_pending < 1:
            raise ValueError("max_pending must be at least 1")
        self.scope = scope
        self.channels = scope_channels(scope)
        self.max_pending = max_pending
        self.dropped = False
        self._pending: deque[tuple[CaseEvent, ...]] = deque()
        self._resync = False
        self._wake = asyncio.Event()

    @property
    def pending(self) -> int:
        return len(self._pending)

    def offer(self, events: Sequence[CaseEvent]) -> bool:
        """Queue a notification; False when this subscriber is (now) dropped."""
        if self.dropped:
            return False
        visible = tuple(e for e in events if self.scope.admits(e))
        if not visible:
            return True
        if len(self._pending) >= self.max_pending:
            self.drop()
            return False
        self._pending.append(visible)
        self._wake.set()
        return True

    def request_resync(self) -> None:
        if not self.dropped:
            self._resync = True
            self._wake.set()

    def drop(self) -> None:
        self.dropped = True
        self._pending.clear()
        self._wake.set()

    async def next(self) -> Wakeup:
        while True:
            if self.dropped:
                raise SubscriberTooSlow()
            if self._pending or self._resync:
                events = tuple(e for batch in self._pending for e in batch)
                self._pending.clear()
                resync, self._resync = self._resync, False
                return Wakeup(events=events, resync=resync)
            self._wake.clear()
            await self._wake.wait()


class LocalFanout:
    """channel -> subscribers of this process. `on_channel_empty` hears when a channel loses
    its last subscriber, `on_channel_used` when it gains its first."""

    def __init__(
        self,
        *,
        on_channel_used: Callable[[str], None] | None = None,
        on_channel_empty: Callable[[str], None] | None = None,
    ) -> None:
        self._subscribers: dict[str, set[FanoutSubscription]] = {}
        self._on_used = on_channel_used
        self._on_empty = on_channel_empty
        self.dropped_total = 0

    @property
    def subscriber_count(self) -> int:
        return len({s for subs in self._subscribers.values() for s in subs})

    @property
    def channels(self) -> list[str]:
        return list(self._subscribers)

    def add(self, subscription: FanoutSubscription) -> None:
        for channel in subscription.channels:
            subscribers = self._subscribers.setdefault(channel, set())
            first = not subscribers
            subscribers.add(subscription)
            if first and self._on_used is not None:
                self._on_used(channel)

    def remove(self, subscription: FanoutSubscription) -> None:
        for channel in subscription.channels:
            subscribers = self._subscribers.get(channel)
            if subscribers is None or subscription not in subscribers:
                continue
            subscribers.discard(subscription)
            if not subscribers:
                del self._subscribers[channel]
                if self._on_empty is not None:
                    self._on_empty(channel)

    def deliver(self, channel: str, events: Sequence[CaseEvent]) -> None:
        for subscription in list(self._subscribers.get(channel, ())):
            if not subscription.offer(events):
                self.dropped_total += 1
                self.remove(subscription)

    def publish(self, events: Sequence[CaseEvent]) -> None:
        for channel, batch in by_channel(events).items():
            self.deliver(channel, batch)

    def resync(self, channel: str) -> None:
        for subscription in list(self._subscribers.get(channel, ())):
            subscription.request_resync()
