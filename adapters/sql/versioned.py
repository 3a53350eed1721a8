"""The repository of a table of versioned objects (cases, refunds, macros), in the unit of
work's session: get (optionally FOR UPDATE), add, and an optimistic save."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import Table, insert, select, update
from sqlalchemy.engine import CursorResult, RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from domain.errors import ConcurrentUpdate


class _Versioned(Protocol):
    @property
    def id(self) -> str: ...

    version: int


V = TypeVar("V", bound=_Versioned)


class VersionedRepository(Generic[V]):
    """save() updates the row only at the version the object was loaded with (ConcurrentUpdate
    `what` else) and only its `mutable` columns, then counts the object's version up.
    `on_stored` runs after each add() and save() (the aggregates hand their events over)."""

    def __init__(
        self,
        session: AsyncSession,
        *,
        table: Table,
        what: str,
        to_values: Callable[[V], dict[str, Any]],
        from_row: Callable[[RowMapping], V],
        mutable: Sequence[str],
        on_stored: Callable[[V], None] = lambda _: None,
    ) -> None:
        self._session = session
        self._table = table
        self._what = what
        self._to_values = to_values
        self._from_row = from_row
        self._mutable = mutable
        self._on_stored = on_stored

    async def get(self, item_id: str, *, for_update: bool = False) -> V | None:
        stmt = select(self._table).where(self._table.c.id == item_id)
        if for_update:
            stmt = stmt.with_for_update()  # SQLite: compiled away (BEGIN IMMEDIATE locks already)
        row = (await self._session.execute(stmt)).mappings().first()
        return self._from_row(row) if row is not None else None

    async def add(self, item: V) -> None:
        await self._session.execute(insert(self._table).values(**self._to_values(item)))
        self._on_stored(item)

    async def save(self, item: V) -> None:
        values = self._to_values(item)
        changes = {name: values[name] for name in self._mutable}
        c = self._table.c
        result = await self._session.execute(
            update(self._table)
            .where(c.id == item.id, c.version == item.version)
            .values(**changes, version=c.version + 1)
        )
        assert isinstance(result, CursorResult)
        if result.rowcount != 1:
            raise ConcurrentUpdate(self._what)
        item.version += 1
        self._on_stored(item)
