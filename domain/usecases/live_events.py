"""Follow a case's events (or every case's, for staff) live: replay after a cursor, then tail.

The order of operations is what makes the stream gap-free and duplicate-free:

1. subscribe to the broker first (the subscription is confirmed before anything is read), so
   every event committed from now on will be notified;
2. replay the log after the cursor (or start at the log's head);
3. on every wake-up, deliver only sequences above the last one delivered. Notifications from
   different instances can arrive out of log order, so they are trusted only when they prove
   that nothing is missing: on the every-case staff feed, a run of sequences that continues
   exactly where the last delivered one ended. Anything else (a gap, a per-case feed whose
   sequences have gaps by nature, a resync after a broker reconnect) re-reads the log from the
   last delivered sequence. The PostgreSQL log hands out sequences in commit order, so a read
   never skips an event that commits later with a smaller sequence.

Authorization is checked when subscribing (`open_case_event_feed`) and again for every event
(`CaseEventFeed.may_see`); the delivery layer adds its own check of the session per event.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

from domain import visibility
from domain.errors import Forbidden, NotFound
from domain.events import CaseEvent
from domain.live import EventScope, event_cursor, parse_event_cursor
from domain.ports import EventBroker
from domain.usecases.services import Services
from domain.users import Principal

REPLAY_PAGE_SIZE = 100
DEFAULT_MAX_PENDING = 256


@dataclass(frozen=True, slots=True)
class CaseEventFeed:
    """An authorized subscription request."""

    principal: Principal
    scope: EventScope
    after_sequence: int | None  # None: from now on

    def may_see(self, event: CaseEvent) -> bool:
        if not self.scope.admits(event):
            return False
        if not visibility.may_see_event(self.principal, event):
            return False
        # Staff may follow every case; a customer only the one case they were allowed to follow.
        return visibility.is_staff(self.principal) or event.case_id == self.scope.case_id


async def open_case_event_feed(
    services: Services, principal: Principal, *, case_id: str | None, after: str | None
) -> CaseEventFeed:
    """Checks that `principal` may follow `case_id` (None: every case, staff only).

    Someone else's case is NotFound, exactly like a case that does not exist; a customer
    asking for every case is Forbidden; a malformed cursor is ValidationFailed."""
    if case_id is None:
        if not visibility.is_staff(principal):
            raise Forbidden("Customers follow one case of theirs: pass caseId")
    else:
        case = await services.reads.get_case(case_id)
        if case is None or not case.visible_to(principal):
            raise NotFound("Case")
    after_sequence = parse_event_cursor(after) if after is not None else None
    scope = EventScope(case_id=case_id, include_internal=visibility.sees_internal(principal))
    return CaseEventFeed(principal=principal, scope=scope, after_sequence=after_sequence)


class EventLog(Protocol):
    """The part of domain.queries.ReadStore that subscriptions read."""

    async def events_after(
        self,
        after_sequence: int,
        *,
        case_id: str | None = None,
        include_internal: bool,
        limit: int = 100,
    ) -> list[CaseEvent]: ...

    async def last_event_sequence(
        self, *, case_id: str | None = None, include_internal: bool = True
    ) -> int: ...


async def live_start_cursor(
    services: Services, principal: Principal, *, case_id: str | None
) -> str:
    """Where a client should start following `case_id` (None: every case, staff only) so that
    nothing between its page load and its subscription is missed: the cursor of the newest event
    it may see now. The same checks as subscribing; a customer learns nothing about other cases
    (the cursor of their own case's newest public event, not the log's head)."""
    feed = await open_case_event_feed(services, principal, case_id=case_id, after=None)
    sequence = await services.reads.last_event_sequence(
        case_id=feed.scope.case_id, include_internal=feed.scope.include_internal
    )
    return event_cursor(sequence)


class SharedEventLog:
    """One process-wide EventLog that runs identical concurrent reads once.

    One notification wakes every subscriber of a channel at the same moment; those that must
    re-read the log mostly ask the very same question (same position, same scope). The first
    asks the database, the others wait for its answer. Nothing is cached once the read is done,
    so no answer is ever staler than a read of its own would have been."""

    def __init__(self, log: EventLog) -> None:
        self._log = log
        self._inflight: dict[tuple[int, str | None, bool, int], asyncio.Future[list[CaseEvent]]]
        self._inflight = {}
        self.reads = 0  # database reads actually made (for tests and benchmarks)

    async def events_after(
        self,
        after_sequence: int,
        *,
        case_id: str | None = None,
        include_internal: bool,
        limit: int = 100,
    ) -> list[CaseEvent]:
        key = (after_sequence, case_id, include_internal, limit)
        future = self._inflight.get(key)
        if future is None:
            self.reads += 1
            future = asyncio.ensure_future(
                self._log.events_after(
                    after_sequence, case_id=case_id, include_internal=include_internal, limit=limit
                )
            )
            self._inflight[key] = future
            future.add_done_callback(lambda _: self._inflight.pop(key, None))
        # Shielded: one waiter going away (a closed subscription) does not cancel the others'.
        return list(await asyncio.shield(future))

    async def last_event_sequence(
        self, *, case_id: str | None = None, include_internal: bool = True
    ) -> int:
        return await self._log.last_event_sequence(
            case_id=case_id, include_internal=include_internal
        )


def _continues(events: list[CaseEvent], last: int) -> bool:
    expected = last + 1
    for event in events:
        if event.sequence != expected:
            return False
        expected += 1
    return True


async def follow_case_events(
    services: Services,
    broker: EventBroker,
    feed: CaseEventFeed,
    *,
    max_pending: int = DEFAULT_MAX_PENDING,
    page_size: int = REPLAY_PAGE_SIZE,
    log: EventLog | None = None,
) -> AsyncIterator[CaseEvent]:
    """Every event of the feed after its cursor, each exactly once, in log order, forever.

    Raises domain.live.SubscriberTooSlow when the consumer falls too far behind and
    domain.live.LiveUpdatesUnavailable when the broker cannot subscribe."""
    scope = feed.scope
    reads: EventLog = log if log is not None else services.reads
    async with broker.listen(scope, max_pending=max_pending) as subscription:
        if feed.after_sequence is not None:
            last = feed.after_sequence
        else:
            last = await reads.last_event_sequence()
        must_read = feed.after_sequence is not None
        while True:
            if must_read:
                while True:  # the log after `last`, page by page
                    page = await reads.events_after(
                        last,
                        case_id=scope.case_id,
                        include_internal=scope.include_internal,
                        limit=page_size,
                    )
                    for event in page:
                        sequence = event.sequence or 0
                        if sequence <= last:
                            continue
                        last = sequence
                        if feed.may_see(event):
                            yield event
                    if len(page) < page_size:
                        break
            wakeup = await subscription.next()
            fresh = sorted(
                (e for e in wakeup.events if e.sequence is not None and e.sequence > last),
                key=lambda e: e.sequence or 0,
            )
            if wakeup.resync:
                must_read = True
            elif not fresh:
                must_read = False  # only duplicates or events already delivered
            elif scope.every_case and _continues(fresh, last):
                for event in fresh:
                    last = event.sequence or last
                    if feed.may_see(event):
                        yield event
                must_read = False
            else:
                must_read = True
