"""The auto-close scheduler's candidates on SQLite and PostgreSQL: RESOLVED cases resolved at or
before the cutoff, oldest first, nothing else."""

from __future__ import annotations

from datetime import timedelta

from adapters.sql.read_store import SqlReadStore
from adapters.sql.unit_of_work import SqlUnitOfWorkFactory
from domain.cases import CaseRules, CaseStatus
from domain.users import Principal, Role, User

from .builders import T0, make_case, make_user


def acting(user: User) -> Principal:
    return Principal(user_id=user.id, role=user.role, session_id="s")


async def test_resolved_case_ids_are_the_due_ones_oldest_first(
    uow_factory: SqlUnitOfWorkFactory, read_store: SqlReadStore
) -> None:
    customer, agent = make_user(), make_user(Role.AGENT)
    rules = CaseRules()
    early, late, reopened, still_open = (make_case(customer) for _ in range(4))
    early.change_status(CaseStatus.RESOLVED, actor=acting(agent), now=T0, rules=rules)
    late.change_status(
        CaseStatus.RESOLVED, actor=acting(agent), now=T0 + timedelta(days=2), rules=rules
    )
    reopened.change_status(CaseStatus.RESOLVED, actor=acting(agent), now=T0, rules=rules)
    reopened.change_status(
        CaseStatus.OPEN, actor=acting(customer), now=T0 + timedelta(hours=1), rules=rules
    )
    async with uow_factory() as uow:
        for user in (customer, agent):
            await uow.users.add(user)
        for case in (late, early, reopened, still_open):
            await uow.cases.add(case)
        await uow.commit()

    mine = {early.id, late.id, reopened.id, still_open.id}

    async def due(cutoff_days: int, limit: int = 100) -> list[str]:
        ids = await read_store.resolved_case_ids(
            resolved_before=T0 + timedelta(days=cutoff_days), limit=limit
        )
        return [i for i in ids if i in mine]

    assert await due(1) == [early.id]
    assert await due(2) == [early.id, late.id]
    assert await read_store.resolved_case_ids(resolved_before=T0 - timedelta(days=1), limit=5) == []
