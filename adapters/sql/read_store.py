"""domain.queries.ReadStore over SQL: Core selects, keyset pagination, ONE statement per call.

Each call runs in its own short read-only transaction (deferred BEGIN on SQLite, a READ ONLY
transaction on PostgreSQL). Batch lookups take ids and answer with one `IN (...)` query; an empty
batch answers without touching the database.

Cursors (adapters.cursors): `[kind, key, id]`, the kind keeping a cursor of one list from being
used with another
- cases, messages, refunds (and a case's refunds, kind "case-refund"): the key is created_at.
  Cases have one kind per sort (CASE_CURSOR_KINDS); DUE_SOONEST holds due_at.
- staff (agents and admins by name): `["staff", name, id]`.
- events: the decimal log sequence (domain.live.event_cursor), so live events from the broker
  can carry the same cursor as the timeline.
Anything else is ValidationFailed on `after`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import (
    Select,
    Table,
    and_,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    text,
)
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters import cursors
from adapters.sql import keyset, mappers
from adapters.sql.db import READ_ONLY
from adapters.sql.tables import (
    UtcDateTime,
    case_events,
    messages,
    refunds,
    support_cases,
    users,
)
from domain.cases import OPEN_STATES, CaseStatus, Message, SupportCase
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
)
from domain.refunds import Refund
from domain.users import Role, User

T = TypeVar("T")

_STAFF_ROLES = (Role.AGENT.value, Role.ADMIN.value)


def _message_cursor(message: Message) -> str:
    return cursors.encode_cursor("message", message.created_at, message.id)


def _event_cursor(event: CaseEvent) -> str:
    return event_cursor(event.sequence or 0)


def _created_after(table: Table, kind: str) -> Callable[[str], Any]:
    """The condition on `table`'s rows after a cursor of `kind`, in (created_at, id) order."""

    def after(cursor: str) -> Any:
        position = cursors.decode_cursor(kind, cursor)
        return keyset.after(table.c.created_at, table.c.id, *position)

    return after


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _unique(ids: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(ids))


class SqlReadStore:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory
        self._dialect_name: str | None = None

    # -- plumbing ---------------------------------------------------------------------------

    async def _case_pages(
        self,
        table: Table,
        requests: Sequence[P],
        *,
        after: Callable[[str], Any],
        order_by: tuple[str, ...],
        to_domain: Callable[[RowMapping], T],
        cursor_of: Callable[[T], str],
        shows_internal: Callable[[P], bool] | None = None,
    ) -> dict[P, Page[T]]:
        """One page of a case's rows per request, oldest first in `order_by`: one statement per
        batch in which no case is asked twice (a list page: one batch). `after(cursor)`: the
        rows after a cursor; `shows_internal`: whether a request's viewer sees internal rows
        (None: the table has none)."""
        pages: dict[P, Page[T]] = {}
        for batch in _batches_with_each_case_once(requests):
            conditions = _case_page_conditions(batch, table, after, shows_internal)
            pages.update(
                await self._window_pages(
                    table,
                    batch,
                    conditions,
                    order_by=order_by,
                    to_domain=to_domain,
                    cursor_of=cursor_of,
                )
            )
        return pages

    async def _window_pages(
        self,
        table: Table,
        requests: Sequence[P],
        conditions: list[Any],
        *,
        order_by: tuple[str, ...],
        to_domain: Callable[[RowMapping], T],
        cursor_of: Callable[[T], str],
    ) -> dict[P, Page[T]]:
        """One page per request (no case asked twice) in one statement: the rows that match are
        numbered per case in `order_by` (row_number over the case), and rows beyond the largest
        `first` + 1 never leave the database; the + 1 tells whether a next page exists."""
        largest = max(request.first for request in requests)
        position = (
            func.row_number()
            .over(partition_by=table.c.case_id, order_by=[table.c[n] for n in order_by])
            .label("position")
        )
        ranked = select(table, position).where(or_(*conditions)).subquery("ranked")
        stmt = (
            select(*(ranked.c[col.name] for col in table.columns))
            .where(ranked.c.position <= largest + 1)
            .order_by(ranked.c.case_id, *(ranked.c[n] for n in order_by))
        )
        grouped: dict[str, list[T]] = {request.case_id: [] for request in requests}
        for row in await self._rows(stmt):
            grouped[row["case_id"]].append(to_domain(row))
        pages: dict[P, Page[T]] = {}
        for request in requests:
            rows = grouped[request.case_id]
            items = rows[: request.first]
            pages[request] = Page(
                items=items,
                cursors=[cursor_of(item) for item in items],
                has_next_page=len(rows) > request.first,
            )
        return pages

    async def _by_ids(
        self, table: Table, item_ids: Sequence[str], to_domain: Callable[[RowMapping], T]
    ) -> dict[str, T]:
        """The rows of `table` with these ids, by id (one IN; none asked: no statement)."""
        ids = _unique(item_ids)
        if not ids:
            return {}
        rows = await self._rows(select(table).where(table.c.id.in_(ids)))
        return {row["id"]: to_domain(row) for row in rows}

    async def _rows(self, stmt: Select[Any]) -> Sequence[RowMapping]:
        async with self._session_factory() as session:
            options: dict[str, Any] = {READ_ONLY: True}
            if session.bind is not None and session.bind.dialect.name == "postgresql":
                options["postgresql_readonly"] = True
            conn = await session.connection(execution_options=options)
            result = await conn.execute(stmt)
            rows: Sequence[RowMapping] = result.mappings().all()
            return rows

    # -- cases ------------------------------------------------------------------------------

    async def get_case(self, case_id: str) -> SupportCase | None:
        return (await self._by_ids(support_cases, [case_id], mappers.case_from_row)).get(case_id)

    async def cases_by_ids(self, case_ids: Sequence[str]) -> dict[str, SupportCase]:
        return await self._by_ids(support_cases, case_ids, mappers.case_from_row)

    async def list_cases(
        self,
        case_filter: CaseFilter,
        *,
        first: int,
        after: str | None,
        sort: CaseSort = CaseSort.NEWEST,
    ) -> Page[SupportCase]:
        """Keyset on (sort key, id): the cursor names the sort (`CASE_CURSOR_KINDS`) and holds
        the key; every sort has an index that starts with its key."""
        page_size(first)
        c = support_cases.c
        kind = CASE_CURSOR_KINDS[sort]
        key_col = c.due_at if sort is CaseSort.DUE_SOONEST else c.created_at
        descending = sort is CaseSort.NEWEST
        stmt = await self._filter_cases(select(support_cases), case_filter)
        position = cursors.decode_cursor(kind, after) if after is not None else None
        rows = await self._rows(
            keyset.paged(stmt, key_col, c.id, position=position, first=first, descending=descending)
        )

        def cursor_of(case: SupportCase) -> str:
            key = case.due_at if sort is CaseSort.DUE_SOONEST else case.created_at
            return cursors.encode_cursor(kind, key, case.id)

        return keyset.page(rows, first, mappers.case_from_row, cursor_of)

    async def count_cases(self, case_filter: CaseFilter) -> int:
        stmt = await self._filter_cases(
            select(func.count().label("n")).select_from(support_cases), case_filter
        )
        return int((await self._rows(stmt))[0]["n"])

    async def _filter_cases(self, stmt: Select[Any], case_filter: CaseFilter) -> Select[Any]:
        dialect = await self._dialect()
        return _filter_cases(stmt, case_filter, dialect=dialect)

    async def _dialect(self) -> str:
        if self._dialect_name is None:
            async with self._session_factory() as session:
                bind = session.bind
                self._dialect_name = bind.dialect.name if bind is not None else "sqlite"
        return self._dialect_name

    # -- messages ---------------------------------------------------------------------------

    async def list_messages(
        self, case_id: str, *, include_internal: bool, first: int, after: str | None
    ) -> Page[Message]:
        page_size(first)
        m = messages.c
        stmt = select(messages).where(m.case_id == case_id)
        if not include_internal:
            stmt = stmt.where(m.internal == false())
        position = cursors.decode_cursor("message", after) if after is not None else None
        rows = await self._rows(
            keyset.paged(stmt, m.created_at, m.id, position=position, first=first)
        )
        return keyset.page(rows, first, mappers.message_from_row, _message_cursor)

    async def message_pages_for_cases(
        self, requests: Sequence[MessagePageRequest]
    ) -> dict[MessagePageRequest, Page[Message]]:
        """Each case's messages its viewer may see, after its cursor (_case_pages)."""
        return await self._case_pages(
            messages,
            requests,
            after=_created_after(messages, "message"),
            shows_internal=lambda r: r.include_internal,
            order_by=("created_at", "id"),
            to_domain=mappers.message_from_row,
            cursor_of=_message_cursor,
        )

    async def get_message(self, message_id: str) -> Message | None:
        return (await self._by_ids(messages, [message_id], mappers.message_from_row)).get(
            message_id
        )

    async def messages_by_ids(self, message_ids: Sequence[str]) -> dict[str, Message]:
        return await self._by_ids(messages, message_ids, mappers.message_from_row)

    async def last_messages(
        self, case_ids: Sequence[str], *, include_internal: bool
    ) -> dict[str, Message]:
        ids = _unique(case_ids)
        if not ids:
            return {}
        m = messages.c
        position = (
            func.row_number()
            .over(partition_by=m.case_id, order_by=(m.created_at.desc(), m.id.desc()))
            .label("position")
        )
        ranked = select(messages, position).where(m.case_id.in_(ids))
        if not include_internal:
            ranked = ranked.where(m.internal == false())
        sub = ranked.subquery("ranked")
        stmt = select(*(sub.c[col.name] for col in messages.columns)).where(sub.c.position == 1)
        rows = await self._rows(stmt)
        return {row["case_id"]: mappers.message_from_row(row) for row in rows}

    # -- events -----------------------------------------------------------------------------

    async def list_events(
        self, case_id: str, *, include_internal: bool, first: int, after: str | None
    ) -> Page[CaseEvent]:
        page_size(first)
        e = case_events.c
        stmt = select(case_events).where(e.case_id == case_id)
        if not include_internal:
            stmt = stmt.where(e.internal == false())
        if after is not None:
            stmt = stmt.where(e.sequence > parse_event_cursor(after))
        rows = await self._rows(stmt.order_by(e.sequence).limit(first + 1))
        return keyset.page(rows, first, mappers.event_from_row, _event_cursor)

    async def event_pages_for_cases(
        self, requests: Sequence[EventPageRequest]
    ) -> dict[EventPageRequest, Page[CaseEvent]]:
        """Each case's events its viewer may see, by sequence, after its cursor (_case_pages)."""
        e = case_events.c
        return await self._case_pages(
            case_events,
            requests,
            after=lambda cursor: e.sequence > parse_event_cursor(cursor),
            shows_internal=lambda r: r.include_internal,
            order_by=("sequence",),
            to_domain=mappers.event_from_row,
            cursor_of=_event_cursor,
        )

    async def events_after(
        self,
        after_sequence: int,
        *,
        case_id: str | None = None,
        include_internal: bool,
        limit: int = MAX_PAGE_SIZE,
    ) -> list[CaseEvent]:
        """The log after a sequence, every case or one, oldest first (subscription replay)."""
        e = case_events.c
        stmt = select(case_events).where(e.sequence > after_sequence)
        if case_id is not None:
            stmt = stmt.where(e.case_id == case_id)
        if not include_internal:
            stmt = stmt.where(e.internal == false())
        stmt = stmt.order_by(e.sequence).limit(max(1, min(limit, 1000)))
        return [mappers.event_from_row(row) for row in await self._rows(stmt)]

    async def resolved_case_ids(self, *, resolved_before: datetime, limit: int) -> list[str]:
        c = support_cases.c
        stmt = (
            select(c.id)
            .where(c.status == CaseStatus.RESOLVED.value, c.resolved_at <= resolved_before)
            .order_by(c.resolved_at, c.id)
            .limit(max(1, min(limit, 1000)))
        )
        return [str(row["id"]) for row in await self._rows(stmt)]

    async def last_event_sequence(
        self, *, case_id: str | None = None, include_internal: bool = True
    ) -> int:
        e = case_events.c
        stmt = select(func.coalesce(func.max(e.sequence), 0).label("last"))
        if case_id is not None:
            stmt = stmt.where(e.case_id == case_id)
        if not include_internal:
            stmt = stmt.where(e.internal == false())
        rows = await self._rows(stmt)
        return int(rows[0]["last"])

    async def get_event(self, event_id: str) -> CaseEvent | None:
        return (await self._by_ids(case_events, [event_id], mappers.event_from_row)).get(event_id)

    # -- users ------------------------------------------------------------------------------

    async def users_by_ids(self, user_ids: Sequence[str]) -> dict[str, User]:
        return await self._by_ids(users, user_ids, mappers.user_from_row)

    async def staff_users(self) -> list[User]:
        """Active agents and admins, by name (who a case can be assigned to)."""
        stmt = (
            select(users)
            .where(users.c.role.in_(_STAFF_ROLES), users.c.active.is_(True))
            .order_by(users.c.name, users.c.id)
        )
        return [mappers.user_from_row(row) for row in await self._rows(stmt)]

    async def list_staff(self, *, first: int, after: str | None) -> Page[User]:
        page_size(first)
        u = users.c
        stmt = select(users).where(u.role.in_(_STAFF_ROLES), u.active.is_(True))
        position = cursors.decode_name_cursor("staff", after) if after is not None else None
        rows = await self._rows(keyset.paged(stmt, u.name, u.id, position=position, first=first))
        return keyset.page(
            rows,
            first,
            mappers.user_from_row,
            lambda user: cursors.encode_cursor("staff", user.name, user.id),
        )

    # -- refunds ----------------------------------------------------------------------------

    async def get_refund(self, refund_id: str) -> Refund | None:
        return (await self._by_ids(refunds, [refund_id], mappers.refund_from_row)).get(refund_id)

    async def refunds_by_ids(self, refund_ids: Sequence[str]) -> dict[str, Refund]:
        return await self._by_ids(refunds, refund_ids, mappers.refund_from_row)

    async def refunds_for_cases(self, case_ids: Sequence[str]) -> dict[str, list[Refund]]:
        """Every requested case id is a key (an empty list when it has no refunds)."""
        return await self._refunds_grouped(refunds.c.case_id, case_ids, "case_id")

    async def refunds_for_orders(self, order_ids: Sequence[str]) -> dict[str, list[Refund]]:
        """Every requested order id is a key (an empty list when it has no refunds)."""
        return await self._refunds_grouped(refunds.c.order_id, order_ids, "order_id")

    async def _refunds_grouped(
        self, column: Any, keys: Sequence[str], key_name: str
    ) -> dict[str, list[Refund]]:
        ids = _unique(keys)
        grouped: dict[str, list[Refund]] = {key: [] for key in ids}
        if not ids:
            return grouped
        stmt = select(refunds).where(column.in_(ids)).order_by(refunds.c.created_at, refunds.c.id)
        for row in await self._rows(stmt):
            grouped[row[key_name]].append(mappers.refund_from_row(row))
        return grouped

    async def list_refunds(
        self, refund_filter: RefundFilter, *, first: int, after: str | None
    ) -> Page[Refund]:
        page_size(first)
        r = refunds.c
        stmt = _filter_refunds(select(refunds), refund_filter)
        position = cursors.decode_cursor("refund", after) if after is not None else None
        rows = await self._rows(
            keyset.paged(stmt, r.created_at, r.id, position=position, first=first, descending=True)
        )
        return keyset.page(
            rows,
            first,
            mappers.refund_from_row,
            lambda refund: cursors.encode_cursor("refund", refund.created_at, refund.id),
        )

    async def count_refunds(self, refund_filter: RefundFilter) -> int:
        stmt = _filter_refunds(select(func.count().label("n")).select_from(refunds), refund_filter)
        return int((await self._rows(stmt))[0]["n"])

    async def refund_pages_for_cases(
        self, requests: Sequence[RefundPageRequest]
    ) -> dict[RefundPageRequest, Page[Refund]]:
        """Each case's refunds, oldest first, after its cursor (_case_pages)."""
        return await self._case_pages(
            refunds,
            requests,
            after=_created_after(refunds, "case-refund"),
            order_by=("created_at", "id"),
            to_domain=mappers.refund_from_row,
            cursor_of=lambda i: cursors.encode_cursor("case-refund", i.created_at, i.id),
        )

    async def count_refunds_for_cases(self, case_ids: Sequence[str]) -> dict[str, int]:
        ids = _unique(case_ids)
        counts = dict.fromkeys(ids, 0)
        if not ids:
            return counts
        stmt = (
            select(refunds.c.case_id, func.count().label("n"))
            .where(refunds.c.case_id.in_(ids))
            .group_by(refunds.c.case_id)
        )
        for row in await self._rows(stmt):
            counts[row["case_id"]] = int(row["n"])
        return counts


# -- SQL helpers ------------------------------------------------------------------------------


class _CasePageRequest(Protocol):
    @property
    def case_id(self) -> str: ...


class _CasePage(_CasePageRequest, Protocol):
    @property
    def first(self) -> int: ...

    @property
    def after(self) -> str | None: ...


R = TypeVar("R", bound=_CasePageRequest)
P = TypeVar("P", bound=_CasePage)


def _case_page_conditions(
    requests: Sequence[P],
    table: Table,
    after: Callable[[str], Any],
    shows_internal: Callable[[P], bool] | None,
) -> list[Any]:
    """The WHERE of a batch of per-case pages: each case's rows after its cursor, without the
    internal ones where the request's viewer may not see them (the domain decided that in the
    request). Requests without a cursor share one IN per visibility."""
    for request in requests:
        page_size(request.first)  # 1..100, else ValidationFailed
    case_col = table.c.case_id
    internal_col: Any = table.c.internal if shows_internal is not None else None
    plain: dict[bool, list[str]] = {False: [], True: []}
    conditions: list[Any] = []
    for request in requests:
        sees_internal = shows_internal is None or shows_internal(request)
        if request.after is None:
            plain[sees_internal].append(request.case_id)
            continue
        condition = and_(case_col == request.case_id, after(request.after))
        if not sees_internal:
            condition = and_(condition, internal_col == false())
        conditions.append(condition)
    if plain[True]:
        conditions.append(case_col.in_(plain[True]))
    if plain[False]:
        conditions.append(and_(case_col.in_(plain[False]), internal_col == false()))
    return conditions


def _batches_with_each_case_once(requests: Sequence[R]) -> list[list[R]]:
    """The distinct requests, split so that no batch asks for a case twice (a list page: one
    batch); each batch is one window statement partitioned by case."""
    wanted = list(dict.fromkeys(requests))
    batches: list[list[R]] = []
    while wanted:
        batch: dict[str, R] = {}
        later: list[R] = []
        for request in wanted:
            if request.case_id in batch:
                later.append(request)
            else:
                batch[request.case_id] = request
        batches.append(list(batch.values()))
        wanted = later
    return batches


def _filter_cases(stmt: Select[Any], case_filter: CaseFilter, *, dialect: str) -> Select[Any]:
    c = support_cases.c
    if case_filter.statuses:
        stmt = stmt.where(c.status.in_([s.value for s in case_filter.statuses]))
    if case_filter.priorities:
        stmt = stmt.where(c.priority.in_([p.value for p in case_filter.priorities]))
    if case_filter.categories:
        stmt = stmt.where(c.category.in_([k.value for k in case_filter.categories]))
    if case_filter.customer_id is not None:
        stmt = stmt.where(c.customer_id == case_filter.customer_id)
    if case_filter.customer_email is not None:
        stmt = stmt.where(
            c.customer_id.in_(
                select(users.c.id).where(func.lower(users.c.email) == case_filter.customer_email)
            )
        )
    if case_filter.order_refs:
        refs = list(case_filter.order_refs)
        stmt = stmt.where(or_(c.order_id.in_(refs), c.order_number.in_(refs)))
    for column, bound, op in (
        (c.created_at, case_filter.created_after, "ge"),
        (c.created_at, case_filter.created_before, "lt"),
        (c.updated_at, case_filter.updated_after, "ge"),
        (c.updated_at, case_filter.updated_before, "lt"),
    ):
        if bound is not None:
            value = literal(bound, UtcDateTime())
            stmt = stmt.where(column >= value if op == "ge" else column < value)
    if case_filter.words:
        stmt = stmt.where(_words_condition(case_filter, dialect))
    if case_filter.assignee_id is not None:
        stmt = stmt.where(c.assignee_id == case_filter.assignee_id)
    if case_filter.unassigned:
        stmt = stmt.where(c.assignee_id.is_(None))
    term = search_term(case_filter.search)
    if term is not None:
        stmt = stmt.where(_search_condition(term))
    if case_filter.overdue is not None and case_filter.as_of is not None:
        overdue = overdue_condition(case_filter.as_of)
        stmt = stmt.where(overdue if case_filter.overdue else not_(overdue))
    return stmt


def _filter_refunds(stmt: Select[Any], refund_filter: RefundFilter) -> Select[Any]:
    r = refunds.c
    if refund_filter.statuses:
        stmt = stmt.where(r.status.in_([s.value for s in refund_filter.statuses]))
    if refund_filter.order_id is not None:
        stmt = stmt.where(r.order_id == refund_filter.order_id)
    if refund_filter.case_ids:
        stmt = stmt.where(r.case_id.in_(_unique(refund_filter.case_ids)))
    return stmt


def overdue_condition(now: datetime) -> Any:
    """domain.sla.is_overdue as SQL: open, the SLA clock running, and a due time still owed
    passed (the first response while none was given, or the resolution). Every column it reads
    is NOT NULL or tested with IS NULL, so NOT(...) selects exactly the other cases."""
    c = support_cases.c
    return and_(
        c.status.in_(sorted(s.value for s in OPEN_STATES)),
        c.paused_since.is_(None),
        or_(
            and_(c.first_responded_at.is_(None), c.first_response_due_at < now),
            c.resolution_due_at < now,
        ),
    )


def _words_condition(case_filter: CaseFilter, dialect: str) -> Any:
    """domain.queries' full-text rule over `case_search` (migration 0006, kept by triggers):
    every word is a prefix of a word of the case's document; the staff document (with internal
    notes) only when the filter says the viewer sees notes. The words are letters and digits only
    (domain.queries.search_words), so they are safe inside the query syntax of both databases;
    the query itself is a bound parameter."""
    column = "staff_doc" if case_filter.words_in_notes else "customer_doc"
    if dialect == "postgresql":
        query = " & ".join(f"{word}:*" for word in case_filter.words)
        matching = text(
            f"SELECT case_id FROM case_search WHERE {column} @@ to_tsquery('simple', :words)"
        ).bindparams(words=query)
        return support_cases.c.id.in_(matching)
    query = " ".join(f'"{word}"*' for word in case_filter.words)
    matching = text(f"SELECT rowid FROM case_search WHERE {column} MATCH :words").bindparams(
        words=query
    )
    return support_cases.c.number.in_(matching)


def _search_condition(term: str) -> Any:
    """domain.queries' search rule as SQL: the subject contains the term, or the term names the
    case's number."""
    subject_match = support_cases.c.subject.ilike(f"%{_escape_like(term)}%", escape="\\")
    number = case_number_in(term)
    if number is None:
        return subject_match
    return or_(subject_match, support_cases.c.number == number)
