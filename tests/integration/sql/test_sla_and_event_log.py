"""SQL adapters of live updates and the SLA scheduler, on SQLite and PostgreSQL: the event log
reads that subscriptions replay from, and the breach log that makes SLA_BREACHED happen once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.sql.read_store import SqlReadStore
from adapters.sql.sla import SqlSlaBreachLog
from adapters.sql.unit_of_work import SqlUnitOfWorkFactory
from domain.cases import new_id
from domain.events import CaseEvent, CaseEventType
from domain.sla import SlaBreach, SlaKind
from domain.users import Role

from .builders import T0, make_case, make_message, make_user


async def _case(uow_factory: SqlUnitOfWorkFactory) -> tuple[str, str]:
    customer = make_user()
    agent = make_user(Role.AGENT)
    case = make_case(customer)
    async with uow_factory() as uow:
        await uow.users.add(customer)
        await uow.users.add(agent)
        await uow.cases.add(case)
        uow.record(*case.pull_events())
        await uow.commit()
    return case.id, agent.id


async def test_events_after_and_the_head_of_the_log(
    uow_factory: SqlUnitOfWorkFactory, read_store: SqlReadStore
) -> None:
    case_id, agent_id = await _case(uow_factory)
    other_id, _ = await _case(uow_factory)
    before = await read_store.last_event_sequence()
    async with uow_factory() as uow:
        case = await uow.cases.get(case_id)
        assert case is not None
        from domain.users import Principal

        staff = Principal(agent_id, Role.AGENT, "s")
        for internal in (False, True, False):
            message = case.post_message(
                "note" if internal else "hi", internal=internal, author=staff, now=T0
            )
            await uow.messages.add(message)
        await uow.cases.save(case)
        uow.record(*case.pull_events())
        await uow.commit()
    head = await read_store.last_event_sequence()
    assert head == before + 3
    everything = await read_store.events_after(before, include_internal=True)
    assert [e.sequence for e in everything] == [before + 1, before + 2, before + 3]
    public = await read_store.events_after(before, case_id=case_id, include_internal=False)
    assert [e.sequence for e in public] == [before + 1, before + 3]
    assert await read_store.events_after(before, case_id=other_id, include_internal=True) == []
    assert len(await read_store.events_after(before, include_internal=True, limit=2)) == 2
    assert await read_store.events_after(head, include_internal=True) == []


async def test_breach_candidates_and_claims(
    uow_factory: SqlUnitOfWorkFactory, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    log = SqlSlaBreachLog(session_factory)
    case_id, _ = await _case(uow_factory)  # NORMAL, opened at T0: first response due T0 + 24 h

    async def mine(hours: float) -> list[SlaBreach]:
        found = await log.candidates(T0 + timedelta(hours=hours), limit=100_000)
        return [b for b in found if b.case_id == case_id]

    assert await mine(1) == []
    (first,) = await mine(25)
    assert first == SlaBreach(case_id, SlaKind.FIRST_RESPONSE, T0 + timedelta(hours=24))
    assert {b.kind for b in await mine(80)} == {SlaKind.FIRST_RESPONSE, SlaKind.RESOLUTION}

    async def announce() -> bool:
        async with uow_factory() as uow:
            event = CaseEvent(
                id=new_id(),
                case_id=case_id,
                type=CaseEventType.SLA_BREACHED,
                occurred_at=T0 + timedelta(hours=25),
                summary="First response SLA breached",
                internal=True,
            )
            claimed = await log.claim(uow, first, event_id=event.id, now=T0)
            if claimed:
                uow.record(event)
                await uow.commit()
            return claimed

    # Two schedulers at once: exactly one announces.
    results = await asyncio.gather(announce(), announce())
    assert sorted(results) == [False, True]
    assert await announce() is False
    assert await mine(25) == []  # announced: no longer a candidate
    assert [b.kind for b in await mine(80)] == [SlaKind.RESOLUTION]


async def test_met_and_paused_due_times_are_no_candidates(
    uow_factory: SqlUnitOfWorkFactory, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    log = SqlSlaBreachLog(session_factory)
    case_id, agent_id = await _case(uow_factory)
    async with uow_factory() as uow:
        case = await uow.cases.get(case_id)
        assert case is not None
        agent = make_user(Role.AGENT)
        await uow.users.add(agent)
        await uow.messages.add(make_message(case, agent))
        case.first_responded_at = T0 + timedelta(hours=1)  # answered in time
        case.paused_since = T0 + timedelta(hours=2)  # then waiting on the customer
        await uow.cases.save(case)
        await uow.commit()
    found = await log.candidates(T0 + timedelta(days=30), limit=100_000)
    assert [b for b in found if b.case_id == case_id] == []
