"""The outbound webhook admin writes and their audit entries on SQLite and PostgreSQL: one
transaction (both or neither), and migration 0012 widening `audit_log.action` up and down."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import insert, text
from sqlalchemy.exc import IntegrityError

from adapters.sql.db import create_engine, create_session_factory
from adapters.sql.migrate import downgrade_to, upgrade_to_head
from adapters.sql.outbound_webhooks import SqlWebhookStore
from adapters.sql.tables_admin import audit_log
from adapters.sql.unit_of_work import SqlUnitOfWorkFactory
from domain.admin import AuditAction, AuditEntry
from domain.outbound_webhooks import WebhookEndpoint, WebhookEvent
from tests.integration.sql.builders import T0
from tests.integration.sql.conftest import DatabaseFactory

WEBHOOK_ACTIONS = (
    "WEBHOOK_ENDPOINT_REGISTERED",
    "WEBHOOK_ENDPOINT_UPDATED",
    "WEBHOOK_SECRET_ROTATED",
    "WEBHOOK_DELIVERY_RESENT",
)


def _entry(action: AuditAction, endpoint_id: str, entry_id: str | None = None) -> AuditEntry:
    return AuditEntry(
        id=entry_id or str(uuid.uuid4()),
        actor_id=None,
        actor="cli",
        action=action,
        target_user_id=None,
        occurred_at=T0,
        details={"endpoint": endpoint_id},
    )


@pytest.fixture(scope="module")
async def stores(
    database_factory: DatabaseFactory,
) -> AsyncIterator[tuple[SqlUnitOfWorkFactory, SqlWebhookStore]]:
    url = await database_factory()
    await upgrade_to_head(url)
    engine = create_engine(url)
    sessions = create_session_factory(engine)
    yield SqlUnitOfWorkFactory(sessions), SqlWebhookStore(sessions)
    await engine.dispose()


async def test_an_endpoint_and_its_audit_entry_are_stored_together_or_not_at_all(
    stores: tuple[SqlUnitOfWorkFactory, SqlWebhookStore],
) -> None:
    uow, store = stores
    kept = WebhookEndpoint.register(
        url="https://shop.example/kept", events=[WebhookEvent.CASE_OPENED], description="", now=T0
    )
    entry = _entry(AuditAction.WEBHOOK_ENDPOINT_REGISTERED, kept.id)
    await store.add_endpoint(kept, audit=entry)
    assert await store.get_endpoint(kept.id) is not None

    # An audit entry that cannot be stored (its id is taken) takes the endpoint down with it.
    lost = WebhookEndpoint.register(
        url="https://shop.example/lost", events=[WebhookEvent.CASE_OPENED], description="", now=T0
    )
    with pytest.raises(IntegrityError):
        await store.add_endpoint(
            lost, audit=_entry(AuditAction.WEBHOOK_ENDPOINT_REGISTERED, lost.id, entry.id)
        )
    assert await store.get_endpoint(lost.id) is None

    # The same for a change: the endpoint keeps its old URL.
    kept.change(now=T0, url="https://shop.example/changed")
    with pytest.raises(IntegrityError):
        await store.save_endpoint(
            kept, audit=_entry(AuditAction.WEBHOOK_ENDPOINT_UPDATED, kept.id, entry.id)
        )
    stored = await store.get_endpoint(kept.id)
    assert stored is not None and stored.url == "https://shop.example/kept"
    await store.save_endpoint(kept, audit=_entry(AuditAction.WEBHOOK_ENDPOINT_UPDATED, kept.id))
    stored = await store.get_endpoint(kept.id)
    assert stored is not None and stored.url == "https://shop.example/changed"

    async with uow() as work:
        logged = [e for e in await work.audit_log.newest(limit=50) if e.details == entry.details]
    assert [e.action for e in logged] == [
        AuditAction.WEBHOOK_ENDPOINT_UPDATED,
        AuditAction.WEBHOOK_ENDPOINT_REGISTERED,
    ]


async def _insert(url: str, action: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                insert(audit_log).values(
                    id=str(uuid.uuid4()), actor="cli", action=action, occurred_at=T0, details={}
                )
            )
    finally:
        await engine.dispose()


async def _actions(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(text("SELECT action FROM audit_log ORDER BY sequence"))
            return [str(row[0]) for row in rows]
    finally:
        await engine.dispose()


async def test_the_migration_widens_the_action_check_and_narrows_it_back(
    database_factory: DatabaseFactory,
) -> None:
    url = await database_factory()
    await upgrade_to_head(url)
    await _insert(url, "USER_CREATED")
    for action in WEBHOOK_ACTIONS:
        await _insert(url, action)
    with pytest.raises(IntegrityError):
        await _insert(url, "WEBHOOK_NOT_AN_ACTION")

    await downgrade_to(url, "0011")
    assert await _actions(url) == ["USER_CREATED"]  # the webhook entries went, the rest stayed
    await _insert(url, "ORDER_WEBHOOK_REPLAYED")  # 0010's actions are still accepted
    with pytest.raises(IntegrityError):
        await _insert(url, "WEBHOOK_SECRET_ROTATED")

    await upgrade_to_head(url)
    await _insert(url, "WEBHOOK_SECRET_ROTATED")
    assert await _actions(url) == [
        "USER_CREATED",
        "ORDER_WEBHOOK_REPLAYED",
        "WEBHOOK_SECRET_ROTATED",
    ]


async def test_sqlite_keeps_the_log_positions_across_the_rebuild(tmp_path: Path) -> None:
    """SQLite copies the table: a deleted entry's sequence is never handed out again."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'audit.db'}"
    await upgrade_to_head(url)
    for _ in range(3):
        await _insert(url, "USER_CREATED")
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("DELETE FROM audit_log WHERE sequence = 3"))
    finally:
        await engine.dispose()
    await downgrade_to(url, "0011")
    await upgrade_to_head(url)
    await _insert(url, "WEBHOOK_DELIVERY_RESENT")
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            newest = (await conn.execute(text("SELECT max(sequence) FROM audit_log"))).scalar()
    finally:
        await engine.dispose()
    assert newest == 4
