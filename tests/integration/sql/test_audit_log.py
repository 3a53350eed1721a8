"""The audit log and user-wide session revocation on both databases."""

from __future__ import annotations

import uuid
from datetime import timedelta

from adapters.sql.unit_of_work import SqlUnitOfWorkFactory
from domain.admin import AuditAction, AuditEntry
from domain.users import Role

from .builders import T0, make_refresh_token, make_user


async def test_entries_round_trip_newest_first(uow_factory: SqlUnitOfWorkFactory) -> None:
    admin, target = make_user(Role.ADMIN), make_user(Role.AGENT)
    entries = [
        AuditEntry(
            id=str(uuid.uuid4()),
            actor_id=admin.id if i else None,
            actor=admin.id if i else "cli",
            action=AuditAction.USER_ROLE_CHANGED,
            target_user_id=target.id,
            occurred_at=T0 + timedelta(seconds=i),
            details={"before": "AGENT", "after": f"ADMIN{i}"},
        )
        for i in range(3)
    ]
    async with uow_factory() as uow:
        await uow.users.add(admin)
        await uow.users.add(target)
        for entry in entries:
            await uow.audit_log.add(entry)
        await uow.commit()
    async with uow_factory() as uow:
        newest = await uow.audit_log.newest(limit=2)
        assert [e.id for e in newest] == [entries[2].id, entries[1].id]
        assert newest[0].sequence is not None and newest[1].sequence is not None
        assert newest[0].sequence > newest[1].sequence
        older = await uow.audit_log.newest(limit=1, before=newest[1].sequence)
    assert older[0].id == entries[0].id
    assert older[0].actor == "cli" and older[0].actor_id is None
    assert older[0].details == {"before": "AGENT", "after": "ADMIN0"}
    assert older[0].occurred_at == T0 and older[0].action is AuditAction.USER_ROLE_CHANGED


async def test_entries_roll_back_with_the_change(uow_factory: SqlUnitOfWorkFactory) -> None:
    target = make_user(Role.AGENT)
    async with uow_factory() as uow:
        await uow.users.add(target)
        await uow.commit()
    entry_id = str(uuid.uuid4())
    async with uow_factory() as uow:
        await uow.audit_log.add(
            AuditEntry(entry_id, None, "cli", AuditAction.USER_DEACTIVATED, target.id, T0)
        )
    async with uow_factory() as uow:
        assert entry_id not in {e.id for e in await uow.audit_log.newest(limit=100)}


async def test_revoke_user_and_inactive_users(uow_factory: SqlUnitOfWorkFactory) -> None:
    user, other = make_user(Role.AGENT), make_user(Role.AGENT)
    a, b, c = make_refresh_token(user), make_refresh_token(user), make_refresh_token(other)
    async with uow_factory() as uow:
        await uow.users.add(user)
        await uow.users.add(other)
        for token in (a, b, c):
            await uow.refresh_tokens.add(token)
        await uow.commit()
    async with uow_factory() as uow:
        await uow.refresh_tokens.revoke_user(user.id, T0)
        await uow.commit()
    async with uow_factory() as uow:
        assert not await uow.refresh_tokens.family_active(a.family_id)
        assert not await uow.refresh_tokens.family_active(b.family_id)
        assert await uow.refresh_tokens.family_active(c.family_id)
        other.active = False
        await uow.users.save(other)
        assert not await uow.refresh_tokens.family_active(c.family_id)
