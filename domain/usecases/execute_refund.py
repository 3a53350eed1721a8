"""The refund worker's step: claim a job, submit the refund, pay it through the gateway, record.

Each stage is its own short transaction, and the payment gateway is called outside of any:

1. claim: lease one due job (domain.refund_jobs) to this worker;
2. submit: APPROVED -> PROCESSING (timeline event, the case's SLA clock pauses);
3. call the gateway with the job's idempotency key "{refund_id}:{attempt}" (no transaction open);
4. record the answer:
   - SUCCEEDED -> the refund SUCCEEDED (with the gateway's refund id), job DONE;
   - DECLINED (definite) -> the refund FAILED with the gateway's reason, its money released in the
     ledger, its case reopened if it was resolved, job DONE;
   - unknown (timeout, reset, 5xx: GatewayOutcomeUnknown) -> the job runs again later with the
     SAME key (capped exponential backoff with jitter); the refund stays PROCESSING, never FAILED;
   - GatewayRejectedRequest (our request is invalid: a bug) -> job DEAD, logged loudly; the refund
     stays PROCESSING, where agents find it (refunds(filter: {status: [PROCESSING]})).

A worker that dies anywhere loses nothing: its lease expires and another worker takes the job
over; the gateway answers the repeated key with its first result, so money moves at most once,
and an outcome is recorded only while the refund is still PROCESSING in that attempt.

`checkpoint(name, key)` is called at "claimed" (after the claim committed) and "answered" (after
the gateway answered, before recording), with the job's idempotency key: a test hook (the crash
tests kill the process there; "sent" is hit by the gateway's transport, app.main).
"""

from __future__ import annotations

import enum
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from domain.cases import refund_pause_reason
from domain.errors import ConcurrentUpdate
from domain.payments import (
    GatewayOutcomeUnknown,
    GatewayRefund,
    GatewayRejectedRequest,
    PaymentGateway,
)
from domain.refund_jobs import RefundJob, RefundJobStatus, backoff_delay, truncate_error
from domain.refunds import RefundStatus
from domain.request_context import request_id_scope
from domain.usecases.services import Services

log = logging.getLogger("refunds.worker")

CHECKPOINT_CLAIMED = "claimed"
CHECKPOINT_SENT = "sent"  # hit by the gateway transport once the request is on the wire
CHECKPOINT_ANSWERED = "answered"
CHECKPOINTS = (CHECKPOINT_CLAIMED, CHECKPOINT_SENT, CHECKPOINT_ANSWERED)

# checkpoint(name, idempotency key of the job in hand)
Checkpoint = Callable[[str, str], None]
RECORD_ATTEMPTS = 5


class JobOutcome(enum.StrEnum):
    SUCCEEDED = "SUCCEEDED"  # paid; refund SUCCEEDED
    FAILED = "FAILED"  # declined; refund FAILED
    RETRY_LATER = "RETRY_LATER"  # unknown outcome; same key later
    DEAD = "DEAD"  # needs a human
    SKIPPED = "SKIPPED"  # nothing to pay (the refund moved on), job closed
    LOST = "LOST"  # another worker holds the job now
    RELEASED = "RELEASED"  # shutting down: lease given back before calling the gateway
    UNRECORDED = "UNRECORDED"  # answered, but the outcome could not be stored (lease expires)


@dataclass(frozen=True, slots=True)
class JobResult:
    job: RefundJob
    outcome: JobOutcome
    detail: str | None = None


class _GatewayAnswer(enum.Enum):
    DEFINITE = "definite"
    UNKNOWN = "unknown"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class _Call:
    kind: _GatewayAnswer
    refund: GatewayRefund | None = None
    error: str | None = None
    retry_after_seconds: float | None = None


def _no_checkpoint(name: str, key: str) -> None:
    return None


def _never() -> bool:
    return False


async def claim_refund_job(services: Services, owner: str) -> RefundJob | None:
    """Stage 1: lease the next due job to `owner` (its own transaction)."""
    policy = services.refund_execution
    async with services.uow() as uow:
        job = await uow.refund_jobs.claim(
            owner=owner, now=services.clock.now(), lease_seconds=policy.lease.total_seconds()
        )
        await uow.commit()
    return job


async def run_next_refund_job(
    services: Services,
    owner: str,
    *,
    checkpoint: Checkpoint = _no_checkpoint,
    should_stop: Callable[[], bool] = _never,
    random_fraction: Callable[[], float] = random.random,
) -> JobResult | None:
    """Claim and execute one job; None when no job is due."""
    job = await claim_refund_job(services, owner)
    if job is None:
        return None
    # The job's lines carry the id of the request that caused it (domain.request_context).
    with request_id_scope(job.request_id):
        log.info(
            "refund job %s claimed by %s (claim %d, refund %s)",
            job.idempotency_key,
            owner,
            job.claims,
            job.refund_id,
        )
        checkpoint(CHECKPOINT_CLAIMED, job.idempotency_key)
        return await execute_refund_job(
            services,
            job,
            owner,
            checkpoint=checkpoint,
            should_stop=should_stop,
            random_fraction=random_fraction,
        )


async def drain_refund_jobs(services: Services, owner: str, *, max_jobs: int = 10_000) -> int:
    """Run due jobs until none is left (tests, tools); returns how many were run."""
    done = 0
    while done < max_jobs and await run_next_refund_job(services, owner) is not None:
        done += 1
    return done


async def execute_refund_job(
    services: Services,
    job: RefundJob,
    owner: str,
    *,
    checkpoint: Checkpoint = _no_checkpoint,
    should_stop: Callable[[], bool] = _never,
    random_fraction: Callable[[], float] = random.random,
) -> JobResult:
    """Stages 2-4 for a job that `owner` has claimed."""
    gateway = services.payments
    if gateway is None:
        raise RuntimeError("the refund worker needs a payment gateway (Services.payments)")
    early = await _submit(services, job, owner)
    if early is not None:
        return early
    if should_stop():
        return await _release(services, job, owner)
    call = await _call_gateway(gateway, job)
    checkpoint(CHECKPOINT_ANSWERED, job.idempotency_key)
    return await _record(services, job, owner, call, random_fraction())


# -- stage 2: submit ------------------------------------------------------------------------------


async def _submit(services: Services, job: RefundJob, owner: str) -> JobResult | None:
    """APPROVED -> PROCESSING; a result when there is nothing to send (else None)."""
    for _ in range(RECORD_ATTEMPTS):
        try:
            return await _submit_once(services, job, owner)
        except ConcurrentUpdate:
            continue
    return JobResult(job, JobOutcome.UNRECORDED, "could not mark the refund PROCESSING")


async def _submit_once(services: Services, job: RefundJob, owner: str) -> JobResult | None:
    now = services.clock.now()
    async with services.uow() as uow:
        current = await uow.refund_jobs.get(job.refund_id, job.attempt)
        if (
            current is None
            or current.lease_owner != owner
            or current.status is not RefundJobStatus.PENDING
        ):
            return JobResult(job, JobOutcome.LOST, "the job is no longer ours")
        refund = await uow.refunds.get(job.refund_id, for_update=True)
        if refund is None:
            await uow.refund_jobs.mark_dead(job, owner=owner, error="refund not found", now=now)
            await uow.commit()
            log.error("refund job %s: its refund does not exist; job marked DEAD", job.id)
            return JobResult(job, JobOutcome.DEAD, "refund not found")
        payable = refund.attempt == job.attempt and refund.status in (
            RefundStatus.APPROVED,
            RefundStatus.PROCESSING,
        )
        if not payable:
            # Its outcome was recorded already (or the refund moved on): nothing to send.
            await uow.refund_jobs.complete(job, now=now)
            await uow.commit()
            log.warning(
                "refund job %s skipped: refund is %s in attempt %d",
                job.id,
                refund.status,
                refund.attempt,
            )
            return JobResult(job, JobOutcome.SKIPPED, f"refund is {refund.status}")
        if refund.start_processing(attempt=job.attempt, now=now):
            case = await uow.cases.get(refund.case_id, for_update=True)
            if case is not None:
                case.pause_sla(now, refund_pause_reason(refund.id))
                await uow.cases.save(case)
            await uow.refunds.save(refund)
            await uow.commit()
    await services.publish(uow.committed_events)
    return None


async def _release(services: Services, job: RefundJob, owner: str) -> JobResult:
    async with services.uow() as uow:
        await uow.refund_jobs.release(job, owner=owner, now=services.clock.now())
        await uow.commit()
    log.info("refund job %s released (shutting down) before calling the gateway", job.id)
    return JobResult(job, JobOutcome.RELEASED)


# -- stage 3: the gateway -------------------------------------------------------------------------


async def _call_gateway(gateway: PaymentGateway, job: RefundJob) -> _Call:
    started = time.monotonic()
    call: _Call
    try:
        answer = await gateway.refund(
            payment_reference=job.payment_reference,
            amount=job.amount,
            idempotency_key=job.idempotency_key,
        )
        call = _Call(_GatewayAnswer.DEFINITE, refund=answer)
    except GatewayOutcomeUnknown as exc:
        call = _Call(
            _GatewayAnswer.UNKNOWN, error=str(exc), retry_after_seconds=exc.retry_after_seconds
        )
    except GatewayRejectedRequest as exc:
        call = _Call(_GatewayAnswer.REJECTED, error=str(exc))
    except Exception as exc:  # noqa: BLE001 - whatever it was, the refund may have happened
        call = _Call(_GatewayAnswer.UNKNOWN, error=f"unexpected {type(exc).__name__}: {exc}")
    elapsed_ms = round((time.monotonic() - started) * 1000)
    if call.refund is not None:
        outcome = call.refund.status.value
        detail = call.refund.reason or call.refund.gateway_refund_id
    else:
        outcome = "UNKNOWN" if call.kind is _GatewayAnswer.UNKNOWN else "REJECTED"
        detail = call.error or ""
    level = logging.ERROR if call.kind is _GatewayAnswer.REJECTED else logging.INFO
    log.log(
        level,
        "payment gateway call: refund=%s attempt=%d key=%s outcome=%s elapsed_ms=%d detail=%s%s",
        job.refund_id,
        job.attempt,
        job.idempotency_key,
        outcome,
        elapsed_ms,
        detail,
        " -- BUG: the gateway refused our request; job marked DEAD, refund left PROCESSING"
        if call.kind is _GatewayAnswer.REJECTED
        else "",
    )
    return call


# -- stage 4: record ------------------------------------------------------------------------------


async def _record(
    services: Services, job: RefundJob, owner: str, call: _Call, fraction: float
) -> JobResult:
    for _ in range(RECORD_ATTEMPTS):
        try:
            if call.kind is _GatewayAnswer.DEFINITE:
                assert call.refund is not None
                return await _record_definite(services, job, call.refund)
            if call.kind is _GatewayAnswer.REJECTED:
                return await _record_rejected(services, job, owner, call.error or "rejected")
            return await _record_unknown(services, job, owner, call, fraction)
        except ConcurrentUpdate:
            continue
    log.error("refund job %s: outcome could not be recorded; the lease will expire", job.id)
    return JobResult(job, JobOutcome.UNRECORDED, "concurrent updates")


async def _record_definite(services: Services, job: RefundJob, answer: GatewayRefund) -> JobResult:
    now = services.clock.now()
    outcome = JobOutcome.SUCCEEDED if answer.succeeded else JobOutcome.FAILED
    async with services.uow() as uow:
        refund = await uow.refunds.get(job.refund_id, for_update=True)
        recorded = False
        if (
            refund is not None
            and refund.status is RefundStatus.PROCESSING
            and refund.attempt == job.attempt
        ):
            case = await uow.cases.get(refund.case_id, for_update=True)
            if answer.succeeded:
                refund.succeed(
                    attempt=job.attempt, gateway_refund_id=answer.gateway_refund_id, now=now
                )
            else:
                refund.fail(attempt=job.attempt, reason=answer.reason, now=now)
                await uow.ledger.release(refund.order_id, refund.amount)
            # The refund's events go to the log before their consequence on the case.
            await uow.refunds.save(refund)
            if case is not None:
                case.resume_sla(now, refund_pause_reason(refund.id))
                if not answer.succeeded:
                    case.reopen_for_refund_failure(now=now)
                await uow.cases.save(case)
            recorded = True
        await uow.refund_jobs.complete(job, now=now)
        await uow.commit()
    await services.publish(uow.committed_events)
    if not recorded:
        return JobResult(job, JobOutcome.SKIPPED, "outcome recorded by another worker")
    return JobResult(job, outcome, answer.reason)


async def _record_rejected(services: Services, job: RefundJob, owner: str, error: str) -> JobResult:
    async with services.uow() as uow:
        await uow.refund_jobs.mark_dead(
            job,
            owner=owner,
            error=truncate_error(f"gateway rejected the request: {error}"),
            now=services.clock.now(),
        )
        await uow.commit()
    return JobResult(job, JobOutcome.DEAD, error)


async def _record_unknown(
    services: Services, job: RefundJob, owner: str, call: _Call, fraction: float
) -> JobResult:
    policy = services.refund_execution
    now = services.clock.now()
    error = truncate_error(call.error or "unknown outcome")
    started = job.first_claimed_at or now
    async with services.uow() as uow:
        if now - started > policy.give_up_after:
            # The gateway forgets keys after 24 h: retrying past that could pay twice.
            changed = await uow.refund_jobs.mark_dead(
                job,
                owner=owner,
                error=f"outcome still unknown after {now - started}: {error}",
                now=now,
            )
            outcome = JobOutcome.DEAD
            log.error(
                "refund %s attempt %d: gateway outcome unknown for %s; job marked DEAD, "
                "a human must check the gateway before anything else is done",
                job.refund_id,
                job.attempt,
                now - started,
            )
        else:
            delay = backoff_delay(policy, job.tries + 1, fraction, call.retry_after_seconds)
            changed = await uow.refund_jobs.reschedule(
                job, owner=owner, run_after=now + delay, error=error, now=now
            )
            outcome = JobOutcome.RETRY_LATER
        await uow.commit()
    if not changed:
        return JobResult(job, JobOutcome.LOST, "the job is no longer ours")
    return JobResult(job, outcome, error)
