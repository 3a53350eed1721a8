"""What the refund mutations share: the payload of a decision and their shape (one refund,
named by Refund.id, changes)."""

from __future__ import annotations

import strawberry

from app.graphql.mutations._objects import OnObject, caller
from app.graphql.mutations._run import refund_id
from app.graphql.types.objects import Refund
from domain.refunds import Refund as DomainRefund
from domain.users import Principal


@strawberry.type(description="The refund was decided.")
class RefundDecided:
    refund: Refund = strawberry.field(description="The refund after the decision.")

    @classmethod
    def of(cls, refund: DomainRefund) -> RefundDecided:
        return cls(refund=Refund.from_domain(refund))


on_refund: OnObject[Principal] = OnObject(caller, refund_id)
