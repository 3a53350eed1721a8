"""InMemoryReadStore: domain.queries.ReadStore over the committed state of an InMemoryStore.

Everything returned is a copy (callers cannot change the store through it). Pages are keyset
paginated with the adapters' opaque cursors (adapters.cursors, the format of the SQL store too);
an event's cursor is its sequence number (domain.live.event_cursor).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import TypeVar

from adapters import cursors
from adapters.memory.store import InMemoryStore
from domain.cases import CaseStatus, Message, SupportCase
from domain.events import CaseEvent
from domain.live import event_cursor, parse_event_cursor
from domain.queries import (
    CASE_CURSOR_KINDS,
    MAX_PAGE_SIZE,
    CaseFilter,
    CaseSort,
    EventPageRequest,
    MessagePageRequest,
    Page,
    RefundFilter,
    RefundPageRequest,
    case_number_in,
    page_size,
    search_term,
    words_match,
)
from domain.refunds import Refund
from domain.sla import is_overdue
from domain.users import User

T = TypeVar("T")

Key = tuple[datetime, str]


def _keyset_page(
    rows: Iterable[T],
    key: Callable[[T], Key],
    kind: str,
    *,
    newest_first: bool,
    first: int,
    after: str | None,
) -> Page[T]:
    page_size(first)
    ordered = sorted(rows, key=key, reverse=newest_first)
    if after is not None:
        position = cursors.decode_cursor(kind, after)
        if newest_first:
            ordered = [row for row in ordered if key(row) < position]
        else:
            ordered = [row for row in ordered if key(row) > position]
    items = ordered[:first]
    return Page(
        items=[copy.deepcopy(row) for row in items],
        cursors=[cursors.encode_cursor(kind, *key(row)) for row in items],
        has_next_page=len(ordered) > first,
    )


def _case_key(case: SupportCase) -> Key:
    return (case.created_at, case.id)


def _message_key(message: Message) -> Key:
    return (message.created_at, message.id)


def _refund_key(refund: Refund) -> Key:
    return (refund.created_at, refund.id)


def _case_due_key(case: SupportCase) -> Key:
    return (case.due_at, case.id)


def _searchable_text(case: SupportCase, messages: Iterable[Message], *, notes: bool) -> str:
    """What migration 0006's case_search documents hold for a case."""
    number = case.number or 0
    parts = [case.subject, case.description, "cs", f"{number:06d}", str(number)]
    parts.append(case.order_number or "")
    parts += [m.body for m in messages if notes or not m.internal]
    return " ".join(parts)


def _matches_case(
    case: SupportCase, f: CaseFilter, store: InMemoryStore, users: dict[str, User]
) -> bool:
    if f.statuses and case.status not in f.statuses:
        return False
    if f.priorities and case.priority not in f.priorities:
        return False
    if f.categories and case.category not in f.categories:
        return False
    if f.customer_id is not None and case.customer_id != f.customer_id:
        return False
    if f.customer_email is not None:
        customer = users.get(case.customer_id)
        if customer is None or customer.email.casefold() != f.customer_email:
            return False
    if f.order_refs and not (case.order_id in f.order_refs or case.order_number in f.order_refs):
        return False
    if not f.in_ranges(case.created_at, case.updated_at):
        return False
    if f.words:
        messages = (m for m in store.messages.values() if m.case_id == case.id)
        text = _searchable_text(case, messages, notes=f.words_in_notes)
        if not words_match(f.words, text):
            return False
    if f.assignee_id is not None and case.assignee_id != f.assignee_id:
        return False
    if f.unassigned and case.assignee_id is not None:
        return False
    if f.overdue is not None and f.as_of is not None and is_overdue(case, f.as_of) != f.overdue:
        return False
    term = search_term(f.search)
    if term is not None:
        number = case_number_in(term)
        by_number = number is not None and case.number == number
        if not by_number and term.casefold() not in case.subject.casefold():
            return False
    return True


def _matches_refund(refund: Refund, f: RefundFilter) -> bool:
    if f.statuses and refund.status not in f.statuses:
        return False
    if f.order_id is not None and refund.order_id != f.order_id:
        return False
    return not (f.case_ids and refund.case_id not in f.case_ids)


class InMemoryReadStore:
    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    # -- cases ----------------------------------------------------------------------------------

    async def get_case(self, case_id: str) -> SupportCase | None:
        return copy.deepcopy(self._store.cases.get(case_id))

    async def list_cases(
        self,
        case_filter: CaseFilter,
        *,
        first: int,
        after: str | None,
        sort: CaseSort = CaseSort.NEWEST,
    ) -> Page[SupportCase]:
        rows = self._matching_cases(case_filter)
        key = _case_due_key if sort is CaseSort.DUE_SOONEST else _case_key
        return _keyset_page(
            rows,
            key,
            CASE_CURSOR_KINDS[sort],
            newest_first=sort is CaseSort.NEWEST,
            first=first,
            after=after,
        )

    async def count_cases(self, case_filter: CaseFilter) -> int:
        return len(self._matching_cases(case_filter))

    def _matching_cases(self, case_filter: CaseFilter) -> list[SupportCase]:
        users = self._store.users
        return [
            c
            for c in self._store.cases.values()
            if _matches_case(c, case_filter, self._store, users)
        ]

    async def cases_by_ids(self, case_ids: Sequence[str]) -> dict[str, SupportCase]:
        return _by_ids(self._store.cases, case_ids)

    # -- messages -------------------------------------------------------------------------------

    async def list_messages(
        self, case_id: str, *, include_internal: bool, first: int, after: str | None
    ) -> Page[Message]:
        return self._message_page(MessagePageRequest(case_id, first, after, include_internal))

    async def message_pages_for_cases(
        self, requests: Sequence[MessagePageRequest]
    ) -> dict[MessagePageRequest, Page[Message]]:
        return {request: self._message_page(request) for request in requests}

    def _message_page(self, request: MessagePageRequest) -> Page[Message]:
        rows = (
            m
            for m in self._store.messages.values()
            if m.case_id == request.case_id and (request.include_internal or not m.internal)
        )
        return _keyset_page(
            rows,
            _message_key,
            "message",
            newest_first=False,
            first=request.first,
            after=request.after,
        )

    async def get_message(self, message_id: str) -> Message | None:
        return copy.deepcopy(self._store.messages.get(message_id))

    async def messages_by_ids(self, message_ids: Sequence[str]) -> dict[str, Message]:
        return _by_ids(self._store.messages, message_ids)

    async def last_messages(
        self, case_ids: Sequence[str], *, include_internal: bool
    ) -> dict[str, Message]:
        wanted = set(case_ids)
        last: dict[str, Message] = {}
        for message in self._store.messages.values():
            if message.case_id not in wanted or (message.internal and not include_internal):
                continue
            current = last.get(message.case_id)
            if current is None or _message_key(message) > _message_key(current):
                last[message.case_id] = message
        return {case_id: copy.deepcopy(m) for case_id, m in last.items()}

    # -- timeline -------------------------------------------------------------------------------

    async def list_events(
        self, case_id: str, *, include_internal: bool, first: int, after: str | None
    ) -> Page[CaseEvent]:
        return self._event_page(EventPageRequest(case_id, first, after, include_internal))

    async def event_pages_for_cases(
        self, requests: Sequence[EventPageRequest]
    ) -> dict[EventPageRequest, Page[CaseEvent]]:
        return {request: self._event_page(request) for request in requests}

    def _event_page(self, request: EventPageRequest) -> Page[CaseEvent]:
        first = page_size(request.first)
        start = parse_event_cursor(request.after) if request.after is not None else 0
        matching = [
            e
            for e in self._store.events
            if e.case_id == request.case_id
            and (request.include_internal or not e.internal)
            and e.sequence is not None
            and e.sequence > start
        ]
        items = matching[:first]  # the log is in sequence order already
        return Page(
            items=items,  # events are frozen: no copy needed
            cursors=[event_cursor(e.sequence or 0) for e in items],
            has_next_page=len(matching) > first,
        )

    async def get_event(self, event_id: str) -> CaseEvent | None:
        return next((e for e in self._store.events if e.id == event_id), None)

    async def events_after(
        self,
        after_sequence: int,
        *,
        case_id: str | None = None,
        include_internal: bool,
        limit: int = MAX_PAGE_SIZE,
    ) -> list[CaseEvent]:
        found: list[CaseEvent] = []
        for event in self._store.events:  # in sequence order
            if event.sequence is None or event.sequence <= after_sequence:
                continue
            if case_id is not None and event.case_id != case_id:
                continue
            if event.internal and not include_internal:
                continue
            found.append(event)
            if len(found) >= max(1, limit):
                break
        return found

    async def resolved_case_ids(self, *, resolved_before: datetime, limit: int) -> list[str]:
        due = sorted(
            (c.resolved_at, c.id)
            for c in self._store.cases.values()
            if c.status is CaseStatus.RESOLVED
            and c.resolved_at is not None
            and c.resolved_at <= resolved_before
        )
        return [case_id for _, case_id in due[: max(1, limit)]]

    async def last_event_sequence(
        self, *, case_id: str | None = None, include_internal: bool = True
    ) -> int:
        return max(
            (
                e.sequence or 0
                for e in self._store.events
                if (case_id is None or e.case_id == case_id)
                and (include_internal or not e.internal)
            ),
            default=0,
        )

    # -- users ----------------------------------------------------------------------------------

    async def users_by_ids(self, user_ids: Sequence[str]) -> dict[str, User]:
        return _by_ids(self._store.users, user_ids)

    async def staff_users(self) -> list[User]:
        staff = [u for u in self._store.users.values() if u.role.is_staff and u.active]
        return [copy.deepcopy(u) for u in sorted(staff, key=lambda u: (u.name, u.id))]

    async def list_staff(self, *, first: int, after: str | None) -> Page[User]:
        page_size(first)
        staff = sorted(
            (u for u in self._store.users.values() if u.role.is_staff and u.active),
            key=lambda u: (u.name, u.id),
        )
        if after is not None:
            position = cursors.decode_name_cursor("staff", after)
            staff = [u for u in staff if (u.name, u.id) > position]
        items = staff[:first]
        return Page(
            items=[copy.deepcopy(u) for u in items],
            cursors=[cursors.encode_cursor("staff", u.name, u.id) for u in items],
            has_next_page=len(staff) > first,
        )

    # -- refunds --------------------------------------------------------------------------------

    async def get_refund(self, refund_id: str) -> Refund | None:
        return copy.deepcopy(self._store.refunds.get(refund_id))

    async def refunds_by_ids(self, refund_ids: Sequence[str]) -> dict[str, Refund]:
        return _by_ids(self._store.refunds, refund_ids)

    async def refunds_for_cases(self, case_ids: Sequence[str]) -> dict[str, list[Refund]]:
        return self._grouped(case_ids, lambda r: r.case_id)

    async def refunds_for_orders(self, order_ids: Sequence[str]) -> dict[str, list[Refund]]:
        return self._grouped(order_ids, lambda r: r.order_id)

    async def list_refunds(
        self, refund_filter: RefundFilter, *, first: int, after: str | None
    ) -> Page[Refund]:
        rows = (r for r in self._store.refunds.values() if _matches_refund(r, refund_filter))
        return _keyset_page(
            rows, _refund_key, "refund", newest_first=True, first=first, after=after
        )

    async def count_refunds(self, refund_filter: RefundFilter) -> int:
        return sum(1 for r in self._store.refunds.values() if _matches_refund(r, refund_filter))

    async def refund_pages_for_cases(
        self, requests: Sequence[RefundPageRequest]
    ) -> dict[RefundPageRequest, Page[Refund]]:
        pages: dict[RefundPageRequest, Page[Refund]] = {}
        for request in requests:
            rows = (r for r in self._store.refunds.values() if r.case_id == request.case_id)
            pages[request] = _keyset_page(
                rows,
                _refund_key,
                "case-refund",
                newest_first=False,
                first=request.first,
                after=request.after,
            )
        return pages

    async def count_refunds_for_cases(self, case_ids: Sequence[str]) -> dict[str, int]:
        counts = dict.fromkeys(case_ids, 0)
        for refund in self._store.refunds.values():
            if refund.case_id in counts:
                counts[refund.case_id] += 1
        return counts

    def _grouped(
        self, keys: Sequence[str], key_of: Callable[[Refund], str]
    ) -> dict[str, list[Refund]]:
        """Every requested key (an empty list when it has none), refunds oldest first."""
        grouped: dict[str, list[Refund]] = {key: [] for key in keys}
        for refund in sorted(self._store.refunds.values(), key=_refund_key):
            bucket = grouped.get(key_of(refund))
            if bucket is not None:
                bucket.append(copy.deepcopy(refund))
        return grouped


R = TypeVar("R")


def _by_ids(rows: dict[str, R], ids: Sequence[str]) -> dict[str, R]:
    return {key: copy.deepcopy(rows[key]) for key in ids if key in rows}
