"""Live updates: which events a subscriber may receive, and what the broker hands it.

The case event log is the truth; the broker only carries "something new was committed"
notifications (with the events, so that the common case needs no read). A subscriber replays
from the log after its cursor, then follows the broker, re-reading the log whenever the
notifications cannot prove that nothing was missed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from domain.errors import ValidationFailed
from domain.events import CaseEvent

_CURSOR = re.compile(r"^[0-9]{1,18}$")


@dataclass(frozen=True, slots=True)
class EventScope:
    """What one subscriber may receive: one case's events or every case's (staff only), with
    or without internal ones (internal notes and staff alerts; never for customers)."""

    case_id: str | None
    include_internal: bool

    def __post_init__(self) -> None:
        if self.case_id is None and not self.include_internal:
            raise ValueError("only staff follow every case, and staff see internal events")

    @property
    def every_case(self) -> bool:
        return self.case_id is None

    def admits(self, event: CaseEvent) -> bool:
        if self.case_id is not None and event.case_id != self.case_id:
            return False
        return self.include_internal or not event.internal


@dataclass(frozen=True, slots=True)
class Wakeup:
    """What a subscription hands its consumer: the notifications that arrived since the last
    wake-up (oldest first, possibly out of log order), and `resync` when notifications may have
    been lost (the broker reconnected): the consumer must then re-read the log."""

    events: tuple[CaseEvent, ...] = ()
    resync: bool = False


class SubscriberTooSlow(Exception):
    """The subscriber fell more than its queue behind and was dropped by the broker; it must
    reconnect and replay from its last cursor."""


class LiveUpdatesUnavailable(Exception):
    """The broker cannot take a subscription right now (e.g. Redis unreachable)."""


def parse_event_cursor(cursor: str) -> int:
    """A CaseEvent cursor (the decimal log sequence) -> the sequence; ValidationFailed else."""
    if not isinstance(cursor, str) or not _CURSOR.match(cursor):
        raise ValidationFailed.single("after", "is not a valid event cursor")
    return int(cursor)


def event_cursor(sequence: int) -> str:
    return str(sequence)
