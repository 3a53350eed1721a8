"""The refund outbox and the idempotency keys: one contract suite, run against SQLite, PostgreSQL
and the in-process adapters (domain.ports.RefundJobRepository / IdempotencyKeyRepository)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from datetime import timedelta

import pytest

from adapters.memory import InMemoryStore, InMemoryUnitOfWorkFactory
from adapters.sql.unit_of_work import SqlUnitOfWorkFactory
from domain.idempotency import IdempotencyRecord
from domain.money import Money
from domain.ports import UnitOfWork
from domain.refund_jobs import RefundJob, RefundJobStatus
from domain.request_context import request_id_scope
from domain.users import Role

from .builders import T0, make_case, make_refund, make_user, uid

UowFactory = Callable[[], UnitOfWork]
LEASE = 30.0


@pytest.fixture(params=["sql", "memory"])
def uows(request: pytest.FixtureRequest, uow_factory: SqlUnitOfWorkFactory) -> UowFactory:
    if request.param == "sql":
        return uow_factory
    return InMemoryUnitOfWorkFactory(InMemoryStore())


async def new_refund_id(uows: UowFactory) -> str:
    customer = make_user(Role.CUSTOMER)
    case = make_case(customer)
    refund = make_refund(case)
    async with uows() as uow:
        await uow.users.add(customer)
        await uow.cases.add(case)
        await uow.refunds.add(refund)
        await uow.commit()
    return refund.id


async def enqueued(
    uows: UowFactory, *, at: timedelta = timedelta(0), attempt: int = 1
) -> RefundJob:
    job = RefundJob.for_attempt(
        refund_id=await new_refund_id(uows),
        attempt=attempt,
        payment_reference="pay_ref_1",
        amount=Money(1234, "USD"),
        now=T0 + at,
    )
    async with uows() as uow:
        await uow.refund_jobs.enqueue(job)
        await uow.commit()
    return job


async def claim(uows: UowFactory, owner: str, at: timedelta) -> RefundJob | None:
    async with uows() as uow:
        job = await uow.refund_jobs.claim(owner=owner, now=T0 + at, lease_seconds=LEASE)
        await uow.commit()
    return job


async def current(uows: UowFactory, job: RefundJob) -> RefundJob:
    async with uows() as uow:
        found = await uow.refund_jobs.get(job.refund_id, job.attempt)
    assert found is not None
    return found


async def drain_others(uows: UowFactory, at: timedelta) -> None:
    """Finish every job due at `at` (the database is shared by the tests of a backend)."""
    while (job := await claim(uows, "sweeper", at)) is not None:
        async with uows() as uow:
            await uow.refund_jobs.complete(job, now=T0 + at)
            await uow.commit()


async def test_a_job_round_trips(uows: UowFactory) -> None:
    job = await enqueued(uows)
    stored = await current(uows, job)
    assert stored == job
    assert stored.idempotency_key == f"{job.refund_id}:1"
    async with uows() as uow:
        assert [j.attempt for j in await uow.refund_jobs.list_for_refund(job.refund_id)] == [1]
        assert await uow.refund_jobs.get(job.refund_id, 2) is None


async def test_claim_leases_the_oldest_due_job_and_takes_over_expired_leases(
    uows: UowFactory,
) -> None:
    far = timedelta(days=3650 * 3)  # later than any job of the other tests
    await drain_others(uows, far)
    first = await enqueued(uows, at=far + timedelta(seconds=1))
    second = await enqueued(uows, at=far + timedelta(seconds=2))
    assert await claim(uows, "w1", far) is None  # not due yet
    t = far + timedelta(seconds=10)
    got = await claim(uows, "w1", t)
    assert got is not None and got.id == first.id
    assert (got.lease_owner, got.lease_until, got.claims) == (
        "w1",
        T0 + t + timedelta(seconds=LEASE),
        1,
    )
    assert got.first_claimed_at == T0 + t
    got2 = await claim(uows, "w2", t)
    assert got2 is not None and got2.id == second.id  # the first is leased
    assert await claim(uows, "w3", t + timedelta(seconds=LEASE)) is None  # leases still run
    later = t + timedelta(seconds=LEASE + 1)
    taken = await claim(uows, "w3", later)
    assert taken is not None and taken.id == first.id and taken.lease_owner == "w3"
    assert taken.claims == 2 and taken.first_claimed_at == T0 + t  # the first claim is kept
    # The worker that lost it can no longer change it.
    async with uows() as uow:
        assert not await uow.refund_jobs.reschedule(
            first, owner="w1", run_after=T0 + later, error="x", now=T0 + later
        )
        assert not await uow.refund_jobs.release(first, owner="w1", now=T0 + later)
        assert not await uow.refund_jobs.mark_dead(first, owner="w1", error="x", now=T0 + later)
        await uow.commit()
    assert (await current(uows, first)).lease_owner == "w3"
    await drain_others(uows, later + timedelta(days=1))


async def test_outcomes_are_guarded_updates(uows: UowFactory) -> None:
    far = timedelta(days=3650 * 4)
    await drain_others(uows, far)
    job = await enqueued(uows, at=far)
    leased = await claim(uows, "w1", far)
    assert leased is not None and leased.id == job.id
    now = T0 + far
    async with uows() as uow:
        assert await uow.refund_jobs.reschedule(
            leased, owner="w1", run_after=now + timedelta(seconds=5), error="503", now=now
        )
        await uow.commit()
    retry = await current(uows, job)
    assert (retry.tries, retry.lease_owner, retry.lease_until, retry.last_error) == (
        1,
        None,
        None,
        "503",
    )
    assert retry.run_after == now + timedelta(seconds=5) and retry.claimable(
        now + timedelta(seconds=5)
    )
    again = await claim(uows, "w2", far + timedelta(seconds=5))
    assert again is not None and again.id == job.id
    async with uows() as uow:
        assert await uow.refund_jobs.release(again, owner="w2", now=now)
        await uow.commit()
    released = await current(uows, job)
    assert released.lease_owner is None and released.tries == 1  # a release is not a try
    async with uows() as uow:
        assert await uow.refund_jobs.complete(job, now=now)
        assert not await uow.refund_jobs.complete(job, now=now)  # once
        assert not await uow.refund_jobs.mark_dead(job, owner=None, error="x", now=now)
        await uow.commit()
    done = await current(uows, job)
    assert done.status is RefundJobStatus.DONE and done.finished_at == now
    assert await claim(uows, "w3", far + timedelta(days=1)) is None

    dead = await enqueued(uows, at=far)
    async with uows() as uow:
        assert await uow.refund_jobs.mark_dead(dead, owner=None, error="422 reused", now=now)
        await uow.commit()
    assert (await current(uows, dead)).status is RefundJobStatus.DEAD
    assert await claim(uows, "w3", far + timedelta(days=1)) is None  # never claimed again


async def test_the_request_that_caused_a_job_is_kept(uows: UowFactory) -> None:
    with request_id_scope("req-approval-0001"):
        job = await enqueued(uows)
    assert job.request_id == "req-approval-0001"
    async with uows() as uow:
        stored = await uow.refund_jobs.get(job.refund_id, job.attempt)
    assert stored is not None and stored.request_id == "req-approval-0001"


async def test_depths_count_each_state_and_the_oldest_pending(uows: UowFactory) -> None:
    async with uows() as uow:
        before = await uow.refund_jobs.depths(T0 + timedelta(hours=1))
    due = await enqueued(uows, at=timedelta(minutes=-30))
    later = await enqueued(uows, at=timedelta(hours=2))  # created (and due) in the future
    leased = await enqueued(uows)
    dead = await enqueued(uows)
    now = T0 + timedelta(hours=1)
    async with uows() as uow:
        claimed = await uow.refund_jobs.claim(owner="w", now=now, lease_seconds=LEASE)
        assert claimed is not None
        assert await uow.refund_jobs.mark_dead(dead, owner=None, error="x", now=now)
        await uow.commit()
    async with uows() as uow:
        after = await uow.refund_jobs.depths(now)
    assert after.pending - before.pending == 3
    assert after.dead - before.dead == 1
    assert after.leased - before.leased == 1
    assert after.due - before.due == 1  # of due/leased (whichever was claimed) one is left due
    assert after.oldest_pending_created_at is not None
    assert after.oldest_pending_created_at <= due.created_at
    assert {claimed.id} <= {due.id, leased.id}
    assert later.run_after > now


async def test_dead_jobs_are_listed_and_requeued_once(uows: UowFactory) -> None:
    first, second = await enqueued(uows), await enqueued(uows)
    now = T0 + timedelta(minutes=5)
    async with uows() as uow:
        for job in (first, second):
            assert await uow.refund_jobs.mark_dead(job, owner=None, error="422", now=now)
        await uow.commit()
    ours = {first.id, second.id}
    async with uows() as uow:
        listed = [j for j in await uow.refund_jobs.list_dead(limit=1000) if j.id in ours]
    assert [j.id for j in listed] == sorted(ours, key=lambda i: (i.rsplit(":", 1)[0], 1))
    key = (listed[0].refund_id, listed[0].attempt)
    async with uows() as uow:
        rest = [
            j.id for j in await uow.refund_jobs.list_dead(limit=1000, after=key) if j.id in ours
        ]
    assert rest == [listed[1].id]
    async with uows() as uow:
        assert await uow.refund_jobs.requeue_dead(first, now=now)
        assert not await uow.refund_jobs.requeue_dead(first, now=now)  # PENDING now: no-op
        await uow.commit()
    async with uows() as uow:
        again = await uow.refund_jobs.get(first.refund_id, first.attempt)
    assert again is not None and again.status is RefundJobStatus.PENDING
    assert again.first_claimed_at is None and again.tries == 0 and again.finished_at is None
    assert again.last_error == "422" and again.claimable(now)


async def test_a_rolled_back_claim_leaves_the_job_free(uows: UowFactory) -> None:
    far = timedelta(days=3650 * 5)
    await drain_others(uows, far)
    job = await enqueued(uows, at=far)
    async with uows() as uow:
        claimed = await uow.refund_jobs.claim(owner="w1", now=T0 + far, lease_seconds=LEASE)
        assert claimed is not None and claimed.id == job.id
        await uow.rollback()
    assert (await current(uows, job)).lease_owner is None
    await drain_others(uows, far)


async def test_concurrent_claimers_never_share_a_job(uows: UowFactory, backend: str) -> None:
    far = timedelta(days=3650 * 6)
    await drain_others(uows, far)
    jobs = [await enqueued(uows, at=far) for _ in range(4)]
    got = await asyncio.gather(*(claim(uows, f"w{i}", far) for i in range(10)))
    claimed = [j.id for j in got if j is not None]
    assert sorted(claimed) == sorted(j.id for j in jobs)  # each once; the rest found nothing
    assert {(await current(uows, j)).claims for j in jobs} == {1}
    await drain_others(uows, far + timedelta(days=1))


async def test_a_second_job_for_the_same_attempt_is_refused(uows: UowFactory) -> None:
    job = await enqueued(uows)
    with pytest.raises(Exception):  # noqa: B017 - IntegrityError / DuplicateJob
        async with uows() as uow:
            await uow.refund_jobs.enqueue(dataclasses.replace(job))
            await uow.commit()
    async with uows() as uow:  # the next attempt is another job
        await uow.refund_jobs.enqueue(
            RefundJob.for_attempt(
                refund_id=job.refund_id,
                attempt=2,
                payment_reference="pay_ref_1",
                amount=job.amount,
                now=T0,
            )
        )
        await uow.commit()
    async with uows() as uow:
        assert [j.attempt for j in await uow.refund_jobs.list_for_refund(job.refund_id)] == [1, 2]


# -- idempotency keys -------------------------------------------------------------------------


def record(scope: str, key: str, result: str, fingerprint: str = "a" * 64) -> IdempotencyRecord:
    return IdempotencyRecord(
        scope=scope,
        operation="requestRefund",
        key=key,
        fingerprint=fingerprint,
        result_id=result,
        created_at=T0,
    )


async def test_an_idempotency_key_is_stored_once_per_caller(uows: UowFactory) -> None:
    alice, bob = make_user(Role.CUSTOMER), make_user(Role.CUSTOMER)
    async with uows() as uow:
        await uow.users.add(alice)
        await uow.users.add(bob)
        await uow.commit()
    async with uows() as uow:
        assert await uow.idempotency_keys.claim(record(alice.id, "k", "r1")) is None
        await uow.commit()
    async with uows() as uow:
        existing = await uow.idempotency_keys.claim(record(alice.id, "k", "r2", "b" * 64))
        assert existing == record(alice.id, "k", "r1")
        assert await uow.idempotency_keys.claim(record(bob.id, "k", "r3")) is None  # Bob's own
        await uow.commit()
    async with uows() as uow:
        assert await uow.idempotency_keys.get(alice.id, "requestRefund", "k") == record(
            alice.id, "k", "r1"
        )
        assert await uow.idempotency_keys.get(alice.id, "otherOperation", "k") is None
    # A rolled-back claim leaves the key free.
    async with uows() as uow:
        assert await uow.idempotency_keys.claim(record(alice.id, "k2", "r4")) is None
        await uow.rollback()
    async with uows() as uow:
        assert await uow.idempotency_keys.get(alice.id, "requestRefund", "k2") is None


async def test_concurrent_claims_of_one_key_wait_for_the_first(uows: UowFactory) -> None:
    user = make_user(Role.CUSTOMER)
    async with uows() as uow:
        await uow.users.add(user)
        await uow.commit()
    key = uid()

    async def attempt(result: str) -> IdempotencyRecord | None:
        async with uows() as uow:
            existing = await uow.idempotency_keys.claim(record(user.id, key, result))
            await asyncio.sleep(0.01)  # hold it while the others arrive
            await uow.commit()
        return existing

    outcomes = await asyncio.gather(*(attempt(f"r{i}") for i in range(6)))
    winners = [i for i, o in enumerate(outcomes) if o is None]
    assert len(winners) == 1
    assert {o.result_id for o in outcomes if o is not None} == {f"r{winners[0]}"}
