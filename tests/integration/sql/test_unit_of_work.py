"""SqlUnitOfWork: rollback by default, events appended in the same transaction, then exposed."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from adapters.sql.read_store import SqlReadStore
from adapters.sql.unit_of_work import SqlUnitOfWorkFactory
from domain.events import CaseEvent, CaseEventType
from domain.users import Principal, Role

from .builders import T0, make_case, make_user, uid


class Boom(Exception):
    pass


async def test_nothing_is_stored_without_commit(
    uow_factory: SqlUnitOfWorkFactory, read_store: SqlReadStore
) -> None:
    user = make_user()
    async with uow_factory() as uow:
        await uow.users.add(user)
        assert await uow.users.get(user.id) == user  # visible inside the transaction
    assert await read_store.users_by_ids([user.id]) == {}


async def test_an_exception_rolls_back(
    uow_factory: SqlUnitOfWorkFactory, read_store: SqlReadStore
) -> None:
    user = make_user()
    with pytest.raises(Boom):
        async with uow_factory() as uow:
            await uow.users.add(user)
            raise Boom
    assert await read_store.users_by_ids([user.id]) == {}


async def test_explicit_rollback_discards_work_and_events(
    uow_factory: SqlUnitOfWorkFactory, read_store: SqlReadStore
) -> None:
    customer = make_user()
    async with uow_factory() as uow:
        await uow.users.add(customer)
        await uow.commit()
    case = make_case(customer)
    async with uow_factory() as uow:
        await uow.cases.add(case)
        await uow.rollback()
        await uow.commit()  # nothing left to commit
        assert uow.committed_events == []
    assert await read_store.get_case(case.id) is None


async def test_events_are_appended_on_commit_with_increasing_sequences(
    uow_factory: SqlUnitOfWorkFactory, read_store: SqlReadStore
) -> None:
    customer, agent = make_user(), make_user(Role.AGENT)
    async with uow_factory() as uow:
        await uow.users.add(customer)
        await uow.users.add(agent)
        await uow.commit()

    case = make_case(customer)  # carries CASE_OPENED
    staff = Principal(agent.id, Role.AGENT, session_id=uid())
    async with uow_factory() as uow:
        await uow.cases.add(case)  # the repository hands CASE_OPENED to the unit of work
        message = case.post_message("We are on it", internal=True, author=staff, now=T0)
        await uow.messages.add(message)
        posted = case.pull_events()
        uow.record(*posted)
        uow.record(*posted)  # recording the same event twice stores it once
        extra = CaseEvent(
            id=uid(),
            case_id=case.id,
            type=CaseEventType.SLA_BREACHED,
            occurred_at=T0,
            summary="First response overdue",
            before="OK",
            after="BREACHED",
        )
        uow.record(extra)
        assert uow.committed_events == []
        await uow.commit()
        committed = list(uow.committed_events)

    assert [e.type for e in committed] == [
        CaseEventType.CASE_OPENED,
        CaseEventType.MESSAGE_POSTED,
        CaseEventType.SLA_BREACHED,
    ]
    assert all(e.sequence is not None for e in committed)
    sequences = [e.sequence or 0 for e in committed]
    assert sequences == sorted(sequences) and len(set(sequences)) == 3
    assert committed[1].internal and committed[1].message_id == message.id

    page = await read_store.list_events(case.id, include_internal=True, first=10, after=None)
    assert page.items == committed
    public = await read_store.list_events(case.id, include_internal=False, first=10, after=None)
    assert [e.type for e in public.items] == [CaseEventType.CASE_OPENED, CaseEventType.SLA_BREACHED]


async def test_events_and_changes_commit_or_fail_together(
    uow_factory: SqlUnitOfWorkFactory, read_store: SqlReadStore
) -> None:
    """An event that cannot be stored (unknown case) takes the whole transaction down."""
    user = make_user()
    bad = CaseEvent(
        id=uid(),
        case_id=uid(),  # no such case
        type=CaseEventType.ORDER_UPDATED,
        occurred_at=T0,
        summary="Order shipped",
    )
    with pytest.raises(IntegrityError):
        async with uow_factory() as uow:
            await uow.users.add(user)
            uow.record(bad)
            await uow.commit()
    assert uow.committed_events == []
    assert await read_store.users_by_ids([user.id]) == {}
    assert await read_store.get_event(bad.id) is None


async def test_later_commits_see_later_sequences(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    customer = make_user()
    async with uow_factory() as uow:
        await uow.users.add(customer)
        await uow.commit()
    first, second = make_case(customer), make_case(customer)
    async with uow_factory() as uow:
        await uow.cases.add(first)
        await uow.commit()
        one = uow.committed_events[0].sequence
    async with uow_factory() as uow:
        await uow.cases.add(second)
        await uow.commit()
        two = uow.committed_events[0].sequence
    assert one is not None and two is not None and two > one


async def test_unit_of_work_requires_async_with(uow_factory: SqlUnitOfWorkFactory) -> None:
    uow = uow_factory()
    with pytest.raises(RuntimeError):
        await uow.commit()
