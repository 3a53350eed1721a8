"""Operations: what is waiting in the queues, and an operator's hand on what got stuck.

- `refund_queue_depths`: refund jobs by state (metrics, the admins' `queueDepths`, the CLI);
- `dead_refund_jobs`: the DEAD jobs, a page at a time (admins, the CLI);
- `retry_dead_refund_job`: an admin (or the operator CLI) runs a DEAD job again: PENDING, due now,
  with the SAME idempotency key (the gateway answers a key it knows with its first result, for
  24 h), its give-up clock restarted. An operator decision: past the gateway's 24 h the same key
  could pay twice, so check at the gateway first (docs/operations.md). Audited.

Every admin action here is written to the audit log in the transaction of the change."""

from __future__ import annotations

import dataclasses
import uuid

from domain.admin import AUDIT_DETAIL_MAX, AdminActor, AuditAction, AuditEntry
from domain.errors import Forbidden, InvalidTransition, NotFound, ValidationFailed
from domain.ports import UnitOfWork
from domain.queries import Page, page_size
from domain.refund_jobs import RefundJob, RefundJobStatus, RefundQueueDepths
from domain.refunds import RefundStatus
from domain.usecases.services import Services
from domain.users import Role


async def refund_queue_depths(services: Services) -> RefundQueueDepths:
    async with services.uow() as uow:
        return await uow.refund_jobs.depths(services.clock.now())


def require_admin(actor: AdminActor) -> None:
    if actor.role is not Role.ADMIN:
        raise Forbidden("Only admins may do this")


async def audit(
    services: Services,
    uow: UnitOfWork,
    actor: AdminActor,
    action: AuditAction,
    **details: str,
) -> None:
    """An audit entry about something that is not a user (a job, a delivery)."""
    await uow.audit_log.add(audit_entry(services, actor, action, **details))


def audit_entry(
    services: Services, actor: AdminActor, action: AuditAction, **details: str
) -> AuditEntry:
    """The entry of an admin action on something that is not a user (no target user; the
    details name the target), each detail cut to AUDIT_DETAIL_MAX characters."""
    return AuditEntry(
        id=str(uuid.uuid4()),
        actor_id=actor.user_id,
        actor=actor.label,
        action=action,
        target_user_id=None,
        occurred_at=services.clock.now(),
        details={k: v[:AUDIT_DETAIL_MAX] for k, v in details.items()},
    )


def _job_cursor(after: str | None) -> tuple[str, int] | None:
    """A job's cursor is its id, `{refund_id}:{attempt}`."""
    if after is None:
        return None
    refund_id, sep, attempt = after.rpartition(":")
    if not sep or not refund_id or not attempt.isdigit() or len(after) > 200:
        raise ValidationFailed.single("after", "is not a cursor of this connection")
    return refund_id, int(attempt)


async def dead_refund_jobs(
    services: Services, actor: AdminActor, *, first: int | None, after: str | None = None
) -> Page[RefundJob]:
    require_admin(actor)
    size = page_size(first)
    key = _job_cursor(after)
    async with services.uow() as uow:
        jobs = await uow.refund_jobs.list_dead(limit=size + 1, after=key)
    items = jobs[:size]
    return Page(items=items, cursors=[j.id for j in items], has_next_page=len(jobs) > size)


async def dead_job_of(uow: UnitOfWork, refund_id: str) -> RefundJob | None:
    """The refund's latest job when it is DEAD (the refund then stays PROCESSING)."""
    jobs = await uow.refund_jobs.list_for_refund(refund_id)
    if jobs and jobs[-1].status is RefundJobStatus.DEAD:
        return jobs[-1]
    return None


async def retry_dead_refund_job(services: Services, actor: AdminActor, refund_id: str) -> RefundJob:
    """Runs the refund's DEAD job again (see the module docstring); returns it, PENDING."""
    require_admin(actor)
    async with services.uow() as uow:
        refund = await uow.refunds.get(refund_id, for_update=True)
        if refund is None:
            raise NotFound("Refund")
        job = await dead_job_of(uow, refund.id)
        if job is None or refund.status is not RefundStatus.PROCESSING:
            raise InvalidTransition("refund job", "not DEAD", "PENDING")
        now = services.clock.now()
        if not await uow.refund_jobs.requeue_dead(job, now=now):
            raise InvalidTransition("refund job", "not DEAD", "PENDING")
        await audit(
            services,
            uow,
            actor,
            AuditAction.REFUND_JOB_RETRIED,
            refund=refund.id,
            attempt=str(job.attempt),
            last_error=job.last_error or "",
        )
        await uow.commit()
    return dataclasses.replace(
        job,
        status=RefundJobStatus.PENDING,
        run_after=now,
        tries=0,
        first_claimed_at=None,
        finished_at=None,
        lease_owner=None,
        lease_until=None,
        updated_at=now,
    )
