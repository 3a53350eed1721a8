"""Shared GraphQL building blocks: Node, Money, PageInfo, enums mirrored from the domain."""

from __future__ import annotations

import strawberry

from domain import money as domain_money
from domain.cases import CaseCategory as DomainCaseCategory
from domain.cases import CasePriority as DomainCasePriority
from domain.cases import CaseStatus as DomainCaseStatus
from domain.errors import ErrorCode as DomainErrorCode
from domain.errors import RefundDenial as DomainRefundDenial
from domain.events import CaseEventType as DomainCaseEventType
from domain.orders import OrderStatus as DomainOrderStatus
from domain.refunds import RefundApproval as DomainRefundApproval
from domain.refunds import RefundReason as DomainRefundReason
from domain.refunds import RefundStatus as DomainRefundStatus
from domain.users import Role as DomainRole

Role = strawberry.enum(DomainRole, description="What a user may do.")
CaseStatus = strawberry.enum(
    DomainCaseStatus,
    description="OPEN -> IN_PROGRESS <-> WAITING_ON_CUSTOMER -> RESOLVED -> CLOSED; "
    "any open state can be resolved; a resolved case can be reopened.",
)
CasePriority = strawberry.enum(DomainCasePriority, description="Sets the SLA due times.")
CaseCategory = strawberry.enum(DomainCaseCategory, description="What a case is about.")
OrderStatus = strawberry.enum(DomainOrderStatus, description="The order system's status.")
RefundReason = strawberry.enum(
    DomainRefundReason, description="Why money is asked back (OTHER needs a note)."
)
RefundStatus = strawberry.enum(
    DomainRefundStatus,
    description="REQUESTED -> APPROVED | REJECTED | CANCELLED; "
    "APPROVED -> PROCESSING -> SUCCEEDED | FAILED.",
)
RefundApproval = strawberry.enum(
    DomainRefundApproval, description="Who approved a refund: the automatic policy, an agent, an admin."
)
RefundDenial = strawberry.enum(DomainRefundDenial, description="Why a refund cannot be made.")
CaseEventType = strawberry.enum(DomainCaseEventType, description="Kinds of timeline entries.")
ErrorCode = strawberry.enum(DomainErrorCode, description="Stable machine-readable error codes.")


@strawberry.interface(description="An object with a globally unique, opaque id (Relay).")
class Node:
    id: strawberry.ID = strawberry.field(description="Opaque global id; use it with node(id:).")


@strawberry.type(description="An amount of money in integer minor units (cents).")
class Money:
    amount: int = strawberry.field(description="Minor units, e.g. 12000 for 120.00.")
    currency: str = strawberry.field(description="ISO 4217 code, e.g. USD.")
    formatted: str = strawberry.field(description="Human-readable, e.g. 'USD 120.00'.")

    @classmethod
    def from_domain(cls, money: domain_money.Money) -> Money:
        return cls(amount=money.amount, currency=money.currency, formatted=money.formatted())


@strawberry.type(description="Where a page of a connection ends.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="Whether more items follow.")
    end_cursor: str | None = strawberry.field(description="Pass as `after` for the next page.")
