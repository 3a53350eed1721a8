"""The OrderWebhookInbox port (and CaseRepository.ids_for_order): one contract, run against the
SQL adapter on SQLite and PostgreSQL, and against the in-process adapter."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from adapters.memory import InMemoryStore, InMemoryUnitOfWorkFactory
from adapters.sql.unit_of_work import SqlUnitOfWorkFactory
from domain.order_events import StoredDelivery
from domain.orders import OrderStatus
from domain.ports import UnitOfWork

from .builders import T0, make_case, make_user, uid

Factory = Callable[[], UnitOfWork]


@pytest.fixture(params=["sql", "memory"])
def factory(request: pytest.FixtureRequest, backend: str) -> Factory:
    # (The in-process variant runs beside each SQL backend: cheap, and never a skip, which CI
    # would count as a failure.)
    if request.param == "memory":
        return InMemoryUnitOfWorkFactory(InMemoryStore())
    sql: SqlUnitOfWorkFactory = request.getfixturevalue("uow_factory")
    return sql


async def record(factory: Factory, delivery_id: str, *, commit: bool = True) -> bool:
    async with factory() as uow:
        first = await uow.order_webhooks.record_delivery(
            StoredDelivery(
                delivery_id, event_type="order.updated", order_id="ord-x", received_at=T0
            )
        )
        if commit:
            await uow.commit()
    return first


async def test_a_delivery_id_is_new_once(factory: Factory) -> None:
    delivery = f"msg_{uid()}"
    assert await record(factory, delivery) is True
    assert await record(factory, delivery) is False
    assert await record(factory, f"msg_{uid()}") is True


async def test_a_delivery_keeps_its_payload_for_replays(factory: Factory) -> None:
    delivery = f"msg_{uid()}"
    async with factory() as uow:
        assert await uow.order_webhooks.record_delivery(
            StoredDelivery(
                delivery,
                event_type="order.delivered",
                order_id="ord-x",
                received_at=T0,
                payload='{"type": "order.delivered"}',
            )
        )
        await uow.commit()
    async with factory() as uow:
        stored = await uow.order_webhooks.stored_delivery(delivery)
        assert await uow.order_webhooks.stored_delivery(f"msg_{uid()}") is None
    assert stored is not None
    assert (stored.event_type, stored.order_id, stored.received_at) == (
        "order.delivered",
        "ord-x",
        T0,
    )
    assert stored.payload == '{"type": "order.delivered"}'


async def test_an_uncommitted_delivery_is_forgotten(factory: Factory) -> None:
    delivery = f"msg_{uid()}"
    assert await record(factory, delivery, commit=False) is True
    assert await record(factory, delivery) is True


async def test_concurrent_units_recording_one_id_have_one_winner(factory: Factory) -> None:
    delivery = f"msg_{uid()}"

    async def attempt() -> bool:
        async with factory() as uow:
            first = await uow.order_webhooks.record_delivery(
                StoredDelivery(
                    delivery, event_type="order.updated", order_id="ord-x", received_at=T0
                )
            )
            await asyncio.sleep(0.01)  # hold the transaction open while the others arrive
            await uow.commit()
        return first

    results = await asyncio.gather(*(attempt() for _ in range(8)))
    assert sorted(results) == [False] * 7 + [True]


async def advance(factory: Factory, order_id: str, version: int, status: OrderStatus) -> Any:
    async with factory() as uow:
        result = await uow.order_webhooks.advance_order(
            order_id,
            version=version,
            status=status,
            changed_at=T0 + timedelta(microseconds=version),
        )
        await uow.commit()
    return result


async def test_versions_only_move_forward(factory: Factory) -> None:
    order_id = f"ord-{uid()[:12]}"
    first = await advance(factory, order_id, 10, OrderStatus.SHIPPED)
    assert (first.advanced, first.previous_status) == (True, None)
    older = await advance(factory, order_id, 5, OrderStatus.PLACED)
    assert (older.advanced, older.previous_status) == (False, OrderStatus.SHIPPED)
    same = await advance(factory, order_id, 10, OrderStatus.CANCELLED)
    assert (same.advanced, same.previous_status) == (False, OrderStatus.SHIPPED)
    newer = await advance(factory, order_id, 20, OrderStatus.DELIVERED)
    assert (newer.advanced, newer.previous_status) == (True, OrderStatus.SHIPPED)
    again = await advance(factory, order_id, 15, OrderStatus.CANCELLED)
    assert (again.advanced, again.previous_status) == (False, OrderStatus.DELIVERED)


async def test_concurrent_versions_of_one_order_end_at_the_newest(factory: Factory) -> None:
    order_id = f"ord-{uid()[:12]}"
    statuses = [OrderStatus.PLACED, OrderStatus.SHIPPED, OrderStatus.DELIVERED]

    async def one(version: int) -> bool:
        async with factory() as uow:
            result = await uow.order_webhooks.advance_order(
                order_id, version=version, status=statuses[version % 3], changed_at=T0
            )
            await asyncio.sleep(0.005)
            await uow.commit()
        return result.advanced

    await asyncio.gather(*(one(v) for v in (3, 1, 5, 2, 4)))
    final = await advance(factory, order_id, 5, OrderStatus.PLACED)  # same version: no change
    assert (final.advanced, final.previous_status) == (False, statuses[5 % 3])


async def test_cases_about_an_order_are_found(factory: Factory) -> None:
    customer = make_user()
    order_id = f"ord-{uid()[:12]}"
    first = make_case(customer, order_id=order_id)
    second = make_case(customer, order_id=order_id, now=T0 + timedelta(minutes=1))
    other = make_case(customer, order_id=f"ord-{uid()[:12]}")
    async with factory() as uow:
        await uow.users.add(customer)
        for case in (first, second, other):
            await uow.cases.add(case)
        await uow.commit()
    async with factory() as uow:
        assert await uow.cases.ids_for_order(order_id) == [first.id, second.id]
        assert await uow.cases.ids_for_order("ord-nobody") == []
