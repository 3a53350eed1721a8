"""The read side: list and detail queries return domain objects as plain read models."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, Protocol, TypeVar

from domain.cases import CasePriority, CaseStatus, Message, SupportCase
from domain.events import CaseEvent
from domain.refunds import Refund, RefundStatus
from domain.users import User

T = TypeVar("T")

MAX_PAGE_SIZE = 100


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    cursors: list[str]  # one opaque cursor per item (keyset position)
    has_next_page: bool

    @property
    def end_cursor(self) -> str | None:
        return self.cursors[-1] if self.cursors else None


@dataclass(frozen=True, slots=True)
class CaseFilter:
    statuses: tuple[CaseStatus, ...] = ()
    priorities: tuple[CasePriority, ...] = ()
    customer_id: str | None = None  # restricts to one customer (always set for a customer viewer)
    assignee_id: str | None = None
    unassigned: bool = False
    search: str | None = None  # case-insensitive substring of subject, or a case number
    # True: only the cases overdue at `as_of` (domain.sla.is_overdue); False: only the others.
    overdue: bool | None = None
    as_of: datetime | None = None  # the instant `overdue` is judged at; required with it

    def __post_init__(self) -> None:
        if self.overdue is not None and self.as_of is None:
            raise ValueError("CaseFilter.overdue needs as_of (the instant it is judged at)")


@dataclass(frozen=True, slots=True)
class RefundFilter:
    statuses: tuple[RefundStatus, ...] = ()
    order_id: str | None = None
    case_ids: tuple[str, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class RefundPageRequest:
    """One page of one case's refunds (oldest first), as a batch key."""

    case_id: str
    first: int
    after: str | None = None


class ReadStore(Protocol):
    """Read-only queries; cursors are opaque strings (invalid ones raise ValidationFailed)."""

    async def get_case(self, case_id: str) -> SupportCase | None: ...

    async def list_cases(
        self, case_filter: CaseFilter, *, first: int, after: str | None
    ) -> Page[SupportCase]:
        """Newest first (created_at desc, id desc), keyset-paginated."""
        ...

    async def count_cases(self, case_filter: CaseFilter) -> int:
        """How many cases match (one COUNT statement)."""
        ...

    async def cases_by_ids(self, case_ids: Sequence[str]) -> dict[str, SupportCase]: ...

    async def list_messages(
        self, case_id: str, *, include_internal: bool, first: int, after: str | None
    ) -> Page[Message]:
        """Oldest first."""
        ...

    async def get_message(self, message_id: str) -> Message | None: ...

    async def messages_by_ids(self, message_ids: Sequence[str]) -> dict[str, Message]: ...

    async def last_messages(
        self, case_ids: Sequence[str], *, include_internal: bool
    ) -> dict[str, Message]:
        """The newest (visible) message of each case, in one query."""
        ...

    async def list_events(
        self, case_id: str, *, include_internal: bool, first: int, after: str | None
    ) -> Page[CaseEvent]:
        """A case's timeline, oldest first; the cursor is the event's sequence."""
        ...

    async def get_event(self, event_id: str) -> CaseEvent | None: ...

    async def events_after(
        self,
        after_sequence: int,
        *,
        case_id: str | None = None,
        include_internal: bool,
        limit: int = MAX_PAGE_SIZE,
    ) -> list[CaseEvent]:
        """The log after a sequence (every case, or one), oldest first, at most `limit`
        events: what live subscriptions replay."""
        ...

    async def resolved_case_ids(self, *, resolved_before: datetime, limit: int) -> list[str]:
        """Ids of RESOLVED cases resolved at or before `resolved_before`, oldest first, at most
        `limit` (the auto-close scheduler's candidates)."""
        ...

    async def last_event_sequence(
        self, *, case_id: str | None = None, include_internal: bool = True
    ) -> int:
        """The sequence of the newest event in the log (0 when it is empty), of every case or
        one, with or without internal events."""
        ...

    async def users_by_ids(self, user_ids: Sequence[str]) -> dict[str, User]: ...

    async def staff_users(self) -> list[User]: ...

    async def list_staff(self, *, first: int, after: str | None) -> Page[User]:
        """Active agents and admins by name (then id), keyset-paginated."""
        ...

    async def get_refund(self, refund_id: str) -> Refund | None: ...

    async def refunds_by_ids(self, refund_ids: Sequence[str]) -> dict[str, Refund]: ...

    async def refunds_for_cases(self, case_ids: Sequence[str]) -> dict[str, list[Refund]]: ...

    async def refunds_for_orders(self, order_ids: Sequence[str]) -> dict[str, list[Refund]]: ...

    async def list_refunds(
        self, refund_filter: RefundFilter, *, first: int, after: str | None
    ) -> Page[Refund]:
        """Newest first."""
        ...

    async def count_refunds(self, refund_filter: RefundFilter) -> int:
        """How many refunds match (one COUNT statement)."""
        ...

    async def refund_pages_for_cases(
        self, requests: Sequence[RefundPageRequest]
    ) -> dict[RefundPageRequest, Page[Refund]]:
        """A page of each case's refunds, oldest first (created_at, id), for a whole list of cases
        at once: one statement when no case is asked twice. Every request is a key."""
        ...

    async def count_refunds_for_cases(self, case_ids: Sequence[str]) -> dict[str, int]:
        """How many refunds each case has (one grouped COUNT); every requested id is a key."""
        ...
