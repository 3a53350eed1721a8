"""Refund execution: the rest of the refund status machine, the outbox job, the worker's use case
(claim -> submit -> gateway -> record), retries, idempotent requests. Memory adapters, no I/O."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from datetime import timedelta

import pytest

from adapters.payment_gateway.simulator import FaultMode
from domain.cases import (
    SLA_WAITING_ON_CUSTOMER,
    CaseCategory,
    CaseRules,
    CaseStatus,
    SupportCase,
    refund_pause_reason,
)
from domain.errors import (
    Forbidden,
    IdempotencyKeyReused,
    InvalidTransition,
    RefundDenial,
    RefundNotAllowed,
    ValidationFailed,
)
from domain.events import CaseEventType as E
from domain.refund_jobs import (
    RefundExecutionPolicy,
    RefundJob,
    RefundJobStatus,
    backoff_delay,
    idempotency_key,
)
from domain.refunds import (
    NO_DECLINE_REASON,
    Refund,
    RefundApproval,
    RefundReason,
    RefundRequest,
    RefundStatus,
)
from domain.usecases.approve_refund import approve_refund
from domain.usecases.cancel_refund import cancel_refund
from domain.usecases.change_case_status import change_case_status
from domain.usecases.execute_refund import (
    JobOutcome,
    claim_refund_job,
    drain_refund_jobs,
    execute_refund_job,
    run_next_refund_job,
)
from domain.usecases.open_case import OpenCase, open_case
from domain.usecases.reject_refund import reject_refund
from domain.usecases.request_refund import request_refund
from domain.usecases.retry_refund import retry_refund
from domain.users import Principal, Role
from tests.unit.builders import (
    AGENT_ID,
    NOW,
    ORDER_120,
    ORDER_SMALL,
    World,
    make_world,
    opened_case,
    usd,
)
from tests.unit.gateway import SimulatorGateway, with_gateway

AGENT = Principal(user_id=AGENT_ID, role=Role.AGENT, session_id="s-agent")
CUSTOMER = Principal(user_id="user-alice", role=Role.CUSTOMER, session_id="s-alice")
H = timedelta(hours=1)

# -- the aggregate ----------------------------------------------------------------------------


def refund_in(status: RefundStatus, *, attempt: int = 1) -> Refund:
    return Refund(
        id="refund-1",
        case_id="case-1",
        order_id=ORDER_120,
        customer_id="user-alice",
        amount=usd(4000),
        reason=RefundReason.DAMAGED,
        status=status,
        created_at=NOW,
        updated_at=NOW,
        requested_by_id="user-alice",
        attempt=attempt,
    )


def types(refund: Refund) -> list[tuple[E, str | None]]:
    return [(e.type, e.actor_id) for e in refund.pull_events()]


def test_queue_payment_writes_the_first_attempts_job_and_a_queued_event() -> None:
    refund = refund_in(RefundStatus.APPROVED)
    job = refund.queue_payment(payment_reference="pay_1", actor_id=AGENT_ID, now=NOW)
    assert (job.refund_id, job.attempt, job.idempotency_key) == ("refund-1", 1, "refund-1:1")
    assert job.id == job.idempotency_key == refund.idempotency_key
    assert (job.amount, job.payment_reference, job.run_after) == (usd(4000), "pay_1", NOW)
    assert job.status is RefundJobStatus.PENDING and job.claimable(NOW)
    assert refund.status is RefundStatus.APPROVED  # queued is not a status of its own
    assert types(refund) == [(E.REFUND_QUEUED, AGENT_ID)]


@pytest.mark.parametrize("status", [s for s in RefundStatus if s is not RefundStatus.APPROVED])
def test_only_an_approved_refund_is_queued(status: RefundStatus) -> None:
    refund = refund_in(status)
    with pytest.raises(InvalidTransition):
        refund.queue_payment(payment_reference="pay_1", actor_id=None, now=NOW)
    assert refund.pull_events() == []


def test_approved_to_processing_once() -> None:
    refund = refund_in(RefundStatus.APPROVED)
    assert refund.start_processing(attempt=1, now=NOW + H) is True
    assert refund.status is RefundStatus.PROCESSING and refund.updated_at == NOW + H
    events = refund.pull_events()
    assert [(e.type, e.actor_id, e.before, e.after) for e in events] == [
        (E.REFUND_PROCESSING, None, RefundStatus.APPROVED, RefundStatus.PROCESSING)
    ]
    # A worker taking the job over finds it PROCESSING already: nothing changes, no event.
    assert refund.start_processing(attempt=1, now=NOW + 2 * H) is False
    assert refund.pull_events() == [] and refund.updated_at == NOW + H


@pytest.mark.parametrize(
    "status",
    [RefundStatus.REQUESTED, RefundStatus.REJECTED, RefundStatus.CANCELLED]
    + [RefundStatus.SUCCEEDED, RefundStatus.FAILED],
)
def test_processing_only_from_approved(status: RefundStatus) -> None:
    refund = refund_in(status)
    with pytest.raises(InvalidTransition) as info:
        refund.start_processing(attempt=1, now=NOW)
    assert (info.value.from_state, info.value.to_state) == (status, RefundStatus.PROCESSING)
    assert refund.status is status


def test_a_job_of_another_attempt_cannot_move_the_refund() -> None:
    refund = refund_in(RefundStatus.PROCESSING, attempt=2)
    for change in (
        lambda: refund.start_processing(attempt=1, now=NOW),
        lambda: refund.succeed(attempt=1, gateway_refund_id="re_1", now=NOW),
        lambda: refund.fail(attempt=3, reason="no", now=NOW),
    ):
        with pytest.raises(InvalidTransition):
            change()
    assert refund.status is RefundStatus.PROCESSING


def test_processing_to_succeeded_keeps_the_gateways_id() -> None:
    refund = refund_in(RefundStatus.PROCESSING)
    refund.succeed(attempt=1, gateway_refund_id="re_123", now=NOW + H)
    assert refund.status is RefundStatus.SUCCEEDED and refund.gateway_refund_id == "re_123"
    assert refund.status.holds_money
    assert types(refund) == [(E.REFUND_SUCCEEDED, None)]
    with pytest.raises(ValueError):
        refund_in(RefundStatus.PROCESSING).succeed(attempt=1, gateway_refund_id="", now=NOW)


def test_processing_to_failed_with_the_gateways_reason() -> None:
    refund = refund_in(RefundStatus.PROCESSING)
    refund.fail(attempt=1, reason="  card\nexpired ", now=NOW + H)
    assert refund.status is RefundStatus.FAILED and refund.failure_reason == "card expired"
    assert not refund.status.holds_money  # its money is free again
    events = refund.pull_events()
    assert [(e.type, e.actor_id) for e in events] == [(E.REFUND_FAILED, None)]
    assert "card expired" in events[0].summary


def test_a_decline_without_a_reason_says_so_and_long_reasons_are_cut() -> None:
    silent = refund_in(RefundStatus.PROCESSING)
    silent.fail(attempt=1, reason=None, now=NOW)
    assert silent.failure_reason == NO_DECLINE_REASON
    wordy = refund_in(RefundStatus.PROCESSING)
    wordy.fail(attempt=1, reason="x" * 5000, now=NOW)
    assert wordy.failure_reason is not None and len(wordy.failure_reason) == 1000
    assert all(len(e.summary) <= 1000 for e in wordy.pull_events())


@pytest.mark.parametrize("status", [s for s in RefundStatus if s is not RefundStatus.PROCESSING])
def test_only_processing_refunds_succeed_or_fail(status: RefundStatus) -> None:
    refund = refund_in(status)
    with pytest.raises(InvalidTransition):
        refund.succeed(attempt=1, gateway_refund_id="re_1", now=NOW)
    with pytest.raises(InvalidTransition):
        refund.fail(attempt=1, reason="no", now=NOW)
    assert refund.status is status and refund.pull_events() == []


def test_retry_a_failed_refund_is_a_new_attempt_processing_at_once() -> None:
    refund = refund_in(RefundStatus.PROCESSING)
    refund.fail(attempt=1, reason="insufficient funds", now=NOW)
    refund.pull_events()
    job = refund.retry(by=AGENT, payment_reference="pay_1", now=NOW + H)
    assert refund.status is RefundStatus.PROCESSING and refund.attempt == 2
    assert refund.failure_reason is None
    assert (job.attempt, job.idempotency_key) == (2, "refund-1:2")
    assert refund.idempotency_key == "refund-1:2" != idempotency_key("refund-1", 1)
    events = refund.pull_events()
    assert [(e.type, e.actor_id, e.before, e.after) for e in events] == [
        (E.REFUND_RETRIED, AGENT_ID, RefundStatus.FAILED, RefundStatus.PROCESSING)
    ]
    assert "insufficient funds" in events[0].summary and "attempt 2" in events[0].summary
    # ...and the second attempt succeeds.
    refund.succeed(attempt=2, gateway_refund_id="re_2", now=NOW + 2 * H)
    assert refund.status is RefundStatus.SUCCEEDED


@pytest.mark.parametrize("status", [s for s in RefundStatus if s is not RefundStatus.FAILED])
def test_only_failed_refunds_are_retried(status: RefundStatus) -> None:
    refund = refund_in(status)
    with pytest.raises(InvalidTransition):
        refund.retry(by=AGENT, payment_reference="pay_1", now=NOW)
    assert refund.status is status and refund.attempt == 1


def test_customers_do_not_retry() -> None:
    refund = refund_in(RefundStatus.FAILED)
    with pytest.raises(Forbidden):
        refund.retry(by=CUSTOMER, payment_reference="pay_1", now=NOW)


@pytest.mark.parametrize(
    "status", [RefundStatus.PROCESSING, RefundStatus.SUCCEEDED, RefundStatus.FAILED]
)
def test_a_refund_in_execution_can_no_longer_be_decided_or_cancelled(
    status: RefundStatus,
) -> None:
    refund = refund_in(status)
    with pytest.raises(InvalidTransition):
        refund.approve(approval=RefundApproval.AGENT, decided_by_id=AGENT_ID, note=None, now=NOW)
    with pytest.raises(InvalidTransition):
        refund.reject(decided_by=AGENT, note="no", now=NOW)
    with pytest.raises(InvalidTransition):
        refund.cancel(by=CUSTOMER, now=NOW)


def test_job_lease_rules() -> None:
    job = RefundJob.first_attempt(refund_id="r", payment_reference="pay", amount=usd(100), now=NOW)
    assert job.claimable(NOW) and not job.claimable(NOW - timedelta(seconds=1))
    leased = dataclasses.replace(job, lease_owner="w1", lease_until=NOW + H)
    assert not leased.claimable(NOW + H) and leased.claimable(NOW + H + timedelta(microseconds=1))
    assert leased.leased_by("w1", NOW) and not leased.leased_by("w2", NOW)
    done = dataclasses.replace(job, status=RefundJobStatus.DONE)
    assert not done.claimable(NOW + 100 * H)
    with pytest.raises(ValueError):
        RefundJob.for_attempt(
            refund_id="r", attempt=0, payment_reference="p", amount=usd(1), now=NOW
        )
    with pytest.raises(ValueError):
        RefundJob.first_attempt(refund_id="r", payment_reference="", amount=usd(1), now=NOW)


def test_backoff_grows_exponentially_with_jitter_up_to_the_cap() -> None:
    policy = RefundExecutionPolicy(
        backoff_base=timedelta(seconds=1), backoff_cap=timedelta(seconds=60)
    )

    def delay(tries: int, fraction: float, hint: float | None = None) -> float:
        return backoff_delay(policy, tries, fraction, hint).total_seconds()

    assert [delay(n, 0.0) for n in (1, 2, 3, 4)] == [0.5, 1.0, 2.0, 4.0]
    assert [delay(n, 1.0) for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 8.0]
    assert 0.5 < delay(1, 0.5) < 1.0  # jitter: somewhere in the upper half
    assert delay(7, 0.0) == 30.0 and delay(7, 1.0) == 60.0  # capped
    assert delay(10_000, 1.0) == 60.0  # no overflow
    assert delay(1, 0.0, hint=5) == 5.0  # the gateway's Retry-After, when longer
    assert delay(1, 0.0, hint=600) == 60.0  # ...but never past the cap
    with pytest.raises(ValueError):
        backoff_delay(policy, 0, 0.5)
    with pytest.raises(ValueError):
        RefundExecutionPolicy(backoff_base=timedelta(seconds=10), backoff_cap=timedelta(seconds=1))


# -- the SLA clock: two pause reasons ---------------------------------------------------------


def open_case_at(status: CaseStatus) -> SupportCase:
    case = opened_case()
    case.status = status
    return case


def test_refund_and_waiting_pauses_do_not_clobber_each_other() -> None:
    case = open_case_at(CaseStatus.IN_PROGRESS)
    due = case.resolution_due_at
    reason = refund_pause_reason("r1")
    case.pause_sla(NOW + H, reason)  # a refund starts processing
    agent = Principal(user_id="a", role=Role.AGENT, session_id="s")
    case.change_status(
        CaseStatus.WAITING_ON_CUSTOMER, actor=agent, now=NOW + 2 * H, rules=CaseRules()
    )
    assert case.sla_pause_reasons == {reason, SLA_WAITING_ON_CUSTOMER}
    # The customer answers: waiting is over, but the refund still runs: the clock stays stopped.
    case.change_status(CaseStatus.IN_PROGRESS, actor=agent, now=NOW + 3 * H, rules=CaseRules())
    assert case.paused_since == NOW + H and case.sla_pause_reasons == {reason}
    case.resume_sla(NOW + 5 * H, reason)  # the refund succeeded
    assert case.paused_since is None and case.sla_pause_reasons == set()
    assert case.paused_seconds == 4 * 3600 and case.resolution_due_at == due + 4 * H


def test_two_refunds_of_one_case_pause_until_both_are_done() -> None:
    case = open_case_at(CaseStatus.OPEN)
    case.pause_sla(NOW, refund_pause_reason("r1"))
    case.pause_sla(NOW + H, refund_pause_reason("r2"))
    case.pause_sla(NOW + H, refund_pause_reason("r2"))  # again (a takeover): no effect
    case.resume_sla(NOW + 2 * H, refund_pause_reason("r1"))
    assert case.paused_since == NOW
    case.resume_sla(NOW + 3 * H, refund_pause_reason("r2"))
    assert case.paused_since is None and case.paused_seconds == 3 * 3600
    case.resume_sla(NOW + 4 * H, refund_pause_reason("r2"))  # not paused: no effect
    assert case.paused_seconds == 3 * 3600


# -- the use cases, over the memory adapters ------------------------------------------------------


@dataclasses.dataclass
class Env:
    w: World
    gateway: SimulatorGateway

    @property
    def services(self):  # type: ignore[no-untyped-def]
        return self.w.services

    def refund(self, refund_id: str) -> Refund:
        return self.w.store.refunds[refund_id]

    def jobs(self, refund_id: str) -> list[RefundJob]:
        return sorted(
            (j for j in self.w.store.refund_jobs.values() if j.refund_id == refund_id),
            key=lambda j: j.attempt,
        )

    def events(self, refund_id: str) -> list[tuple[E, str | None]]:
        return [(e.type, e.actor_id) for e in self.w.store.events if e.refund_id == refund_id]

    async def drain(self, owner: str = "worker-1") -> int:
        return await drain_refund_jobs(self.services, owner)


@pytest.fixture
def env() -> Env:
    world = make_world(NOW)
    gateway = SimulatorGateway()
    world.services = with_gateway(world.services, gateway)
    return Env(world, gateway)


async def open_for(env: Env, order_id: str = ORDER_120) -> SupportCase:
    return await open_case(
        env.services,
        env.w.alice,
        OpenCase(
            subject="Broken",
            description="It arrived broken.",
            category=CaseCategory.REFUND_REQUEST,
            order_id=order_id,
        ),
    )


async def approved_refund(env: Env, amount: int = 4000, order_id: str = ORDER_120) -> Refund:
    case = await open_for(env, order_id)
    refund = await request_refund(
        env.services, env.w.alice, case.id, RefundRequest(RefundReason.DAMAGED, amount=amount)
    )
    if refund.status is RefundStatus.REQUESTED:
        refund = await approve_refund(env.services, env.w.agent, refund.id, None)
    assert refund.status is RefundStatus.APPROVED
    return refund


async def test_approval_writes_the_job_in_the_same_transaction(env: Env) -> None:
    commits = env.w.store.commits
    refund = await approved_refund(env)
    (job,) = env.jobs(refund.id)
    assert (job.attempt, job.status, job.amount) == (1, RefundJobStatus.PENDING, usd(4000))
    assert job.payment_reference == f"pay_{ORDER_120}"
    assert env.events(refund.id)[-2:] == [
        (E.REFUND_APPROVED, AGENT_ID),
        (E.REFUND_QUEUED, AGENT_ID),
    ]
    approval_commit = [e for e in env.w.store.events if e.refund_id == refund.id][-2:]
    assert approval_commit[0].sequence + 1 == approval_commit[1].sequence  # type: ignore[operator]
    assert env.w.store.commits > commits


async def test_a_failed_approval_writes_no_job(env: Env) -> None:
    case = await open_for(env)
    refund = await request_refund(
        env.services, env.w.alice, case.id, RefundRequest(RefundReason.DAMAGED, amount=4000)
    )
    await reject_refund(env.services, env.w.agent, refund.id, "Not covered")
    with pytest.raises(InvalidTransition):
        await approve_refund(env.services, env.w.agent, refund.id, None)
    assert env.jobs(refund.id) == []


async def test_two_agents_approving_at_once_make_one_decision_and_one_job(env: Env) -> None:
    case = await open_for(env)
    refund = await request_refund(
        env.services, env.w.alice, case.id, RefundRequest(RefundReason.DAMAGED, amount=4000)
    )
    outcomes = await asyncio.gather(
        approve_refund(env.services, env.w.agent, refund.id, None),
        approve_refund(env.services, env.w.sam, refund.id, None),
        return_exceptions=True,
    )
    assert sum(isinstance(o, Refund) for o in outcomes) == 1, outcomes
    assert len(env.jobs(refund.id)) == 1
    assert await env.drain() == 1
    assert env.gateway.payouts_for_refund(refund.id) == 1


async def test_the_automatic_policy_queues_its_approval_too(env: Env) -> None:
    case = await open_for(env, ORDER_SMALL)
    refund = await request_refund(
        env.services, env.w.alice, case.id, RefundRequest(RefundReason.DAMAGED, amount=1999)
    )
    assert refund.approval is RefundApproval.AUTO_POLICY
    assert [j.attempt for j in env.jobs(refund.id)] == [1]
    assert env.events(refund.id)[-1] == (E.REFUND_QUEUED, None)
    await env.drain()
    assert env.refund(refund.id).status is RefundStatus.SUCCEEDED


async def test_a_requested_refund_has_no_job(env: Env) -> None:
    case = await open_for(env)
    refund = await request_refund(
        env.services, env.w.alice, case.id, RefundRequest(RefundReason.DAMAGED, amount=4000)
    )
    assert env.jobs(refund.id) == []
    assert await claim_refund_job(env.services, "w") is None


async def test_the_worker_pays_an_approved_refund_once(env: Env) -> None:
    refund = await approved_refund(env)
    case_id = refund.case_id
    seen: list[tuple[RefundStatus, frozenset[str], bool]] = []

    def during_call(key: str) -> None:  # what the database holds while the gateway is called
        case = env.w.store.cases[case_id]
        seen.append(
            (
                env.refund(refund.id).status,
                frozenset(case.sla_pause_reasons),
                case.paused_since is not None,
            )
        )

    env.gateway.during_call = during_call
    result = await run_next_refund_job(env.services, "worker-1")
    assert result is not None and result.outcome is JobOutcome.SUCCEEDED
    assert seen == [(RefundStatus.PROCESSING, frozenset({refund_pause_reason(refund.id)}), True)]
    paid = env.refund(refund.id)
    assert paid.status is RefundStatus.SUCCEEDED and paid.gateway_refund_id is not None
    assert paid.gateway_refund_id == env.gateway.state.payouts[0].refund_id
    assert env.gateway.state.payout_count(f"{refund.id}:1") == 1
    assert env.w.store.cases[case_id].paused_since is None  # the SLA clock runs again
    assert env.w.store.reserved(ORDER_120) == usd(4000)  # paid money stays held
    (job,) = env.jobs(refund.id)
    assert job.status is RefundJobStatus.DONE and job.lease_owner is None
    assert env.events(refund.id)[-2:] == [(E.REFUND_PROCESSING, None), (E.REFUND_SUCCEEDED, None)]
    published = {e.id for e in env.w.publisher.events}
    assert {e.id for e in env.w.store.events if e.refund_id == refund.id} <= published
    assert await run_next_refund_job(env.services, "worker-1") is None  # nothing left


async def test_one_log_line_per_gateway_call(env: Env, caplog: pytest.LogCaptureFixture) -> None:
    refund = await approved_refund(env)
    env.gateway.state.set_fault(FaultMode.ERROR_5XX, times=1)
    with caplog.at_level(logging.INFO, logger="refunds.worker"):
        await env.drain()
        env.w.clock.advance(minutes=10)
        await env.drain()
    calls = [r.getMessage() for r in caplog.records if "payment gateway call" in r.getMessage()]
    assert len(calls) == 2 == len(env.gateway.calls)
    assert f"refund={refund.id}" in calls[0] and "attempt=1" in calls[0]
    assert "outcome=UNKNOWN" in calls[0] and "outcome=SUCCEEDED" in calls[1]


async def test_a_decline_fails_the_refund_releases_its_money_and_reopens_the_case(env: Env) -> None:
    refund = await approved_refund(env)
    await change_case_status(env.services, env.w.agent, refund.case_id, CaseStatus.RESOLVED)
    env.gateway.state.set_fault(FaultMode.DECLINE, decline_reason="card_expired")
    result = await run_next_refund_job(env.services, "worker-1")
    assert result is not None and result.outcome is JobOutcome.FAILED
    failed = env.refund(refund.id)
    assert failed.status is RefundStatus.FAILED and failed.failure_reason == "card_expired"
    assert env.gateway.state.payout_count() == 0
    assert env.w.store.reserved(ORDER_120) == usd(0)  # released
    case = env.w.store.cases[refund.case_id]
    assert case.status is CaseStatus.OPEN and case.paused_since is None
    assert (E.REFUND_FAILED, None) in env.events(refund.id)
    reopened = [e for e in env.w.store.events if e.case_id == case.id][-1]
    assert (reopened.type, reopened.before, reopened.after) == (
        E.STATUS_CHANGED,
        CaseStatus.RESOLVED,
        CaseStatus.OPEN,
    )
    assert env.jobs(refund.id)[0].status is RefundJobStatus.DONE


async def test_an_agent_retries_a_failed_refund_with_a_new_key(env: Env) -> None:
    refund = await approved_refund(env)
    env.gateway.state.set_fault(FaultMode.DECLINE, decline_reason="do_not_honor")
    await env.drain()
    env.gateway.state.clear_faults()
    with pytest.raises(Forbidden):
        await retry_refund(env.services, env.w.alice, refund.id)
    retried = await retry_refund(env.services, env.w.agent, refund.id)
    assert retried.status is RefundStatus.PROCESSING and retried.attempt == 2
    assert env.w.store.reserved(ORDER_120) == usd(4000)  # reserved again
    assert [j.attempt for j in env.jobs(refund.id)] == [1, 2]
    case = env.w.store.cases[refund.case_id]
    assert case.sla_pause_reasons == {refund_pause_reason(refund.id)}
    await env.drain()
    paid = env.refund(refund.id)
    assert paid.status is RefundStatus.SUCCEEDED and paid.attempt == 2
    assert env.gateway.calls == [f"{refund.id}:1", f"{refund.id}:2"]
    assert env.gateway.payouts_for_refund(refund.id) == 1
    assert env.w.store.cases[refund.case_id].paused_since is None
    assert [t for t, _ in env.events(refund.id)] == [
        E.REFUND_REQUESTED,
        E.REFUND_APPROVED,
        E.REFUND_QUEUED,
        E.REFUND_PROCESSING,
        E.REFUND_FAILED,
        E.REFUND_RETRIED,  # FAILED -> PROCESSING: no second "submitted" step
        E.REFUND_SUCCEEDED,
    ]
    assert env.events(refund.id)[-2] == (E.REFUND_RETRIED, AGENT_ID)
    with pytest.raises(InvalidTransition):
        await retry_refund(env.services, env.w.agent, refund.id)  # SUCCEEDED: nothing to retry


async def test_a_retry_that_no_longer_fits_is_refused(env: Env) -> None:
    refund = await approved_refund(env, amount=10000)
    env.gateway.state.set_fault(FaultMode.DECLINE, times=1)
    await env.drain()
    assert env.refund(refund.id).status is RefundStatus.FAILED
    # Meanwhile the customer got most of the order back another way.
    other = await approved_refund(env, amount=9000)
    await env.drain()
    assert env.refund(other.id).status is RefundStatus.SUCCEEDED
    with pytest.raises(RefundNotAllowed) as info:
        await retry_refund(env.services, env.w.agent, refund.id)
    assert info.value.denial is RefundDenial.EXCEEDS_REFUNDABLE_AMOUNT
    unchanged = env.refund(refund.id)
    assert unchanged.status is RefundStatus.FAILED and unchanged.attempt == 1
    assert len(env.jobs(refund.id)) == 1
    assert env.w.store.reserved(ORDER_120) == usd(9000)


async def test_a_retry_needs_the_order(env: Env) -> None:
    refund = await approved_refund(env)
    env.gateway.state.set_fault(FaultMode.DECLINE, times=1)
    await env.drain()
    env.w.orders.down = True
    with pytest.raises(RefundNotAllowed) as info:
        await retry_refund(env.services, env.w.agent, refund.id)
    assert info.value.denial is RefundDenial.ORDER_UNAVAILABLE
    env.w.orders.down = False
    from domain.orders import OrderStatus

    env.w.orders.update(ORDER_120, status=OrderStatus.CANCELLED)
    with pytest.raises(RefundNotAllowed) as info:
        await retry_refund(env.services, env.w.agent, refund.id)
    assert info.value.denial is RefundDenial.ORDER_CANCELLED


@pytest.mark.parametrize(
    "fault", [FaultMode.ERROR_5XX, FaultMode.TIMEOUT_AFTER_COMMIT, FaultMode.RESET_AFTER_COMMIT]
)
async def test_an_unknown_outcome_is_retried_later_with_the_same_key(
    env: Env, fault: FaultMode
) -> None:
    refund = await approved_refund(env)
    env.gateway.state.set_fault(fault, times=2)
    result = await run_next_refund_job(env.services, "worker-1", random_fraction=lambda: 0.0)
    assert result is not None and result.outcome is JobOutcome.RETRY_LATER
    assert env.refund(refund.id).status is RefundStatus.PROCESSING  # never FAILED
    (job,) = env.jobs(refund.id)
    assert job.tries == 1 and job.lease_owner is None and job.last_error
    first_delay = job.run_after - NOW
    assert timedelta(seconds=0.5) <= first_delay <= timedelta(seconds=1)
    assert await claim_refund_job(env.services, "worker-2") is None  # not due yet
    env.w.clock.set(job.run_after)
    result = await run_next_refund_job(env.services, "worker-2", random_fraction=lambda: 0.0)
    assert result is not None and result.outcome is JobOutcome.RETRY_LATER
    (job,) = env.jobs(refund.id)
    assert job.tries == 2 and job.run_after - env.w.clock.now() >= first_delay  # backs off
    env.w.clock.set(job.run_after)
    await env.drain()
    assert env.refund(refund.id).status is RefundStatus.SUCCEEDED
    assert set(env.gateway.calls) == {f"{refund.id}:1"}  # one key, three calls
    assert env.gateway.payouts_for_refund(refund.id) == 1


async def test_the_gateway_rejecting_our_request_is_a_dead_job(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    refund = await approved_refund(env)
    # A bug: the key was used before with other parameters.
    await env.gateway.state.refund(
        idempotency_key=f"{refund.id}:1", payment_reference="other", amount=1, currency="USD"
    )
    with caplog.at_level(logging.INFO, logger="refunds.worker"):
        result = await run_next_refund_job(env.services, "worker-1")
    assert result is not None and result.outcome is JobOutcome.DEAD
    (job,) = env.jobs(refund.id)
    assert job.status is RefundJobStatus.DEAD and "idempotency_key_reused" in (job.last_error or "")
    assert env.refund(refund.id).status is RefundStatus.PROCESSING  # visible, stuck, not failed
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "BUG" in errors[0].getMessage()
    assert refund.id in errors[0].getMessage()
    assert await claim_refund_job(env.services, "worker-1") is None  # never retried by itself


async def test_a_dead_worker_s_job_is_taken_over_after_its_lease(env: Env) -> None:
    refund = await approved_refund(env)
    lease = env.services.refund_execution.lease
    job = await claim_refund_job(env.services, "worker-1")  # ...and worker-1 dies here
    assert job is not None and job.lease_owner == "worker-1" and job.claims == 1
    assert await claim_refund_job(env.services, "worker-2") is None  # leased
    env.w.clock.advance(seconds=lease.total_seconds())
    assert await claim_refund_job(env.services, "worker-2") is None  # lease_until still now
    env.w.clock.advance(seconds=1)
    taken = await claim_refund_job(env.services, "worker-2")
    assert taken is not None and taken.lease_owner == "worker-2" and taken.claims == 2
    assert taken.first_claimed_at == NOW
    result = await execute_refund_job(env.services, taken, "worker-2")
    assert result.outcome is JobOutcome.SUCCEEDED
    # The first worker, if it was only slow, finds the job gone.
    late = await execute_refund_job(env.services, job, "worker-1")
    assert late.outcome is JobOutcome.LOST
    assert env.gateway.payouts_for_refund(refund.id) == 1


async def test_a_worker_dying_after_the_gateway_paid_does_not_pay_twice(env: Env) -> None:
    refund = await approved_refund(env)
    job = await claim_refund_job(env.services, "worker-1")
    assert job is not None

    class Died(Exception):
        pass

    def die(name: str, key: str) -> None:
        if name == "answered":
            raise Died(key)

    with pytest.raises(Died):
        await execute_refund_job(env.services, job, "worker-1", checkpoint=die)
    assert env.gateway.payouts_for_refund(refund.id) == 1
    assert env.refund(refund.id).status is RefundStatus.PROCESSING
    env.w.clock.advance(seconds=env.services.refund_execution.lease.total_seconds() + 1)
    await env.drain("worker-2")
    assert env.refund(refund.id).status is RefundStatus.SUCCEEDED
    assert env.gateway.payouts_for_refund(refund.id) == 1
    assert env.gateway.state.replays == 1


async def test_shutting_down_releases_a_job_that_was_not_sent(env: Env) -> None:
    await approved_refund(env)
    result = await run_next_refund_job(env.services, "worker-1", should_stop=lambda: True)
    assert result is not None and result.outcome is JobOutcome.RELEASED
    assert env.gateway.calls == []
    again = await claim_refund_job(env.services, "worker-2")  # at once, no lease to wait for
    assert again is not None and again.claims == 2


async def test_an_outcome_unknown_for_too_long_is_a_dead_job(env: Env) -> None:
    refund = await approved_refund(env)
    env.gateway.state.set_fault(FaultMode.ERROR_5XX)
    policy = env.services.refund_execution
    for _ in range(400):
        result = await run_next_refund_job(env.services, "w")
        if result is not None and result.outcome is JobOutcome.DEAD:
            break
        env.w.clock.advance(seconds=policy.backoff_cap.total_seconds())
    else:
        pytest.fail("the job never gave up")
    assert env.w.clock.now() - NOW > policy.give_up_after
    assert env.jobs(refund.id)[0].status is RefundJobStatus.DEAD
    assert env.refund(refund.id).status is RefundStatus.PROCESSING


async def test_a_job_whose_refund_moved_on_is_closed_without_calling(env: Env) -> None:
    refund = await approved_refund(env)
    await env.drain()
    stale = dataclasses.replace(
        env.jobs(refund.id)[0], status=RefundJobStatus.PENDING, lease_owner="w", lease_until=NOW
    )
    env.w.store.refund_jobs[stale.id] = stale  # as if DONE had been lost
    calls = len(env.gateway.calls)
    result = await execute_refund_job(env.services, stale, "w")
    assert result.outcome is JobOutcome.SKIPPED and len(env.gateway.calls) == calls
    assert env.jobs(refund.id)[0].status is RefundJobStatus.DONE


async def test_cancelled_and_rejected_refunds_are_never_paid(env: Env) -> None:
    case = await open_for(env)
    r1 = await request_refund(
        env.services, env.w.alice, case.id, RefundRequest(RefundReason.DAMAGED, amount=3000)
    )
    await cancel_refund(env.services, env.w.alice, r1.id)
    r2 = await request_refund(
        env.services, env.w.alice, case.id, RefundRequest(RefundReason.DAMAGED, amount=3000)
    )
    await reject_refund(env.services, env.w.agent, r2.id, "no")
    assert await env.drain() == 0 and env.gateway.calls == []


# -- idempotent requests --------------------------------------------------------------------------


async def test_the_same_key_and_input_returns_the_first_refund(env: Env) -> None:
    case = await open_for(env)
    request = RefundRequest(RefundReason.DAMAGED, amount=3000)
    first = await request_refund(env.services, env.w.alice, case.id, request, idempotency_key="k1")
    # Even once the rules would refuse a new one (a refund of the order is pending now).
    again = await request_refund(env.services, env.w.alice, case.id, request, idempotency_key="k1")
    assert again.id == first.id and again.status is RefundStatus.REQUESTED
    assert len(env.w.store.refunds) == 1 and env.w.store.reserved(ORDER_120) == usd(3000)
    with pytest.raises(IdempotencyKeyReused):
        await request_refund(
            env.services,
            env.w.alice,
            case.id,
            RefundRequest(RefundReason.DAMAGED, amount=3001),
            idempotency_key="k1",
        )
    with pytest.raises(RefundNotAllowed):  # a new key is a new request
        await request_refund(env.services, env.w.alice, case.id, request, idempotency_key="k2")
    assert len(env.w.store.refunds) == 1


async def test_keys_belong_to_their_caller(env: Env) -> None:
    case = await open_for(env)
    request = RefundRequest(RefundReason.DAMAGED, amount=3000)
    mine = await request_refund(env.services, env.w.alice, case.id, request, idempotency_key="k")
    # The agent, using the same key for the same case, is another caller: a new request.
    with pytest.raises(RefundNotAllowed) as info:
        await request_refund(env.services, env.w.agent, case.id, request, idempotency_key="k")
    assert info.value.denial is RefundDenial.REFUND_ALREADY_PENDING
    assert mine.id in env.w.store.refunds


async def test_a_refused_request_is_not_remembered(env: Env) -> None:
    case = await open_for(env)
    too_much = RefundRequest(RefundReason.DAMAGED, amount=999_999)
    with pytest.raises(RefundNotAllowed):
        await request_refund(env.services, env.w.alice, case.id, too_much, idempotency_key="k")
    assert env.w.store.idempotency_keys == {}
    ok = RefundRequest(RefundReason.DAMAGED, amount=100)
    refund = await request_refund(env.services, env.w.alice, case.id, ok, idempotency_key="k")
    assert refund.amount == usd(100)


@pytest.mark.parametrize("key", ["", " ", "x" * 256, "naïve", "a b"])
async def test_invalid_keys_are_refused(env: Env, key: str) -> None:
    case = await open_for(env)
    with pytest.raises(ValidationFailed) as info:
        await request_refund(
            env.services,
            env.w.alice,
            case.id,
            RefundRequest(RefundReason.DAMAGED, amount=100),
            idempotency_key=key,
        )
    assert [f.field for f in info.value.fields] == ["idempotencyKey"]


async def test_parallel_identical_requests_make_one_refund(env: Env) -> None:
    case = await open_for(env)
    env.w.orders.latency = 0.001  # the requests interleave around the order system call
    request = RefundRequest(RefundReason.DAMAGED, amount=2500)
    results = await asyncio.gather(
        *(
            request_refund(env.services, env.w.alice, case.id, request, idempotency_key="same")
            for _ in range(10)
        )
    )
    assert len({r.id for r in results}) == 1
    assert len(env.w.store.refunds) == 1 and env.w.store.reserved(ORDER_120) == usd(2500)
