"""Outbound webhooks in SQL: the unit of work's outbox write and domain.ports.WebhookStore.

The outbox (`enqueue_deliveries`): SqlUnitOfWork.commit calls it with the events it is about to
append, inside the same transaction, so a change and the messages it causes are committed
together or not at all. Events that are no webhook event cost nothing; otherwise one query reads
the active endpoints (and one each the cases and refunds the messages describe).

Claiming, like the refund outbox: PostgreSQL `SELECT ... FOR UPDATE SKIP LOCKED` then a guarded
UPDATE that leases the row; SQLite serialises writers (BEGIN IMMEDIATE) and the UPDATE repeats
the claimability condition. Recording an attempt is guarded by the lease owner, so a worker whose
lease expired cannot overwrite what its successor recorded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Executable, Select, and_, case, insert, or_, select, update
from sqlalchemy.engine import CursorResult, RowMapping
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters import cursors
from adapters.sql import keyset
from adapters.sql.audit import SqlAuditLog
from adapters.sql.rows import from_row, row_values
from adapters.sql.tables import refunds, support_cases
from adapters.sql.tables_outbound_webhooks import webhook_deliveries, webhook_endpoints
from domain.admin import AuditEntry
from domain.events import CaseEvent
from domain.outbound_webhooks import (
    ERROR_MAX,
    AttemptOutcome,
    CaseFacts,
    DeliveryFilter,
    RefundFacts,
    SendResult,
    WebhookDelivery,
    WebhookDeliveryState,
    WebhookEndpoint,
    WebhookEvent,
    excerpt,
    message_id,
    payload_of,
    webhook_event_of,
)
from domain.queries import Page

_PENDING = WebhookDeliveryState.PENDING.value
_CURSOR_KIND = "webhook-delivery"
_E = webhook_endpoints.c
_D = webhook_deliveries.c


def _is_postgres(session: AsyncSession) -> bool:
    return session.bind is not None and session.bind.dialect.name == "postgresql"


def _rowcount(result: Any) -> int:
    assert isinstance(result, CursorResult)
    return int(result.rowcount)


# -- rows <-> domain ---------------------------------------------------------------------------


def endpoint_values(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return row_values(webhook_endpoints, endpoint, events=sorted(e.value for e in endpoint.events))


def endpoint_from_row(row: Mapping[Any, Any]) -> WebhookEndpoint:
    return from_row(
        WebhookEndpoint, row, events=frozenset(WebhookEvent(e) for e in row["events"] or ())
    )


def delivery_values(delivery: WebhookDelivery) -> dict[str, Any]:
    return row_values(webhook_deliveries, delivery)


def delivery_from_row(row: Mapping[Any, Any]) -> WebhookDelivery:
    return from_row(
        WebhookDelivery,
        row,
        event_type=WebhookEvent(row["event_type"]),
        state=WebhookDeliveryState(row["state"]),
    )


# -- the outbox write (inside the unit of work) ------------------------------------------------


async def enqueue_deliveries(session: AsyncSession, events: Sequence[CaseEvent]) -> int:
    """Write one PENDING delivery per (webhook event among `events`, active endpoint that
    subscribes to it), in `session`'s transaction. Returns how many were written."""
    kinds = [(event, kind) for event in events if (kind := webhook_event_of(event)) is not None]
    if not kinds:
        return 0
    rows = (await session.execute(select(webhook_endpoints).where(_E.active))).mappings().all()
    endpoints = [endpoint_from_row(row) for row in rows]
    wanted = [
        (event, kind, endpoint)
        for event, kind in kinds
        for endpoint in endpoints
        if endpoint.subscribes_to(kind)
    ]
    if not wanted:
        return 0
    cases = await _case_facts(session, {event.case_id for event, _, _ in wanted})
    refund_facts = await _refund_facts(
        session, {event.refund_id for event, _, _ in wanted if event.refund_id is not None}
    )
    deliveries = []
    for event, kind, endpoint in wanted:
        refund = refund_facts.get(event.refund_id) if event.refund_id is not None else None
        payload = payload_of(kind, event, cases.get(event.case_id), refund)
        deliveries.append(
            delivery_values(
                WebhookDelivery.new(
                    endpoint_id=endpoint.id,
                    message=message_id(event.id),
                    kind=kind,
                    payload=payload,
                    now=event.occurred_at,
                    case_id=event.case_id,
                )
            )
        )
    await session.execute(insert(webhook_deliveries), deliveries)
    return len(deliveries)


async def _case_facts(session: AsyncSession, case_ids: set[str]) -> dict[str, CaseFacts]:
    c = support_cases.c
    stmt = select(c.id, c.number, c.status, c.order_id).where(c.id.in_(sorted(case_ids)))
    return {
        row.id: CaseFacts(
            id=row.id, number=int(row.number), status=row.status, order_id=row.order_id
        )
        for row in await session.execute(stmt)
    }


async def _refund_facts(session: AsyncSession, refund_ids: set[str]) -> dict[str, RefundFacts]:
    if not refund_ids:
        return {}
    r = refunds.c
    stmt = select(
        r.id,
        r.status,
        r.amount_minor,
        r.currency,
        r.order_id,
        r.reason,
        r.failure_reason,
        r.attempt,
    ).where(r.id.in_(sorted(refund_ids)))
    return {
        row.id: RefundFacts(
            id=row.id,
            status=row.status,
            amount_minor=int(row.amount_minor),
            currency=row.currency,
            order_id=row.order_id,
            reason=row.reason,
            failure_reason=row.failure_reason,
            attempt=int(row.attempt),
        )
        for row in await session.execute(stmt)
    }


# -- the store ---------------------------------------------------------------------------------


class SqlWebhookStore:
    """domain.ports.WebhookStore: each method is its own transaction (an admin write's audit
    entry is inserted in that transaction, after the write)."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = session_factory

    async def _write(self, statement: Executable, audit: AuditEntry | None) -> None:
        """`statement`, then the audit entry of the admin action it is, in one transaction."""
        async with self._sessions() as session, session.begin():
            await session.execute(statement)
            if audit is not None:
                await SqlAuditLog(session).add(audit)

    async def _rows(self, statement: Select[Any]) -> Sequence[RowMapping]:
        async with self._sessions() as session:
            rows: Sequence[RowMapping] = (await session.execute(statement)).mappings().all()
        return rows

    async def add_endpoint(
        self, endpoint: WebhookEndpoint, *, audit: AuditEntry | None = None
    ) -> None:
        await self._write(insert(webhook_endpoints).values(**endpoint_values(endpoint)), audit)

    async def get_endpoint(self, endpoint_id: str) -> WebhookEndpoint | None:
        rows = await self._rows(select(webhook_endpoints).where(_E.id == endpoint_id))
        return endpoint_from_row(rows[0]) if rows else None

    async def save_endpoint(
        self, endpoint: WebhookEndpoint, *, audit: AuditEntry | None = None
    ) -> None:
        values = endpoint_values(endpoint)
        del values["id"], values["created_at"]
        if endpoint.active:
            # Leave the worker's failure count alone unless the admin just enabled it (0).
            values["consecutive_failures"] = case(
                (_E.active, _E.consecutive_failures), else_=endpoint.consecutive_failures
            )
        await self._write(
            update(webhook_endpoints).where(_E.id == endpoint.id).values(**values), audit
        )

    async def list_endpoints(self) -> list[WebhookEndpoint]:
        rows = await self._rows(select(webhook_endpoints).order_by(_E.created_at, _E.id))
        return [endpoint_from_row(row) for row in rows]

    async def get_delivery(self, delivery_id: str) -> WebhookDelivery | None:
        rows = await self._rows(select(webhook_deliveries).where(_D.id == delivery_id))
        return delivery_from_row(rows[0]) if rows else None

    async def add_delivery(
        self, delivery: WebhookDelivery, *, audit: AuditEntry | None = None
    ) -> None:
        await self._write(insert(webhook_deliveries).values(**delivery_values(delivery)), audit)

    async def list_deliveries(
        self, delivery_filter: DeliveryFilter, *, first: int, after: str | None
    ) -> Page[WebhookDelivery]:
        stmt = select(webhook_deliveries)
        if delivery_filter.endpoint_id is not None:
            stmt = stmt.where(_D.endpoint_id == delivery_filter.endpoint_id)
        if delivery_filter.states:
            stmt = stmt.where(_D.state.in_([s.value for s in delivery_filter.states]))
        position = cursors.decode_cursor(_CURSOR_KIND, after) if after is not None else None
        rows = await self._rows(
            keyset.paged(
                stmt, _D.created_at, _D.id, position=position, first=first, descending=True
            )
        )
        return keyset.page(
            rows,
            first,
            delivery_from_row,
            lambda delivery: cursors.encode_cursor(_CURSOR_KIND, delivery.created_at, delivery.id),
        )

    async def claim(
        self, *, owner: str, now: datetime, lease_seconds: float
    ) -> tuple[WebhookDelivery, WebhookEndpoint] | None:
        claimable = and_(
            _D.state == _PENDING,
            _D.next_attempt_at <= now,
            or_(_D.lease_until.is_(None), _D.lease_until < now),
        )
        async with self._sessions() as session, session.begin():
            pick = (
                select(_D.id)
                .join(webhook_endpoints, _E.id == _D.endpoint_id)
                .where(claimable, _E.active)
                .order_by(_D.next_attempt_at, _D.created_at, _D.id)
                .limit(1)
            )
            if _is_postgres(session):
                pick = pick.with_for_update(of=webhook_deliveries, skip_locked=True)
            delivery_id = (await session.execute(pick)).scalar_one_or_none()
            if delivery_id is None:
                return None
            leased = (
                (
                    await session.execute(
                        update(webhook_deliveries)
                        .where(_D.id == delivery_id, claimable)
                        .values(
                            lease_owner=owner[:200],
                            lease_until=now + timedelta(seconds=lease_seconds),
                        )
                        .returning(webhook_deliveries)
                    )
                )
                .mappings()
                .first()
            )
            if leased is None:
                return None
            endpoint_row = (
                (
                    await session.execute(
                        select(webhook_endpoints).where(_E.id == leased["endpoint_id"])
                    )
                )
                .mappings()
                .one()
            )
            return delivery_from_row(leased), endpoint_from_row(endpoint_row)

    async def record_attempt(
        self,
        delivery: WebhookDelivery,
        result: SendResult,
        outcome: AttemptOutcome,
        *,
        owner: str,
        now: datetime,
    ) -> bool:
        async with self._sessions() as session, session.begin():
            stored = await session.execute(
                update(webhook_deliveries)
                .where(
                    _D.id == delivery.id,
                    _D.state == _PENDING,
                    _D.lease_owner == owner[:200],
                )
                .values(
                    state=outcome.state.value,
                    attempts=outcome.attempts,
                    next_attempt_at=outcome.next_attempt_at,
                    delivered_at=outcome.delivered_at,
                    last_attempt_at=now,
                    last_status=result.status,
                    last_response=excerpt(result.body_excerpt),
                    last_error=excerpt(result.error, ERROR_MAX),
                    lease_owner=None,
                    lease_until=None,
                )
            )
            if _rowcount(stored) != 1:
                return False
            endpoint = update(webhook_endpoints).where(_E.id == delivery.endpoint_id)
            if not outcome.endpoint_failure:
                await session.execute(endpoint.values(consecutive_failures=0))
                return True
            failures = (
                await session.execute(
                    endpoint.values(consecutive_failures=_E.consecutive_failures + 1).returning(
                        _E.consecutive_failures, _E.active
                    )
                )
            ).one()
            if failures.active and outcome.disables(failures.consecutive_failures):
                await session.execute(
                    update(webhook_endpoints)
                    .where(_E.id == delivery.endpoint_id, _E.active)
                    .values(
                        active=False,
                        disabled_reason=outcome.disable_reason,
                        disabled_at=now,
                        updated_at=now,
                    )
                )
            return True
