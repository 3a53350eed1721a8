"""Refresh tokens: round trip, the guarded mark_used (exactly one winner), family revocation."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import text

from adapters.sql.unit_of_work import SqlUnitOfWorkFactory
from domain.auth import RefreshToken
from domain.users import User

from .builders import T0, make_refresh_token, make_user


async def _user(uow_factory: SqlUnitOfWorkFactory) -> User:
    user = make_user()
    async with uow_factory() as uow:
        await uow.users.add(user)
        await uow.commit()
    return user


async def _add(uow_factory: SqlUnitOfWorkFactory, *tokens: RefreshToken) -> None:
    async with uow_factory() as uow:
        for token in tokens:
            await uow.refresh_tokens.add(token)
        await uow.commit()


async def test_round_trip_and_single_use(uow_factory: SqlUnitOfWorkFactory) -> None:
    user = await _user(uow_factory)
    token = make_refresh_token(user)
    await _add(uow_factory, token)

    async with uow_factory() as uow:
        loaded = await uow.refresh_tokens.get_by_hash(token.token_hash)
        assert await uow.refresh_tokens.get_by_hash("0" * 64) is None
    assert loaded == token

    used_at = T0 + timedelta(minutes=1)
    async with uow_factory() as uow:
        assert loaded is not None
        assert await uow.refresh_tokens.mark_used(loaded, used_at)
        assert loaded.used_at == used_at
        assert not await uow.refresh_tokens.mark_used(token, used_at)  # already used
        await uow.commit()
    async with uow_factory() as uow:
        stored = await uow.refresh_tokens.get_by_hash(token.token_hash)
    assert stored is not None and stored.used_at == used_at and not stored.usable(used_at)


async def test_revoked_family(uow_factory: SqlUnitOfWorkFactory) -> None:
    user = await _user(uow_factory)
    first = make_refresh_token(user)
    second = make_refresh_token(user, family_id=first.family_id)
    other = make_refresh_token(user)
    await _add(uow_factory, first, second, other)

    now = T0 + timedelta(hours=1)
    async with uow_factory() as uow:
        assert await uow.refresh_tokens.family_active(first.family_id)
        await uow.refresh_tokens.revoke_family(first.family_id, now)
        assert not await uow.refresh_tokens.family_active(first.family_id)
        assert await uow.refresh_tokens.family_active(other.family_id)
        assert not await uow.refresh_tokens.mark_used(second, now)  # revoked: nobody wins
        assert not await uow.refresh_tokens.family_active("no-such-family")
        await uow.commit()
    async with uow_factory() as uow:
        stored = await uow.refresh_tokens.get_by_hash(second.token_hash)
    assert stored is not None and stored.revoked_at == now and stored.used_at is None


@pytest.mark.slow
async def test_mark_used_has_exactly_one_winner(
    uow_factory: SqlUnitOfWorkFactory, backend: str
) -> None:
    user = await _user(uow_factory)
    token = make_refresh_token(user)
    await _add(uow_factory, token)
    callers = 10
    barrier = asyncio.Barrier(callers) if backend == "postgresql" else None

    async def use() -> bool:
        async with uow_factory() as uow:
            if barrier is not None:  # all transactions open before anyone tries
                await uow.session.execute(text("SELECT 1"))
                await barrier.wait()
            loaded = await uow.refresh_tokens.get_by_hash(token.token_hash)
            assert loaded is not None
            won = await uow.refresh_tokens.mark_used(loaded, T0 + timedelta(seconds=1))
            await asyncio.sleep(0.002)
            await uow.commit()
            return won

    results = await asyncio.gather(*(use() for _ in range(callers)))
    assert sum(results) == 1
