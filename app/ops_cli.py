"""`python -m app.cli ops ...`: what an operator looks at first, and what to do about a stuck job.

    python -m app.cli ops queues          # refund jobs: pending (due, leased), dead, done, oldest
    python -m app.cli ops queues --json   # the same, for scripts
    python -m app.cli ops dead-jobs       # the DEAD refund jobs (a human must look)
    python -m app.cli ops retry-job REFUND_ID   # run a refund's DEAD job again (audited as `cli`)
    python -m app.cli ops replay-webhook DELIVERY_ID   # apply a stored order webhook again

The figures are the ones `/metrics` exports (`support_refund_jobs`,
`support_refund_jobs_oldest_pending_age_seconds`), read through the same use case
(domain.usecases.ops). Exit code 0; 3 when a job is DEAD (a human must look), so that a cron
job or a health probe can alert on it.
"""

from __future__ import annotations

import json

import typer

from app.admin_cli import _run
from domain.admin import CLI_ACTOR
from domain.errors import InvalidTransition
from domain.refund_jobs import RefundJob, RefundQueueDepths
from domain.usecases.apply_order_event import OrderEventResult, replay_order_webhook
from domain.usecases.ops import dead_refund_jobs, refund_queue_depths, retry_dead_refund_job
from domain.usecases.services import Services

DEAD_JOBS_EXIT = 3

ops_app = typer.Typer(
    help="Operations: queue depths, dead refund jobs (list, retry), webhook replays.",
    no_args_is_help=True,
)


@ops_app.command()
def queues(
    as_json: bool = typer.Option(False, "--json", help="One JSON object instead of a table."),
) -> None:
    """Refund jobs by state and the age of the oldest pending one."""

    async def work(services: Services) -> tuple[RefundQueueDepths, float]:
        depths = await refund_queue_depths(services)
        return depths, depths.oldest_pending_age_seconds(services.clock.now())

    depths, oldest = _run(work)
    figures = {
        "pending": depths.pending,
        "due": depths.due,
        "leased": depths.leased,
        "dead": depths.dead,
        "done": depths.done,
        "oldest_pending_age_seconds": round(oldest, 1),
    }
    if as_json:
        typer.echo(json.dumps(figures))
    else:
        for name, value in figures.items():
            typer.echo(f"{name:28} {value}")
    if depths.dead:
        raise typer.Exit(DEAD_JOBS_EXIT)


@ops_app.command("dead-jobs")
def dead_jobs(
    limit: int = typer.Option(20, min=1, max=100, help="How many, at most."),
    after: str | None = typer.Option(None, help="List after this job id (paging)."),
) -> None:
    """The refund jobs a worker gave up on (their refunds stay PROCESSING)."""

    async def work(services: Services) -> list[RefundJob]:
        page = await dead_refund_jobs(services, CLI_ACTOR, first=limit, after=after)
        return page.items

    jobs = _run(work)
    if not jobs:
        typer.echo("no dead refund jobs")
    for job in jobs:
        typer.echo(
            f"{job.id}  claims={job.claims} tries={job.tries} "
            f"finished={job.finished_at.isoformat() if job.finished_at else '-'} "
            f"request={job.request_id or '-'}  {job.last_error or ''}"
        )


@ops_app.command("retry-job")
def retry_job(
    refund_id: str = typer.Argument(help="The refund whose DEAD job should run again."),
) -> None:
    """Run a refund's DEAD job again: same attempt and idempotency key, due now. Check at the
    payment gateway first: past its 24 h key retention the same key could pay twice."""

    async def work(services: Services) -> RefundJob:
        return await retry_dead_refund_job(services, CLI_ACTOR, refund_id)

    try:
        job = _run(work)
    except InvalidTransition:
        typer.echo(f"error: refund {refund_id} has no DEAD job", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"refund job {job.id}: PENDING again (audited as cli)")


@ops_app.command("replay-webhook")
def replay_webhook(
    delivery_id: str = typer.Argument(help="The delivery's webhook-id."),
) -> None:
    """Apply a stored order webhook delivery again (audited as `cli`): the order cache learns of
    the change again; the order and the case timelines advance if the event is newer."""

    async def work(services: Services) -> OrderEventResult:
        return await replay_order_webhook(services, CLI_ACTOR, delivery_id)

    result = _run(work)
    typer.echo(
        f"order webhook {delivery_id}: {result.outcome.value}, "
        f"{len(result.case_ids)} case timeline(s) updated"
    )
