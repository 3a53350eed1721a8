"""The read side: list and detail queries return domain objects as plain read models.

Also the rules every read path shares, each defined once: the page size (`page_size`), the case
search text (`normalize_search`, `case_number_in`), the full-text words (`search_words`), and the
case filter a principal may use (`case_filter_for`). Who may see what is domain.visibility.

Full-text search (`CaseFilter.words`) matches a case when every word is the start of a word of its
searchable text: subject, description, case number (`CS-000042`, `42`), order number and messages.
Which messages count is visibility's rule: `CaseFilter.words_in_notes` (staff) adds internal notes;
a customer's search never looks at them. The read stores keep that text in the database
(`case_search`, maintained by triggers) and match it with the same rule.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Generic, Protocol, TypeVar

from domain import visibility
from domain.cases import CaseCategory, CasePriority, CaseStatus, Message, SupportCase
from domain.errors import ValidationFailed
from domain.events import CaseEvent
from domain.refunds import Refund, RefundStatus
from domain.users import Principal, User

T = TypeVar("T")

MIN_PAGE_SIZE = 1
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
MAX_SEARCH_LENGTH = 200
MAX_SEARCH_WORDS = 8  # words of a full-text search beyond these are dropped
MAX_SEARCH_WORD_LENGTH = 64  # longer words are cut (no indexed word is that long)
MAX_EMAIL_FILTER_LENGTH = 320
# A word of searchable text: letters and digits (any script); everything else separates words.
_WORD = re.compile(r"[^\W_]+")
# A case number as people type it: CS-000042, cs-42, 42, 000042.
_CASE_NUMBER = re.compile(r"(?:CS-?)?0*(\d{1,9})", re.IGNORECASE)


def page_size(first: int | None, *, default: int = DEFAULT_PAGE_SIZE) -> int:
    """`first` of a connection (None: `default`), checked: 1..MAX_PAGE_SIZE, else ValidationFailed.

    The resolvers and both read stores check with this one function."""
    size = default if first is None else first
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_PAGE_SIZE:
        raise ValidationFailed.single("first", f"must be between 1 and {MAX_PAGE_SIZE}")
    return size


def normalize_search(text: str | None) -> str | None:
    """The case search as typed -> what is searched: trimmed, cut to MAX_SEARCH_LENGTH, None
    when blank. Control characters are refused (NUL and lone surrogates cannot reach the
    database; no subject contains them)."""
    search = text.strip()[:MAX_SEARCH_LENGTH] if text and text.strip() else None
    if search is not None and not search.isprintable():
        raise ValidationFailed.single("search", "must not contain control characters")
    return search


def search_term(search: str | None) -> str | None:
    """The term a read store matches (CaseFilter.search trimmed; None: no search). Longer than
    MAX_SEARCH_LENGTH is refused (normalize_search never produces that)."""
    term = search.strip() if search else ""
    if not term:
        return None
    if len(term) > MAX_SEARCH_LENGTH:
        raise ValidationFailed.single("search", f"must be at most {MAX_SEARCH_LENGTH} characters")
    return term


def search_words(text: str | None) -> tuple[str, ...]:
    """The full-text search as typed -> the words matched: normalize_search (trimmed, at most
    MAX_SEARCH_LENGTH, control characters refused), split into words of letters and digits,
    case-folded, each cut to MAX_SEARCH_WORD_LENGTH, duplicates dropped, at most
    MAX_SEARCH_WORDS. No words (blank, or only punctuation): no text filter."""
    search = normalize_search(text)
    if search is None:
        return ()
    words = dict.fromkeys(w[:MAX_SEARCH_WORD_LENGTH] for w in _WORD.findall(search.casefold()))
    return tuple(words)[:MAX_SEARCH_WORDS]


def text_words(text: str) -> list[str]:
    """The words of searchable text (stored side of search_words: same splitting and folding)."""
    return _WORD.findall(text.casefold())


def words_match(words: Sequence[str], text: str) -> bool:
    """search_words' matching rule: every word starts some word of `text`."""
    have = text_words(text)
    return all(any(word.startswith(w) for word in have) for w in words)


def order_references(order: str | None) -> tuple[str, ...]:
    """What an `order` filter matches (an order id or its number, as typed): the text trimmed,
    and for a number, with and without its leading '#' (`1001` and `#1001` find order #1001).
    Blank: no order filter."""
    ref = order.strip() if order else ""
    if not ref:
        return ()
    if len(ref) > MAX_SEARCH_LENGTH or not ref.isprintable():
        raise ValidationFailed.single("order", "is not an order id or number")
    bare = ref.lstrip("#").strip()
    return tuple(dict.fromkeys(r for r in (ref, bare, f"#{bare}") if r and r != "#"))


def normalize_email_filter(email: str | None) -> str | None:
    """A customer email filter: trimmed and case-folded (emails compare case-insensitively)."""
    value = email.strip().casefold() if email else ""
    if not value:
        return None
    if len(value) > MAX_EMAIL_FILTER_LENGTH or not value.isprintable():
        raise ValidationFailed.single("customerEmail", "is not an email address")
    return value


def case_number_in(term: str) -> int | None:
    """The case number a search term names (`CS-000042`, `cs-42`, `42`), if it names one: such a
    search matches that case as well as the subjects containing the text."""
    number = _CASE_NUMBER.fullmatch(term)
    return int(number.group(1)) if number is not None else None


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    cursors: list[str]  # one opaque cursor per item (keyset position)
    has_next_page: bool

    @property
    def end_cursor(self) -> str | None:
        return self.cursors[-1] if self.cursors else None


class CaseSort(enum.StrEnum):
    """The order of a case list; each is keyset-paginated on its own key (then the case id)."""

    NEWEST = "NEWEST"  # created_at descending
    OLDEST = "OLDEST"  # created_at ascending
    DUE_SOONEST = "DUE_SOONEST"  # SupportCase.due_at ascending


# The cursor kind of each case sort: a cursor of one sort is refused by another (both read stores).
CASE_CURSOR_KINDS = {
    CaseSort.NEWEST: "case",
    CaseSort.OLDEST: "case-oldest",
    CaseSort.DUE_SOONEST: "case-due",
}


@dataclass(frozen=True, slots=True)
class CaseFilter:
    statuses: tuple[CaseStatus, ...] = ()
    priorities: tuple[CasePriority, ...] = ()
    categories: tuple[CaseCategory, ...] = ()
    customer_id: str | None = None  # restricts to one customer (always set for a customer viewer)
    customer_email: str | None = None  # the customer's email (normalize_email_filter)
    assignee_id: str | None = None
    unassigned: bool = False
    search: str | None = None  # case-insensitive substring of subject, or a case number
    # Full text (search_words): every word starts a word of the case's searchable text.
    words: tuple[str, ...] = ()
    # Whether internal notes count as searchable text (visibility.sees_internal of the viewer).
    words_in_notes: bool = False
    order_refs: tuple[str, ...] = ()  # order_references: the order id or number
    created_after: datetime | None = None  # inclusive
    created_before: datetime | None = None  # exclusive
    updated_after: datetime | None = None  # inclusive
    updated_before: datetime | None = None  # exclusive
    # True: only the cases overdue at `as_of` (domain.sla.is_overdue); False: only the others.
    overdue: bool | None = None
    as_of: datetime | None = None  # the instant `overdue` is judged at; required with it

    def __post_init__(self) -> None:
        if self.overdue is not None and self.as_of is None:
            raise ValueError("CaseFilter.overdue needs as_of (the instant it is judged at)")

    def in_ranges(self, created_at: datetime, updated_at: datetime) -> bool:
        """The created/updated ranges as a predicate (after: inclusive, before: exclusive)."""
        return (
            (self.created_after is None or created_at >= self.created_after)
            and (self.created_before is None or created_at < self.created_before)
            and (self.updated_after is None or updated_at >= self.updated_after)
            and (self.updated_before is None or updated_at < self.updated_before)
        )


@dataclass(frozen=True, slots=True)
class CaseListRequest:
    """A case list as the caller asked for it (ids decoded; the search text as typed)."""

    statuses: tuple[CaseStatus, ...] = ()
    priorities: tuple[CasePriority, ...] = ()
    assigned_to_me: bool = False
    unassigned: bool = False
    customer_id: str | None = None
    search: str | None = None
    overdue: bool | None = None
    categories: tuple[CaseCategory, ...] = ()
    text: str | None = None  # full text, as typed
    order: str | None = None  # an order id or number, as typed
    customer_email: str | None = None
    assignee_id: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    updated_after: datetime | None = None
    updated_before: datetime | None = None


def _check_range(name: str, after: datetime | None, before: datetime | None) -> None:
    for label, value in ((f"{name}After", after), (f"{name}Before", before)):
        if value is None:
            continue
        if value.utcoffset() is None:
            raise ValidationFailed.single(label, "needs a time zone offset")
        try:  # e.g. 0001-01-01T00:00:00+14:00 is before the first representable UTC instant
            value.astimezone(UTC)
        except (OverflowError, ValueError):
            raise ValidationFailed.single(label, "is out of range") from None
    if after is not None and before is not None and after >= before:
        raise ValidationFailed.single(f"{name}Before", f"must be later than {name}After")


def case_filter_for(principal: Principal, request: CaseListRequest, now: datetime) -> CaseFilter:
    """The filter a principal's case list runs with.

    A customer always gets their own cases, whatever they ask: `customerId`, `customerEmail`,
    `assigneeId`, `assignedToMe`, `unassigned` and `overdue` are staff filters and are ignored
    for customers. The full text searches internal notes only for those who may see them
    (visibility.sees_internal). The search texts go through normalize_search / search_words
    (ValidationFailed for control characters); a created or updated range must not be empty."""
    staff = visibility.is_staff(principal)
    _check_range("created", request.created_after, request.created_before)
    _check_range("updated", request.updated_after, request.updated_before)
    assignee_id = request.assignee_id
    if request.assigned_to_me:
        assignee_id = principal.user_id
    return CaseFilter(
        statuses=request.statuses,
        priorities=request.priorities,
        categories=request.categories,
        customer_id=request.customer_id if staff else principal.user_id,
        customer_email=normalize_email_filter(request.customer_email) if staff else None,
        assignee_id=assignee_id if staff else None,
        unassigned=staff and request.unassigned,
        search=normalize_search(request.search),
        words=search_words(request.text),
        words_in_notes=visibility.sees_internal(principal),
        order_refs=order_references(request.order),
        created_after=request.created_after,
        created_before=request.created_before,
        updated_after=request.updated_after,
        updated_before=request.updated_before,
        overdue=request.overdue if staff else None,
        as_of=now,
    )


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


@dataclass(frozen=True, slots=True)
class MessagePageRequest:
    """One page of one case's messages (oldest first), as a batch key. `include_internal` is
    domain.visibility.sees_internal of the viewer: a customer never gets internal notes."""

    case_id: str
    first: int
    after: str | None = None
    include_internal: bool = False


@dataclass(frozen=True, slots=True)
class EventPageRequest:
    """One page of one case's timeline (by sequence), as a batch key. `include_internal` is
    domain.visibility.sees_internal of the viewer: a customer never gets internal events."""

    case_id: str
    first: int
    after: str | None = None
    include_internal: bool = False


class ReadStore(Protocol):
    """Read-only queries; cursors are opaque strings (invalid ones raise ValidationFailed)."""

    async def get_case(self, case_id: str) -> SupportCase | None: ...

    async def list_cases(
        self,
        case_filter: CaseFilter,
        *,
        first: int,
        after: str | None,
        sort: CaseSort = CaseSort.NEWEST,
    ) -> Page[SupportCase]:
        """In `sort` order, then by id (NEWEST: created_at desc, id desc; OLDEST: created_at,
        id; DUE_SOONEST: due_at, id), keyset-paginated: the cursor holds the sort key and
        names the sort, so a cursor of one sort is refused by another. A deep page costs what
        the first does (no OFFSET)."""
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

    async def message_pages_for_cases(
        self, requests: Sequence[MessagePageRequest]
    ) -> dict[MessagePageRequest, Page[Message]]:
        """A page of each case's messages, oldest first (created_at, id), for a whole list of
        cases at once: one statement when no case is asked twice. Every request is a key; its
        page is the one list_messages would answer."""
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

    async def event_pages_for_cases(
        self, requests: Sequence[EventPageRequest]
    ) -> dict[EventPageRequest, Page[CaseEvent]]:
        """A page of each case's timeline, oldest first (by sequence), for a whole list of cases
        at once: one statement when no case is asked twice. Every request is a key; its page is
        the one list_events would answer."""
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
