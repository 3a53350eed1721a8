"""Macros and ratings through the real use cases on SQLite and PostgreSQL (tests.macro_scenarios),
the database's own guards (one rating per case, score range), and the migration keeping the
triggers of case_events when SQLite rebuilds it."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from adapters.sql.db import create_engine
from adapters.sql.migrate import downgrade_to, upgrade_to_head
from adapters.sql.read_store import SqlReadStore
from adapters.sql.unit_of_work import SqlUnitOfWorkFactory
from domain.satisfaction import CaseRating
from tests.macro_scenarios import SCENARIOS, make_bench, resolved_case


@pytest.mark.parametrize("name", sorted(SCENARIOS))
async def test_scenario(
    name: str, uow_factory: SqlUnitOfWorkFactory, read_store: SqlReadStore
) -> None:
    bench = await make_bench(uow_factory, read_store)
    await SCENARIOS[name](bench)


async def test_one_rating_per_case_even_when_two_race(
    uow_factory: SqlUnitOfWorkFactory, read_store: SqlReadStore, backend: str
) -> None:
    bench = await make_bench(uow_factory, read_store)
    case = await resolved_case(bench)

    def rating(score: int) -> CaseRating:
        return CaseRating(
            case_id=case.id,
            customer_id=case.customer_id,
            agent_id=None,
            score=score,
            comment=None,
            rated_at=bench.clock.now(),
            event_id=str(uuid.uuid4()),
        )

    async def add(score: int) -> bool:
        async with uow_factory() as uow:
            stored = await uow.ratings.add(rating(score))
            await asyncio.sleep(0.05)  # hold the row while the other one tries
            await uow.commit()
            return stored

    if backend == "postgresql":
        results = list(await asyncio.gather(add(1), add(5)))
    else:  # the embedded mode has one writer at a time: the second comes after the first
        results = [await add(1), await add(5)]
    assert sorted(results) == [False, True]
    other = await resolved_case(bench)
    async with uow_factory() as uow:
        assert len(await uow.ratings.for_cases([case.id])) == 1
        # The score is guarded by the database too.
        with pytest.raises(IntegrityError):
            await uow.ratings.add(
                CaseRating(
                    case_id=other.id,
                    customer_id=case.customer_id,
                    agent_id=None,
                    score=9,
                    comment=None,
                    rated_at=bench.clock.now(),
                    event_id=str(uuid.uuid4()),
                )
            )


async def test_the_migration_keeps_case_events_triggers(tmp_path: Path) -> None:
    """SQLite rebuilds case_events to change its CHECK constraint: a trigger another feature put
    on that table must survive the rebuild (up and down). (PostgreSQL alters the constraint in
    place: nothing is rebuilt there.)"""
    url = f"sqlite+aiosqlite:///{tmp_path / 'triggers.db'}"
    await upgrade_to_head(url)
    await downgrade_to(url, "0010")
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "CREATE TRIGGER case_events_probe AFTER INSERT ON case_events "
                    "BEGIN SELECT 1; END"
                )
            )
        await engine.dispose()
        await upgrade_to_head(url)
        async with engine.connect() as conn:
            names = (
                (await conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")))
                .scalars()
                .all()
            )
            check = (
                await conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'case_events'"))
            ).scalar_one()
        assert "case_events_probe" in names
        assert "'CASE_RATED'" in check
        await engine.dispose()
        await downgrade_to(url, "0010")
        async with engine.connect() as conn:
            names = (
                (await conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")))
                .scalars()
                .all()
            )
        assert "case_events_probe" in names
    finally:
        await engine.dispose()
