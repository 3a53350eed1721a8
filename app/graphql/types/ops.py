"""Operations (admins only): the refund queue's depths and the refund jobs that need a human."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import strawberry

from app.graphql.context import Info
from app.graphql.relations import or_none, then
from app.graphql.types.connections import Connection, connection
from app.graphql.types.from_model import from_model
from app.graphql.types.refunds import Refund
from domain import refund_jobs as dj
from domain.refund_jobs import RefundJobStatus


@strawberry.type(description="How much refund work is waiting (as /metrics reports it).")
class QueueDepths:
    pending: int = strawberry.field(
        description="Refund jobs not finished: due + leased + scheduled for later (a retry)."
    )
    due: int = strawberry.field(description="Pending jobs a worker may claim now.")
    leased: int = strawberry.field(description="Pending jobs a worker is running now.")
    dead: int = strawberry.field(
        description="Jobs a worker gave up on: a human must look (deadRefundJobs)."
    )
    done: int = strawberry.field(description="Finished jobs.")
    oldest_pending_age_seconds: float = strawberry.field(
        description="Age of the oldest pending job (0 when none): workers down or stuck when it "
        "grows."
    )


@strawberry.type(description="One attempt of paying a refund out through the payment gateway.")
class RefundJob:
    model: strawberry.Private[dj.RefundJob]
    id: strawberry.ID = strawberry.field(
        description="`{refund}:{attempt}`: also the gateway's idempotency key."
    )
    attempt: int = strawberry.field(
        description="The attempt (1, then one more per retry of a FAILED refund)."
    )
    status: RefundJobStatus = strawberry.field(description="Where the job is.")

    def _refund(self, info: Info) -> Refund | None:
        refund = info.context.loaders.refund_by_id.load(self.model.refund_id)
        return then(refund, or_none(Refund.from_domain))

    # A resolver declared in place (@field would list it after every plain field): the schema
    # keeps its field order.
    refund: Refund | None = strawberry.field(resolver=_refund, description="The refund it pays.")
    claims: int = strawberry.field(description="Times a worker claimed it.")
    tries: int = strawberry.field(description="Gateway calls that ended with an unknown outcome.")
    last_error: str | None = strawberry.field(
        description="Why it stopped (or last failed), as recorded by the worker."
    )
    request_id: str | None = strawberry.field(
        description="The id of the request that made the refund payable (search the logs)."
    )
    created_at: datetime = strawberry.field(description="When it was created.")
    finished_at: datetime | None = strawberry.field(description="When it finished (DONE or DEAD).")

    @classmethod
    def from_domain(cls, job: dj.RefundJob) -> RefundJob:
        # Not a Node: its id is the job's own (the gateway's idempotency key), as it is.
        return from_model(cls, job, id=strawberry.ID(job.id))


if TYPE_CHECKING:
    RefundJobConnection = Connection[RefundJob]
else:
    RefundJobConnection = connection(
        RefundJob,
        RefundJob.from_domain,
        description="A page of refund jobs.",
        edges="The jobs of this page.",
        edge_description="An edge of a refund job connection.",
        cursor="Position of this job.",
        node_description="The job.",
    )
