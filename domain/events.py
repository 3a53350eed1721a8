"""Domain events: every change to a case is one append-only entry in its timeline."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field
from datetime import datetime


class CaseEventType(enum.StrEnum):
    CASE_OPENED = "CASE_OPENED"
    MESSAGE_POSTED = "MESSAGE_POSTED"
    STATUS_CHANGED = "STATUS_CHANGED"
    PRIORITY_CHANGED = "PRIORITY_CHANGED"
    ASSIGNED = "ASSIGNED"
    REFUND_REQUESTED = "REFUND_REQUESTED"
    REFUND_APPROVED = "REFUND_APPROVED"
    REFUND_REJECTED = "REFUND_REJECTED"
    REFUND_CANCELLED = "REFUND_CANCELLED"
    REFUND_QUEUED = "REFUND_QUEUED"  # approved and handed to the refund worker (job written)
    REFUND_PROCESSING = "REFUND_PROCESSING"  # submitted to the payment gateway
    REFUND_SUCCEEDED = "REFUND_SUCCEEDED"
    REFUND_FAILED = "REFUND_FAILED"
    REFUND_RETRIED = "REFUND_RETRIED"  # an agent retried a FAILED refund (a new attempt)
    ORDER_UPDATED = "ORDER_UPDATED"
    SLA_BREACHED = "SLA_BREACHED"
    CASE_RATED = "CASE_RATED"  # the customer rated a resolved case (domain.satisfaction)


@dataclass(frozen=True, slots=True)
class CaseEvent:
    id: str
    case_id: str
    type: CaseEventType
    occurred_at: datetime
    summary: str
    actor_id: str | None = None  # None: the system (policy, scheduler, order system)
    # Internal events (an internal note) are for staff only: a customer never receives them.
    internal: bool = False
    message_id: str | None = None
    refund_id: str | None = None
    before: str | None = None
    after: str | None = None
    # Position in the log, assigned when appended; the cursor of subscriptions and timelines.
    sequence: int | None = None


@dataclass(slots=True)
class Aggregate:
    """What cases and refunds share: the version their optimistic save checks, and the events of
    their changes, which the repository hands to the unit of work when it stores them."""

    # Keyword-only: a subclass's own fields (some without defaults) come first.
    version: int = field(default=0, kw_only=True)
    events: list[CaseEvent] = field(default_factory=list, repr=False, compare=False, kw_only=True)

    def pull_events(self) -> list[CaseEvent]:
        events, self.events = self.events, []
        return events

    def _record(
        self,
        event_type: CaseEventType,
        now: datetime,
        actor_id: str | None,
        summary: str,
        **details: str | bool | None,
    ) -> None:
        """Queue the timeline entry of a change, carrying the aggregate's ids (_timeline_ids)."""
        fields = self._timeline_ids() | details
        self.events.append(
            CaseEvent(
                id=str(uuid.uuid4()),
                type=event_type,
                occurred_at=now,
                summary=summary,
                actor_id=actor_id,
                **fields,  # type: ignore[arg-type]
            )
        )

    def _timeline_ids(self) -> dict[str, str]:
        """The ids a timeline entry of this aggregate names: its case's (and its own)."""
        raise NotImplementedError
