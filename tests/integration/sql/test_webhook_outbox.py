"""The outbound webhook outbox and store on SQLite and PostgreSQL: deliveries are written in the
transaction of the change (or not at all), claimed with a lease by one worker, and attempts
count towards disabling the endpoint. Each backend gets its own database (endpoints subscribed
to case.opened would otherwise collect deliveries from every other test's cases)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from adapters.sql.db import create_engine, create_session_factory
from adapters.sql.migrate import upgrade_to_head
from adapters.sql.outbound_webhooks import SqlWebhookStore
from adapters.sql.retention import SqlRetentionStore
from adapters.sql.tables_outbound_webhooks import webhook_deliveries
from adapters.sql.unit_of_work import SqlUnitOfWorkFactory
from domain.errors import ValidationFailed
from domain.outbound_webhooks import (
    DeliveryFilter,
    SendResult,
    WebhookDelivery,
    WebhookDeliveryPolicy,
    WebhookDeliveryState,
    WebhookEndpoint,
    WebhookEvent,
    attempt_outcome,
)
from domain.retention import RetentionPolicy
from domain.users import Role
from tests.integration.sql.builders import T0, make_case, make_user
from tests.integration.sql.conftest import DatabaseFactory


@dataclass
class Outbox:
    uow: SqlUnitOfWorkFactory
    store: SqlWebhookStore
    retention: SqlRetentionStore


@pytest.fixture(scope="module")
async def outbox(database_factory: DatabaseFactory) -> AsyncIterator[Outbox]:
    url = await database_factory()
    await upgrade_to_head(url)
    engine = create_engine(url)
    sessions = create_session_factory(engine)
    yield Outbox(
        SqlUnitOfWorkFactory(sessions), SqlWebhookStore(sessions), SqlRetentionStore(sessions)
    )
    await engine.dispose()


async def endpoint(o: Outbox, *events: WebhookEvent, active: bool = True) -> WebhookEndpoint:
    made = WebhookEndpoint.register(
        url="https://shop.example/hooks", events=list(events), description="", now=T0
    )
    made.active = active
    await o.store.add_endpoint(made)
    return made


async def only(o: Outbox, *events: WebhookEvent) -> WebhookEndpoint:
    """A new endpoint, after disabling every other one: claims see its deliveries only."""
    for other in await o.store.list_endpoints():
        if other.active:
            other.change(now=T0, active=False)
            await o.store.save_endpoint(other)
    return await endpoint(o, *events)


async def open_case(o: Outbox, *, commit: bool = True) -> str:
    customer = make_user(Role.CUSTOMER)
    case = make_case(customer, order_id="ord-outbox")
    async with o.uow() as uow:
        await uow.users.add(customer)
        await uow.cases.add(case)
        if commit:
            await uow.commit()
    return case.id


async def deliveries_of(o: Outbox, endpoint_id: str) -> list[WebhookDelivery]:
    page = await o.store.list_deliveries(DeliveryFilter(endpoint_id), first=100, after=None)
    return list(page.items)


async def test_a_change_and_its_deliveries_commit_together(outbox: Outbox) -> None:
    o = outbox
    opened = await endpoint(o, WebhookEvent.CASE_OPENED)
    paid_only = await endpoint(o, WebhookEvent.REFUND_PAID)
    disabled = await endpoint(o, WebhookEvent.CASE_OPENED, active=False)

    await open_case(o, commit=False)  # rolled back: no case, no delivery
    assert await deliveries_of(o, opened.id) == []

    case_id = await open_case(o)
    page = await o.store.list_deliveries(DeliveryFilter(opened.id), first=100, after=None)
    (delivery,) = page.items
    assert delivery.event_type is WebhookEvent.CASE_OPENED
    assert delivery.state is WebhookDeliveryState.PENDING and delivery.attempts == 0
    assert delivery.case_id == case_id
    assert f'"id":"{case_id}"' in delivery.payload and '"orderId":"ord-outbox"' in delivery.payload
    assert await deliveries_of(o, paid_only.id) == []
    assert await deliveries_of(o, disabled.id) == []


async def test_one_worker_holds_a_delivery_until_its_lease_ends(outbox: Outbox) -> None:
    o = outbox
    target = await only(o, WebhookEvent.CASE_OPENED)
    await open_case(o)
    (queued,) = await deliveries_of(o, target.id)
    now = queued.created_at

    assert await o.store.claim(owner="w1", now=now - timedelta(seconds=1), lease_seconds=30) is None
    claimed = await o.store.claim(owner="w1", now=now, lease_seconds=30)
    assert claimed is not None
    delivery, with_endpoint = claimed
    assert with_endpoint.secret == target.secret
    assert (
        await o.store.claim(owner="w2", now=now + timedelta(seconds=29), lease_seconds=30) is None
    )
    retaken = await o.store.claim(owner="w2", now=now + timedelta(seconds=31), lease_seconds=30)
    assert retaken is not None and retaken[0].id == delivery.id

    # The first worker's lease is gone: what it recorded is refused; the holder's is kept.
    policy = WebhookDeliveryPolicy()
    ok = SendResult(status=200, body_excerpt="thanks")
    late = now + timedelta(seconds=32)
    outcome = attempt_outcome(delivery, ok, policy, late)
    assert not await o.store.record_attempt(delivery, ok, outcome, owner="w1", now=late)
    assert await o.store.record_attempt(retaken[0], ok, outcome, owner="w2", now=late)
    stored = await o.store.get_delivery(delivery.id)
    assert stored is not None
    assert stored.state is WebhookDeliveryState.DELIVERED
    assert (stored.last_status, stored.last_response, stored.lease_owner) == (200, "thanks", None)


async def test_consecutive_failures_disable_the_endpoint_and_a_success_resets_them(
    outbox: Outbox,
) -> None:
    o = outbox
    target = await only(o, WebhookEvent.CASE_OPENED)
    policy = WebhookDeliveryPolicy(
        max_attempts=10, disable_after_failures=3, backoff_base=timedelta(seconds=1)
    )
    for _ in range(2):
        await open_case(o)
    first, second = await deliveries_of(o, target.id)
    at = max(first.created_at, second.created_at)

    async def attempt(result: SendResult, now: datetime) -> WebhookEndpoint:
        claimed = await o.store.claim(owner="w", now=now, lease_seconds=30)
        assert claimed is not None
        outcome = attempt_outcome(claimed[0], result, policy, now)
        assert await o.store.record_attempt(claimed[0], result, outcome, owner="w", now=now)
        found = await o.store.get_endpoint(target.id)
        assert found is not None
        return found

    failed = SendResult(status=500, body_excerpt="\x00oops")
    assert (await attempt(failed, at)).consecutive_failures == 1
    (stored,) = [d for d in await deliveries_of(o, target.id) if d.attempts == 1]
    assert (stored.last_status, stored.last_response) == (500, "\ufffdoops")  # no NUL stored
    assert (await attempt(failed, at)).consecutive_failures == 2
    after_success = await attempt(SendResult(status=204), at + timedelta(seconds=5))
    assert after_success.consecutive_failures == 0 and after_success.active

    later = at + timedelta(seconds=60)
    for expected in (1, 2):
        assert (await attempt(failed, later)).consecutive_failures == expected
        later += timedelta(seconds=60)
    disabled = await attempt(SendResult(status=None, error="refused"), later)
    assert not disabled.active
    assert disabled.disabled_reason is not None
    assert "3 consecutive failed attempts (last: refused" in disabled.disabled_reason
    # Its waiting delivery is not claimable while it is disabled, and is again once enabled.
    far = later + timedelta(hours=1)
    assert await o.store.claim(owner="x", now=far, lease_seconds=30) is None
    disabled.change(now=far, active=True)
    await o.store.save_endpoint(disabled)
    again = await o.store.claim(owner="x", now=far, lease_seconds=30)
    assert again is not None and again[0].endpoint_id == target.id
    assert (again[0].attempts, again[0].last_status, again[0].last_error) == (4, None, "refused")


async def test_deliveries_page_newest_first(outbox: Outbox) -> None:
    o = outbox
    target = await endpoint(o, WebhookEvent.CASE_OPENED)
    for _ in range(5):
        await open_case(o)
    everything = await o.store.list_deliveries(DeliveryFilter(target.id), first=100, after=None)
    assert len(everything.items) == 5
    created = [d.created_at for d in everything.items]
    assert created == sorted(created, reverse=True)
    seen: list[str] = []
    after = None
    while True:
        page = await o.store.list_deliveries(DeliveryFilter(target.id), first=2, after=after)
        seen += [d.id for d in page.items]
        if not page.has_next_page:
            break
        after = page.end_cursor
    assert seen == [d.id for d in everything.items]
    with pytest.raises(ValidationFailed):
        await o.store.list_deliveries(DeliveryFilter(target.id), first=2, after="garbage")


async def test_each_active_subscriber_gets_one_delivery(outbox: Outbox) -> None:
    o = outbox
    count = select(func.count()).select_from(webhook_deliveries)
    async with o.uow() as uow:
        before = (await uow.session.execute(count)).scalar_one()
    await open_case(o)
    async with o.uow() as uow:
        after = (await uow.session.execute(count)).scalar_one()
    active = [
        e
        for e in await o.store.list_endpoints()
        if e.active and WebhookEvent.CASE_OPENED in e.events
    ]
    assert after - before == len(active)


async def test_concurrent_workers_never_claim_the_same_delivery(outbox: Outbox) -> None:
    o = outbox
    target = await only(o, WebhookEvent.CASE_OPENED)
    for _ in range(12):
        await open_case(o)
    queued = {d.id for d in await deliveries_of(o, target.id)}
    assert len(queued) == 12
    now = T0 + timedelta(seconds=1)

    async def worker(name: str) -> list[str]:
        mine: list[str] = []
        while (claimed := await o.store.claim(owner=name, now=now, lease_seconds=60)) is not None:
            mine.append(claimed[0].id)
        return mine

    claims = await asyncio.gather(*(worker(f"w{i}") for i in range(6)))
    everything = [delivery_id for mine in claims for delivery_id in mine]
    assert sorted(everything) == sorted(queued)  # each once: no delivery in two hands


async def test_retention_forgets_finished_deliveries_and_keeps_pending_ones(outbox: Outbox) -> None:
    o = outbox
    target = await only(o, WebhookEvent.CASE_OPENED)
    for _ in range(3):
        await open_case(o)  # queued at T0
    assert len(await deliveries_of(o, target.id)) == 3
    policy = WebhookDeliveryPolicy(max_attempts=1)
    for result in (SendResult(status=200), SendResult(status=500)):
        claimed = await o.store.claim(owner="w", now=T0, lease_seconds=30)
        assert claimed is not None
        outcome = attempt_outcome(claimed[0], result, policy, T0)
        assert await o.store.record_attempt(claimed[0], result, outcome, owner="w", now=T0)
    states = {d.state for d in await deliveries_of(o, target.id)}
    assert states == {
        WebhookDeliveryState.DELIVERED,
        WebhookDeliveryState.FAILED,
        WebhookDeliveryState.PENDING,
    }

    retention = RetentionPolicy(outbound_deliveries=timedelta(days=30))
    # Within the retention: nothing goes.
    early = await o.retention.prune(retention.cutoffs(T0 + timedelta(days=29)), limit=100)
    assert early.outbound_deliveries == 0
    later = await o.retention.prune(retention.cutoffs(T0 + timedelta(days=31)), limit=100)
    assert later.outbound_deliveries >= 2  # ours, and finished ones of the other tests
    (kept,) = await deliveries_of(o, target.id)
    assert kept.state is WebhookDeliveryState.PENDING  # never pruned while it may still be sent
