"""Shared GraphQL building blocks: Node, Money, PageInfo, enums mirrored from the domain."""

from __future__ import annotations

import strawberry

from domain import money as domain_money
from domain.cases import CaseCategory, CasePriority, CaseStatus
from domain.errors import ErrorCode, RefundDenial
from domain.events import CaseEventType
from domain.orders import OrderStatus
from domain.refunds import RefundApproval, RefundReason, RefundStatus
from domain.users import Role

# The domain's enums are the GraphQL enums: strawberry.enum registers each class as it is.
strawberry.enum(Role, description="What a user may do.")
strawberry.enum(
    CaseStatus,
    description="OPEN -> IN_PROGRESS <-> WAITING_ON_CUSTOMER -> RESOLVED -> CLOSED; "
    "any open state can be resolved; a resolved case can be reopened.",
)
strawberry.enum(CasePriority, description="Sets the SLA due times.")
strawberry.enum(CaseCategory, description="What a case is about.")
strawberry.enum(OrderStatus, description="The order system's status.")
strawberry.enum(RefundReason, description="Why money is asked back (OTHER needs a note).")
strawberry.enum(
    RefundStatus,
    description="REQUESTED -> APPROVED | REJECTED | CANCELLED; "
    "APPROVED -> PROCESSING -> SUCCEEDED | FAILED; FAILED -> PROCESSING on an agent's retry.",
)
strawberry.enum(
    RefundApproval,
    description="Who approved a refund: the automatic policy, an agent, an admin.",
)
strawberry.enum(RefundDenial, description="Why a refund cannot be made.")
strawberry.enum(CaseEventType, description="Kinds of timeline entries.")
strawberry.enum(ErrorCode, description="Stable machine-readable error codes.")

__all__ = [
    "CaseCategory",
    "CaseEventType",
    "CasePriority",
    "CaseStatus",
    "ErrorCode",
    "Money",
    "Node",
    "OrderStatus",
    "PageInfo",
    "RefundApproval",
    "RefundDenial",
    "RefundReason",
    "RefundStatus",
    "Role",
]


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
