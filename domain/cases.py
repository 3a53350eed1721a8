"""The support case aggregate: its status machine, its messages and its SLA clock."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from domain import visibility
from domain.errors import FieldError, Forbidden, InvalidTransition, ValidationFailed
from domain.events import Aggregate, CaseEventType
from domain.text import clean_text
from domain.users import Principal


class CaseStatus(enum.StrEnum):
    OPEN = "OPEN"
    IN_PROGRESS = "IN_PROGRESS"
    WAITING_ON_CUSTOMER = "WAITING_ON_CUSTOMER"
    RESOLVED = "RESOLVED"
    CLOSED = "CLOSED"

    @property
    def is_open(self) -> bool:
        return self in OPEN_STATES


OPEN_STATES = frozenset({CaseStatus.OPEN, CaseStatus.IN_PROGRESS, CaseStatus.WAITING_ON_CUSTOMER})


class CasePriority(enum.StrEnum):
    LOW = "LOW"
    NORMAL = "NORMAL"
    HIGH = "HIGH"
    URGENT = "URGENT"


class CaseCategory(enum.StrEnum):
    REFUND_REQUEST = "REFUND_REQUEST"
    DELIVERY_PROBLEM = "DELIVERY_PROBLEM"
    PRODUCT_ISSUE = "PRODUCT_ISSUE"
    BILLING = "BILLING"
    OTHER = "OTHER"


@dataclass(frozen=True, slots=True)
class SlaTargets:
    first_response: dict[CasePriority, timedelta]
    resolution: dict[CasePriority, timedelta]


DEFAULT_SLA = SlaTargets(
    first_response={
        CasePriority.URGENT: timedelta(hours=1),
        CasePriority.HIGH: timedelta(hours=4),
        CasePriority.NORMAL: timedelta(hours=24),
        CasePriority.LOW: timedelta(hours=72),
    },
    resolution={
        CasePriority.URGENT: timedelta(hours=8),
        CasePriority.HIGH: timedelta(hours=24),
        CasePriority.NORMAL: timedelta(hours=72),
        CasePriority.LOW: timedelta(days=7),
    },
)


@dataclass(frozen=True, slots=True)
class CaseRules:
    sla: SlaTargets = DEFAULT_SLA
    reopen_within: timedelta = timedelta(days=14)
    auto_close_after: timedelta = timedelta(days=7)
    # How long after resolution the customer may rate the case (domain.satisfaction).
    rating_window: timedelta = timedelta(days=7)


# Moves an agent may make; "any open state -> RESOLVED" is added below.
_STAFF_MOVES: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.OPEN: frozenset({CaseStatus.IN_PROGRESS, CaseStatus.RESOLVED}),
    CaseStatus.IN_PROGRESS: frozenset({CaseStatus.WAITING_ON_CUSTOMER, CaseStatus.RESOLVED}),
    CaseStatus.WAITING_ON_CUSTOMER: frozenset({CaseStatus.IN_PROGRESS, CaseStatus.RESOLVED}),
    CaseStatus.RESOLVED: frozenset({CaseStatus.OPEN, CaseStatus.CLOSED}),
    CaseStatus.CLOSED: frozenset(),
}
# A customer may mark their own case resolved, and reopen it.
_CUSTOMER_TARGETS = frozenset({CaseStatus.RESOLVED, CaseStatus.OPEN})

SUBJECT_MAX = 200
BODY_MAX = 10_000


SLA_WAITING_ON_CUSTOMER = "WAITING_ON_CUSTOMER"


def refund_pause_reason(refund_id: str) -> str:
    """The SLA pause reason of a refund being executed (one per refund: idempotent)."""
    return f"REFUND:{refund_id}"


def new_id() -> str:
    return str(uuid.uuid4())


@dataclass(slots=True)
class Message:
    id: str
    case_id: str
    author_id: str
    body: str
    internal: bool
    created_at: datetime


@dataclass(slots=True)
class SupportCase(Aggregate):
    id: str
    subject: str
    description: str
    category: CaseCategory
    priority: CasePriority
    status: CaseStatus
    customer_id: str
    created_at: datetime
    updated_at: datetime
    first_response_due_at: datetime
    resolution_due_at: datetime
    order_id: str | None = None
    # The order's human number (e.g. "#1001") as the order system gave it when the case was
    # opened: searchable and shown without asking the order system again.
    order_number: str | None = None
    assignee_id: str | None = None
    number: int | None = None  # assigned by the repository when first stored
    first_responded_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    # SLA clock pauses (waiting on the customer; a refund being executed) accumulate here.
    paused_since: datetime | None = None
    paused_seconds: int = 0
    # Why the clock stands still now: SLA_WAITING_ON_CUSTOMER and/or one refund_pause_reason()
    # per refund being executed. The clock runs again only when the last reason is gone, so the
    # two causes never cancel each other.
    sla_pause_reasons: set[str] = field(default_factory=set)

    # -- creation -------------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        *,
        customer_id: str,
        subject: str,
        description: str,
        category: CaseCategory,
        priority: CasePriority,
        order_id: str | None,
        now: datetime,
        rules: CaseRules,
        case_id: str | None = None,
        order_number: str | None = None,
    ) -> SupportCase:
        errors: list[FieldError] = []
        subject = clean_text(
            subject, "subject", max_length=SUBJECT_MAX, multiline=False, errors=errors
        )
        description = clean_text(
            description, "description", max_length=BODY_MAX, multiline=True, errors=errors
        )
        if errors:
            raise ValidationFailed(errors)
        case = cls(
            id=case_id or new_id(),
            subject=subject,
            description=description,
            category=category,
            priority=priority,
            status=CaseStatus.OPEN,
            customer_id=customer_id,
            order_id=order_id,
            order_number=order_number if order_id is not None else None,
            created_at=now,
            updated_at=now,
            first_response_due_at=now + rules.sla.first_response[priority],
            resolution_due_at=now + rules.sla.resolution[priority],
        )
        case._record(CaseEventType.CASE_OPENED, now, customer_id, f"Case opened: {subject}")
        return case

    # -- presentation helpers -----------------------------------------------------------------

    @property
    def due_at(self) -> datetime:
        """The next SLA deadline the case owes: the first response while none was given (when it
        comes before the resolution), else the resolution. What "due soonest" sorts by."""
        if self.first_responded_at is None:
            return min(self.first_response_due_at, self.resolution_due_at)
        return self.resolution_due_at

    @property
    def display_number(self) -> str:
        return f"CS-{self.number:06d}" if self.number is not None else "CS-??????"

    def visible_to(self, principal: Principal) -> bool:
        return visibility.may_see_case(principal, self)

    # -- status machine -----------------------------------------------------------------------

    def change_status(
        self, target: CaseStatus, *, actor: Principal, now: datetime, rules: CaseRules
    ) -> None:
        if not actor.is_staff and target not in _CUSTOMER_TARGETS:
            raise Forbidden("Customers can only resolve or reopen their cases")
        allowed = set(_STAFF_MOVES[self.status])
        if self.status.is_open:
            allowed.add(CaseStatus.RESOLVED)
        if not actor.is_staff:
            allowed &= _CUSTOMER_TARGETS
        if target not in allowed:
            raise InvalidTransition("case", self.status, target)
        if (
            target is CaseStatus.OPEN
            and self.resolved_at is not None
            and now - self.resolved_at > rules.reopen_within
        ):
            raise InvalidTransition(
                "case resolved more than the reopen period ago", self.status, target
            )
        self._move(target, now=now, actor_id=actor.user_id)

    def close_if_due(self, *, now: datetime, rules: CaseRules) -> bool:
        """RESOLVED -> CLOSED once the auto-close period has passed (scheduler, no actor)."""
        if (
            self.status is CaseStatus.RESOLVED
            and self.resolved_at is not None
            and now - self.resolved_at >= rules.auto_close_after
        ):
            self._move(CaseStatus.CLOSED, now=now, actor_id=None)
            return True
        return False

    def reopen_for_refund_failure(self, *, now: datetime) -> None:
        """A failed refund brings a resolved case back to the queue."""
        if self.status is CaseStatus.RESOLVED:
            self._move(CaseStatus.OPEN, now=now, actor_id=None)

    def _move(self, target: CaseStatus, *, now: datetime, actor_id: str | None) -> None:
        before = self.status
        if before is CaseStatus.WAITING_ON_CUSTOMER:
            self.resume_sla(now)
        if target is CaseStatus.WAITING_ON_CUSTOMER:
            self.pause_sla(now)
        if target is CaseStatus.RESOLVED:
            self.resolved_at = now
        elif target is CaseStatus.OPEN:
            self.resolved_at = None
        elif target is CaseStatus.CLOSED:
            self.closed_at = now
        self.status = target
        self.updated_at = now
        self._record(
            CaseEventType.STATUS_CHANGED,
            now,
            actor_id,
            f"Status changed from {before} to {target}",
            before=before,
            after=target,
        )

    # -- other changes --------------------------------------------------------------------------

    def set_priority(
        self, priority: CasePriority, *, actor: Principal, now: datetime, rules: CaseRules
    ) -> None:
        if not actor.is_staff:
            raise Forbidden("Only agents can set a case's priority")
        self._require_not_closed("priority")
        if priority is self.priority:
            return
        before = self.priority
        self.priority = priority
        self._recompute_due(rules)
        self.updated_at = now
        self._record(
            CaseEventType.PRIORITY_CHANGED,
            now,
            actor.user_id,
            f"Priority changed from {before} to {priority}",
            before=before,
            after=priority,
        )

    def assign(
        self, assignee_id: str | None, *, assignee_name: str | None, actor: Principal, now: datetime
    ) -> None:
        if not actor.is_staff:
            raise Forbidden("Only agents can assign cases")
        self._require_not_closed("assignee")
        if assignee_id == self.assignee_id:
            return
        before = self.assignee_id
        self.assignee_id = assignee_id
        self.updated_at = now
        summary = f"Assigned to {assignee_name}" if assignee_id else "Unassigned"
        self._record(
            CaseEventType.ASSIGNED, now, actor.user_id, summary, before=before, after=assignee_id
        )

    def post_message(
        self,
        body: str,
        *,
        internal: bool,
        author: Principal,
        now: datetime,
        message_id: str | None = None,
    ) -> Message:
        if internal and not author.is_staff:
            raise Forbidden("Customers cannot write internal notes")
        self._require_not_closed("caseId")
        errors: list[FieldError] = []
        body = clean_text(body, "body", max_length=BODY_MAX, multiline=True, errors=errors)
        if errors:
            raise ValidationFailed(errors)
        message = Message(
            id=message_id or new_id(),
            case_id=self.id,
            author_id=author.user_id,
            body=body,
            internal=internal,
            created_at=now,
        )
        self.updated_at = now
        summary = "Internal note added" if internal else "Message posted"
        self._record(
            CaseEventType.MESSAGE_POSTED,
            now,
            author.user_id,
            summary,
            internal=internal,
            message_id=message.id,
        )
        if not internal and author.is_staff and self.first_responded_at is None:
            self.first_responded_at = now
        if not internal and not author.is_staff and self.status is CaseStatus.WAITING_ON_CUSTOMER:
            self._move(CaseStatus.IN_PROGRESS, now=now, actor_id=author.user_id)
        return message

    # -- SLA ------------------------------------------------------------------------------------

    def pause_sla(self, now: datetime, reason: str = SLA_WAITING_ON_CUSTOMER) -> None:
        """Stop the SLA clock for `reason` (pausing again for a reason already held: no effect)."""
        self.sla_pause_reasons.add(reason)
        if self.paused_since is None:
            self.paused_since = now

    def resume_sla(self, now: datetime, reason: str = SLA_WAITING_ON_CUSTOMER) -> None:
        """Drop `reason`; the clock runs again once no reason is left."""
        self.sla_pause_reasons.discard(reason)
        if self.sla_pause_reasons:
            return
        if self.paused_since is not None:
            # Whole seconds, as counted in paused_seconds: _recompute_due must agree with this.
            pause = timedelta(seconds=int((now - self.paused_since).total_seconds()))
            self.paused_seconds += int(pause.total_seconds())
            self.paused_since = None
            # The clock stood still: every due time moves out by the length of the pause.
            self.first_response_due_at += pause
            self.resolution_due_at += pause

    def _recompute_due(self, rules: CaseRules) -> None:
        paused = timedelta(seconds=self.paused_seconds)
        self.first_response_due_at = (
            self.created_at + rules.sla.first_response[self.priority] + paused
        )
        self.resolution_due_at = self.created_at + rules.sla.resolution[self.priority] + paused

    def first_response_breached(self, now: datetime) -> bool:
        if self.first_responded_at is not None:
            return self.first_responded_at > self.first_response_due_at
        return self._clock_now(now) > self.first_response_due_at

    def resolution_breached(self, now: datetime) -> bool:
        if self.resolved_at is not None:
            return self.resolved_at > self.resolution_due_at
        if self.status is CaseStatus.CLOSED:
            return False
        return self._clock_now(now) > self.resolution_due_at

    def _clock_now(self, now: datetime) -> datetime:
        # While paused, the SLA clock stands still at the moment it was paused.
        return self.paused_since if self.paused_since is not None else now

    # -- helpers --------------------------------------------------------------------------------

    def _require_not_closed(self, field_name: str) -> None:
        if self.status is CaseStatus.CLOSED:
            raise ValidationFailed.single(field_name, "The case is closed; open a new case instead")

    def _timeline_ids(self) -> dict[str, str]:
        return {"case_id": self.id}
