"""`python -m app.cli ops ...`: what an operator looks at first (read-only).

    python -m app.cli ops queues          # refund jobs: pending (due, leased), dead, done, oldest
    python -m app.cli ops queues --json   # the same, for scripts

The figures are the ones `/metrics` exports (`support_refund_jobs`,
`support_refund_jobs_oldest_pending_age_seconds`), read through the same use case
(domain.usecases.ops). Exit code 0; 3 when a job is DEAD (a human must look), so that a cron
job or a health probe can alert on it.
"""

from __future__ import annotations

import json

import typer

from app.admin_cli import _run
from domain.refund_jobs import RefundQueueDepths
from domain.usecases.ops import refund_queue_depths
from domain.usecases.services import Services

DEAD_JOBS_EXIT = 3

ops_app = typer.Typer(help="Operations: queue depths.", no_args_is_help=True)


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
