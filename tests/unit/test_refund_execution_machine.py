"""A Hypothesis state machine over refund money movement, on the memory adapters and the payment
gateway simulator's state: requests, decisions, cancellations, agent retries, worker steps by
several workers, workers that die mid-way (a claimed job abandoned before or after the gateway
paid), gateway faults (5xx, resets, timeouts after committing, declines) and the clock.

Invariants, after every step:
- the money held (succeeded + in flight) never exceeds the order total, and the ledger agrees;
- at most one payout per refund, whatever its attempts; a SUCCEEDED refund has exactly one, of its
  amount; a refund that is not PROCESSING or SUCCEEDED has none;
- a PROCESSING refund always has a live (PENDING) job for its current attempt.
At the end, once faults stop and the workers drain: every approved refund is SUCCEEDED or FAILED.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from datetime import timedelta
from typing import Any, TypeVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from adapters.payment_gateway.simulator import FaultMode
from domain.cases import CaseCategory, CaseStatus
from domain.errors import DomainError
from domain.refund_jobs import RefundJobStatus
from domain.refunds import RefundPolicy, RefundReason, RefundRequest, RefundStatus
from domain.usecases.approve_refund import approve_refund
from domain.usecases.cancel_refund import cancel_refund
from domain.usecases.change_case_status import change_case_status
from domain.usecases.execute_refund import (
    claim_refund_job,
    execute_refund_job,
    run_next_refund_job,
)
from domain.usecases.open_case import OpenCase, open_case
from domain.usecases.reject_refund import reject_refund
from domain.usecases.request_refund import request_refund
from domain.usecases.retry_refund import retry_refund
from tests.unit.builders import NOW, ORDER_120, make_world
from tests.unit.gateway import SimulatorGateway, with_gateway

T = TypeVar("T")

FAULTS = [
    FaultMode.NONE,
    FaultMode.ERROR_5XX,
    FaultMode.RESET_BEFORE_COMMIT,
    FaultMode.RESET_AFTER_COMMIT,
    FaultMode.TIMEOUT_AFTER_COMMIT,
    FaultMode.DECLINE,
]


class Crash(BaseException):
    """The worker process dies (not an Exception: nothing in the worker may catch it)."""


class RefundMoneyMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.w = make_world(NOW, refund_policy=RefundPolicy(requests_per_day=1000))
        self.gateway = SimulatorGateway()
        self.w.services = with_gateway(self.w.services, self.gateway)
        self.services = self.w.services
        self.order = self.w.orders.orders[ORDER_120]
        self.case_id = self.run(
            open_case(
                self.services,
                self.w.alice,
                OpenCase(
                    subject="Broken",
                    description="Broken in transit",
                    category=CaseCategory.REFUND_REQUEST,
                    order_id=ORDER_120,
                ),
            )
        ).id
        self.refund_ids: list[str] = []
        self.crashes = 0

    def run(self, work: Awaitable[T]) -> T:
        return self.loop.run_until_complete(work)

    def attempt(self, work: Awaitable[Any]) -> None:
        """Run a use case whose business refusals are fine outcomes."""
        with contextlib.suppress(DomainError):
            self.run(work)

    def pick(self, index: int) -> str:
        return self.refund_ids[index % len(self.refund_ids)]

    # -- the people -------------------------------------------------------------------------------

    @rule(amount=st.sampled_from([300, 1999, 2500, 3000, 4000, 7500, 9000, 12000]))
    def customer_requests(self, amount: int) -> None:
        try:
            refund = self.run(
                request_refund(
                    self.services,
                    self.w.alice,
                    self.case_id,
                    RefundRequest(RefundReason.DAMAGED, amount=amount),
                )
            )
        except DomainError:
            return
        self.refund_ids.append(refund.id)

    @precondition(lambda self: self.refund_ids)
    @rule(index=st.integers(0, 50), admin=st.booleans())
    def agent_approves(self, index: int, admin: bool) -> None:
        who = self.w.admin if admin else self.w.agent
        self.attempt(approve_refund(self.services, who, self.pick(index), None))

    @precondition(lambda self: self.refund_ids)
    @rule(index=st.integers(0, 50))
    def agent_rejects(self, index: int) -> None:
        self.attempt(reject_refund(self.services, self.w.agent, self.pick(index), "No"))

    @precondition(lambda self: self.refund_ids)
    @rule(index=st.integers(0, 50))
    def customer_cancels(self, index: int) -> None:
        self.attempt(cancel_refund(self.services, self.w.alice, self.pick(index)))

    @precondition(lambda self: self.refund_ids)
    @rule(index=st.integers(0, 50))
    def agent_retries(self, index: int) -> None:
        self.attempt(retry_refund(self.services, self.w.agent, self.pick(index)))

    @rule()
    def agent_resolves_the_case(self) -> None:
        self.attempt(
            change_case_status(self.services, self.w.agent, self.case_id, CaseStatus.RESOLVED)
        )

    # -- the workers, the gateway, time ------------------------------------------------------------

    @rule(owner=st.sampled_from(["worker-a", "worker-b"]))
    def worker_step(self, owner: str) -> None:
        self.run(run_next_refund_job(self.services, owner))

    @rule(stage=st.sampled_from(["claimed", "in_call", "answered"]))
    def worker_dies_mid_way(self, stage: str) -> None:
        self.crashes += 1
        owner = f"doomed-{self.crashes}"
        job = self.run(claim_refund_job(self.services, owner))
        if job is None or stage == "claimed":
            return  # died right after claiming (or found nothing)

        def die_in_call(key: str) -> None:
            raise Crash(key)  # the request reached the gateway; nothing was processed

        def die_after_answer(name: str, key: str) -> None:
            if name == "answered":
                raise Crash(key)  # the gateway answered; nothing was recorded

        if stage == "in_call":
            self.gateway.during_call = die_in_call
        try:
            self.run(execute_refund_job(self.services, job, owner, checkpoint=die_after_answer))
        except Crash:
            pass
        finally:
            self.gateway.during_call = None

    @rule(
        mode=st.sampled_from(FAULTS),
        times=st.sampled_from([1, 2, None]),
        reason=st.sampled_from(["card_expired", "do_not_honor"]),
    )
    def gateway_fault(self, mode: FaultMode, times: int | None, reason: str) -> None:
        if mode is FaultMode.NONE:
            self.gateway.state.clear_faults()
        else:
            self.gateway.state.set_fault(mode, times=times, decline_reason=reason)

    @rule(seconds=st.sampled_from([1, 30, 61, 400]))
    def time_passes(self, seconds: int) -> None:
        self.w.clock.advance(seconds=seconds)

    # -- invariants ------------------------------------------------------------------------------

    @invariant()
    def never_more_than_the_order_total(self) -> None:
        refunds = list(self.w.store.refunds.values())
        held = sum(r.amount.amount for r in refunds if r.status.holds_money)
        assert held <= self.order.total.amount
        reserved = self.w.store.reserved(ORDER_120)
        assert (reserved.amount if reserved is not None else 0) == held

    @invariant()
    def at_most_one_payout_per_refund(self) -> None:
        payouts: dict[str, int] = {}
        for payout in self.gateway.state.payouts:
            refund_id = payout.idempotency_key.split(":")[0]
            payouts[refund_id] = payouts.get(refund_id, 0) + 1
            refund = self.w.store.refunds[refund_id]
            assert payout.amount == refund.amount.amount
        for refund in self.w.store.refunds.values():
            count = payouts.get(refund.id, 0)
            assert count <= 1, (refund, count)
            if refund.status is RefundStatus.SUCCEEDED:
                assert count == 1, refund
            elif refund.status is not RefundStatus.PROCESSING:
                assert count == 0, refund

    @invariant()
    def processing_refunds_have_a_live_job(self) -> None:
        jobs = self.w.store.refund_jobs
        for refund in self.w.store.refunds.values():
            job = jobs.get(f"{refund.id}:{refund.attempt}")
            if refund.status in (RefundStatus.APPROVED, RefundStatus.PROCESSING):
                assert job is not None and job.status is RefundJobStatus.PENDING, (refund, job)
            elif refund.status in (RefundStatus.SUCCEEDED, RefundStatus.FAILED):
                assert job is not None and job.status is RefundJobStatus.DONE, (refund, job)
            else:
                assert job is None, (refund, job)

    def teardown(self) -> None:
        try:
            # Faults stop; every lease and backoff runs out; the workers drain.
            self.gateway.state.clear_faults()
            for _ in range(10):
                self.w.clock.advance(seconds=3600)
                while self.run(run_next_refund_job(self.services, "healthy")) is not None:
                    pass
            for refund in self.w.store.refunds.values():
                if refund.approval is not None and refund.status is not RefundStatus.REJECTED:
                    assert refund.status in (RefundStatus.SUCCEEDED, RefundStatus.FAILED), refund
            assert all(j.status is RefundJobStatus.DONE for j in self.w.store.refund_jobs.values())
            self.at_most_one_payout_per_refund()
            self.never_more_than_the_order_total()
            # Cases: no refund left executing, so no refund keeps the SLA clock stopped.
            case = self.w.store.cases[self.case_id]
            assert not any(r.startswith("REFUND:") for r in case.sla_pause_reasons)
        finally:
            self.loop.close()


RefundMoneyMachine.TestCase.settings = settings(
    max_examples=60,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestRefundMoney = RefundMoneyMachine.TestCase


def test_time_never_reaches_the_give_up_age() -> None:
    """The machine's clock stays far below the job give-up age, so "eventually SUCCEEDED or
    FAILED" is what must happen (a DEAD job would be a failure of the machine's teardown)."""
    steps, slowest = 40, timedelta(seconds=400)
    assert NOW + steps * slowest + 10 * timedelta(hours=1) - NOW < timedelta(hours=20)
