"""What the refund mutations share: the payload of a decision and their shape (one refund,
named by Refund.id, changes)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import strawberry

from app.graphql.context import Info
from app.graphql.mutations._run import refund_id, run_then
from app.graphql.types.errors import Error
from app.graphql.types.objects import Refund
from domain.refunds import Refund as DomainRefund
from domain.usecases.services import Services
from domain.users import Principal

R = TypeVar("R")
RefundChange = Callable[[Services, Principal, str], Awaitable[DomainRefund]]


@strawberry.type(description="The refund was decided.")
class RefundDecided:
    refund: Refund = strawberry.field(description="The refund after the decision.")

    @classmethod
    def of(cls, refund: DomainRefund) -> RefundDecided:
        return cls(refund=Refund.from_domain(refund))


async def change_refund(
    info: Info, refund_gid: str, change: RefundChange, then: Callable[[DomainRefund], R]
) -> R | Error:
    """Run `change(services, principal, internal refund id)`; `then` makes the payload."""
    principal = info.context.require_principal()
    return await run_then(
        lambda: change(info.context.services, principal, refund_id(refund_gid)), then, info
    )
