"""Refund execution on PostgreSQL against the payment gateway simulator over real HTTP (its own
process): gateway faults, concurrent approvals, concurrent workers, idempotent requests.

Every test counts payouts in the simulator's ledger, the witness of exactly-once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from sqlalchemy import Result, text
from sqlalchemy.exc import IntegrityError

from domain.cases import CaseCategory
from domain.errors import ConcurrentUpdate, IdempotencyKeyReused, InvalidTransition
from domain.refund_jobs import RefundJobStatus
from domain.refunds import Refund, RefundReason, RefundRequest, RefundStatus
from domain.usecases.approve_refund import approve_refund
from domain.usecases.execute_refund import JobOutcome, drain_refund_jobs, run_next_refund_job
from domain.usecases.request_refund import request_refund
from domain.usecases.retry_refund import retry_refund
from tests.integration.refund_execution.support import (
    GatewayServer,
    SqlWorld,
    case_about_new_order,
    gateway_server,
    requested_refund,
    seed_approved_refunds,
    sql_services,
    statuses,
)
from tests.toolbox.polling import poll_until
from tests.toolbox.services import throwaway_database

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
async def database_url() -> AsyncIterator[str]:
    async with throwaway_database("money") as url:
        yield url


@pytest.fixture(scope="module")
def gateway() -> Iterator[GatewayServer]:
    with gateway_server() as server:
        yield server


@pytest.fixture
async def world(database_url: str, gateway: GatewayServer) -> AsyncIterator[SqlWorld]:
    gateway.set_fault("none")
    async with sql_services(database_url, gateway.url) as w:
        yield w
    gateway.set_fault("none")


async def drain_until_settled(
    world: SqlWorld, refund_ids: list[str], *, seconds: float = 30
) -> None:
    """Run the worker (waiting out backoffs) until every refund is SUCCEEDED or FAILED."""

    async def drain() -> dict[str, RefundStatus]:
        await drain_refund_jobs(world.services, "worker-test")
        return await statuses(world, refund_ids)

    settled = (RefundStatus.SUCCEEDED, RefundStatus.FAILED)
    await poll_until(
        drain, until=lambda seen: all(s in settled for s in seen.values()), deadline=seconds
    )


async def query(world: SqlWorld, statement: str, **params: Any) -> Result[Any]:
    """Reads with SQL, in a unit of work of its own (the result is buffered)."""
    async with world.services.uow() as uow:
        result: Result[Any] = await uow.session.execute(text(statement), params)  # type: ignore[attr-defined]
        return result


async def job_rows(world: SqlWorld, refund_id: str) -> list[dict[str, Any]]:
    rows = await query(
        world,
        "SELECT attempt, status, tries, claims FROM refund_jobs "
        "WHERE refund_id = :id ORDER BY attempt",
        id=refund_id,
    )
    return [dict(row) for row in rows.mappings()]


@pytest.mark.parametrize(
    ("fault", "options"),
    [
        ("timeout_after_commit", {"hang_ms": 5000}),  # paid, but the worker saw a timeout
        ("error_5xx", {}),  # 503: nothing paid
        ("reset_before_commit", {}),  # connection dropped before paying
        ("reset_after_commit", {}),  # paid, then the connection dropped
    ],
)
async def test_unknown_outcomes_end_in_exactly_one_payout(
    world: SqlWorld, gateway: GatewayServer, fault: str, options: dict[str, Any]
) -> None:
    refund_ids = await seed_approved_refunds(world, 3)
    gateway.set_fault(fault, times=4, **options)  # the first four calls misbehave
    before = gateway.ledger()["requests_received"]
    await drain_until_settled(world, refund_ids)
    assert set((await statuses(world, refund_ids)).values()) == {RefundStatus.SUCCEEDED}
    payouts = gateway.payouts_by_key()
    assert {key: payouts[key] for key in (f"{r}:1" for r in refund_ids)} == {
        f"{r}:1": 1 for r in refund_ids
    }
    assert gateway.ledger()["requests_received"] - before >= 3 + 4  # the faults were retried
    tries = [row["tries"] for r in refund_ids for row in await job_rows(world, r)]
    assert sum(tries) == 4  # each unknown outcome: one try, retried later with the same key
    for refund_id in refund_ids:
        assert [row["status"] for row in await job_rows(world, refund_id)] == ["DONE"]


async def test_a_decline_fails_then_a_retry_pays_once(
    world: SqlWorld, gateway: GatewayServer
) -> None:
    (refund_id,) = await seed_approved_refunds(world, 1)
    gateway.set_fault("decline", decline_reason="insufficient_funds")
    result = await run_next_refund_job(world.services, "w")
    assert result is not None and result.outcome is JobOutcome.FAILED
    failed = await world.services.reads.get_refund(refund_id)
    assert failed is not None and failed.status is RefundStatus.FAILED
    assert failed.failure_reason == "insufficient_funds"
    # Still declining: the same key would only replay the decline, the retry has a new key.
    retried = await retry_refund(world.services, world.agent, refund_id)
    assert retried.attempt == 2 and retried.status is RefundStatus.PROCESSING
    gateway.set_fault("none")
    await drain_until_settled(world, [refund_id])
    paid = await world.services.reads.get_refund(refund_id)
    assert paid is not None and paid.status is RefundStatus.SUCCEEDED and paid.attempt == 2
    payouts = gateway.payouts_by_key()
    assert (payouts[f"{refund_id}:1"], payouts[f"{refund_id}:2"]) == (0, 1)
    assert [(r["attempt"], r["status"]) for r in await job_rows(world, refund_id)] == [
        (1, "DONE"),
        (2, "DONE"),
    ]


async def test_two_agents_approving_at_once_make_one_decision_one_job_one_payout(
    world: SqlWorld, gateway: GatewayServer
) -> None:
    refund_ids = [await requested_refund(world) for _ in range(10)]
    for refund_id in refund_ids:
        outcomes = await asyncio.gather(
            approve_refund(world.services, world.agent, refund_id, "agent"),
            approve_refund(world.services, world.sam, refund_id, "sam"),
            return_exceptions=True,
        )
        winners = [o for o in outcomes if isinstance(o, Refund)]
        losers = [o for o in outcomes if not isinstance(o, Refund)]
        assert len(winners) == 1, outcomes
        assert all(isinstance(o, (InvalidTransition, ConcurrentUpdate)) for o in losers), losers
        assert [(r["attempt"], r["status"]) for r in await job_rows(world, refund_id)] == [
            (1, "PENDING")
        ]
    await drain_until_settled(world, refund_ids)
    payouts = gateway.payouts_by_key()
    assert all(payouts[f"{r}:1"] == 1 for r in refund_ids)
    queued = (
        await query(
            world,
            "SELECT refund_id, count(*) FROM case_events WHERE type = 'REFUND_APPROVED' "
            "AND refund_id = ANY(:ids) GROUP BY refund_id",
            ids=refund_ids,
        )
    ).all()
    assert sorted(count for _, count in queued) == [1] * len(refund_ids)


async def test_concurrent_workers_share_the_jobs_without_overlap(
    world: SqlWorld, gateway: GatewayServer
) -> None:
    refund_ids = await seed_approved_refunds(world, 24)
    results: dict[str, list[JobOutcome]] = {}

    async def worker(name: str) -> None:
        while True:
            result = await run_next_refund_job(world.services, name)
            if result is None:
                return
            results.setdefault(result.job.refund_id, []).append(result.outcome)

    await asyncio.gather(*(worker(f"w{i}") for i in range(6)))
    # SKIP LOCKED: every job was claimed by exactly one worker and paid once.
    assert {r: results.get(r) for r in refund_ids} == {
        r: [JobOutcome.SUCCEEDED] for r in refund_ids
    }
    payouts = gateway.payouts_by_key()
    assert all(payouts[f"{r}:1"] == 1 for r in refund_ids)
    for refund_id in refund_ids:
        assert [row["claims"] for row in await job_rows(world, refund_id)] == [1]


async def test_parallel_identical_requests_with_one_key_make_one_refund(world: SqlWorld) -> None:
    customer, order, case = await case_about_new_order(
        world,
        lines=[("Lamp", 1, 8000)],
        subject="Lamp",
        description="Flickers",
        category=CaseCategory.PRODUCT_ISSUE,
    )
    request = RefundRequest(RefundReason.DEFECTIVE, amount=5000)
    outcomes = await asyncio.gather(
        *(
            request_refund(world.services, customer, case.id, request, idempotency_key="once")
            for _ in range(12)
        ),
        return_exceptions=True,
    )
    refunds = [o for o in outcomes if isinstance(o, Refund)]
    assert len(refunds) == 12, [o for o in outcomes if not isinstance(o, Refund)]
    assert len({r.id for r in refunds}) == 1
    count = (
        await query(world, "SELECT count(*) FROM refunds WHERE order_id = :o", o=order.id)
    ).scalar_one()
    keys = (
        await query(
            world, "SELECT count(*) FROM idempotency_keys WHERE scope = :s", s=customer.user_id
        )
    ).scalar_one()
    assert (count, keys) == (1, 1)
    other = RefundRequest(RefundReason.DEFECTIVE, amount=5001)
    with pytest.raises(IdempotencyKeyReused):
        await request_refund(world.services, customer, case.id, other, idempotency_key="once")


async def test_the_job_statuses_are_guarded_by_the_database(world: SqlWorld) -> None:
    (refund_id,) = await seed_approved_refunds(world, 1)
    async with world.services.uow() as uow:
        with pytest.raises(IntegrityError):
            await uow.session.execute(  # type: ignore[attr-defined]
                text("UPDATE refund_jobs SET status = 'LOST' WHERE refund_id = :id"),
                {"id": refund_id},
            )
    async with world.services.uow() as uow:
        with pytest.raises(IntegrityError):  # a lease has an owner and an end, or neither
            await uow.session.execute(  # type: ignore[attr-defined]
                text("UPDATE refund_jobs SET lease_owner = 'x' WHERE refund_id = :id"),
                {"id": refund_id},
            )
    assert [row["status"] for row in await job_rows(world, refund_id)] == [
        RefundJobStatus.PENDING.value
    ]
