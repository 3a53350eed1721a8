"""Operations (admins only): the refund queue's depths and the refund jobs that need a human."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import strawberry

from app.graphql.context import Info
from app.graphql.fields import field
from app.graphql.relations import then
from app.graphql.types.connections import Connection, connection
from app.graphql.types.refunds import Refund, refund_or_none
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

    @classmethod
    def from_domain(cls, job: dj.RefundJob) -> RefundJob:
        return cls(model=job)

    @field(description="`{refund}:{attempt}`: also the gateway's idempotency key.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.model.id)

    @field(description="The attempt (1, then one more per retry of a FAILED refund).")
    def attempt(self) -> int:
        return self.model.attempt

    @field(description="Where the job is.")
    def status(self) -> RefundJobStatus:
        return self.model.status

    @field(description="The refund it pays.")
    def refund(self, info: Info) -> Refund | None:
        return then(info.context.loaders.refund_by_id.load(self.model.refund_id), refund_or_none)

    @field(description="Times a worker claimed it.")
    def claims(self) -> int:
        return self.model.claims

    @field(description="Gateway calls that ended with an unknown outcome.")
    def tries(self) -> int:
        return self.model.tries

    @field(description="Why it stopped (or last failed), as recorded by the worker.")
    def last_error(self) -> str | None:
        return self.model.last_error

    @field(description="The id of the request that made the refund payable (search the logs).")
    def request_id(self) -> str | None:
        return self.model.request_id

    @field(description="When it was created.")
    def created_at(self) -> datetime:
        return self.model.created_at

    @field(description="When it finished (DONE or DEAD).")
    def finished_at(self) -> datetime | None:
        return self.model.finished_at


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
