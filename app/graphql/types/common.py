"""Shared GraphQL building blocks: Node, Money, PageInfo, enums mirrored from the domain."""

from __future__ import annotations

import enum
from typing import Annotated, TypeVar

import strawberry

from domain import money as domain_money
from domain.admin import AuditAction
from domain.cases import CaseCategory, CasePriority, CaseStatus
from domain.errors import ErrorCode, RefundDenial
from domain.events import CaseEventType
from domain.order_events import OrderEventOutcome
from domain.orders import OrderStatus
from domain.queries import CaseSort
from domain.refund_jobs import RefundJobStatus
from domain.refunds import RefundApproval, RefundReason, RefundStatus
from domain.satisfaction import RatingDenial
from domain.users import Role

# The domain's enums are the GraphQL enums: strawberry.enum registers each class as it is, and
# `_enum` adds a description to every value (the domain stays free of GraphQL) and checks that no
# value is left out, so that a value added to a domain enum fails at import until it is described.
_E = TypeVar("_E", bound=enum.Enum)


def _enum(
    cls: type[_E],
    description: str,
    values: dict[_E, str],
    deprecated: dict[_E, str] | None = None,
) -> None:
    missing = [member.name for member in cls if member not in values]
    if missing:
        raise TypeError(f"{cls.__name__}: describe every value, missing {missing}")
    strawberry.enum(cls, description=description)
    definition = cls.__strawberry_definition__  # type: ignore[attr-defined]
    for value in definition.values:
        member = cls[value.name]
        value.description = values[member]
        if deprecated and member in deprecated:
            value.deprecation_reason = deprecated[member]


_enum(
    OrderEventOutcome,
    "What applying an order webhook delivery did.",
    {
        OrderEventOutcome.APPLIED: "Newer than anything applied for the order: recorded, case "
        "timelines updated.",
        OrderEventOutcome.OUTDATED: "Not newer than what was applied: no effect but the order "
        "cache's.",
        OrderEventOutcome.DUPLICATE: "This delivery was processed before: nothing at all.",
    },
)
_enum(
    RefundJobStatus,
    "Where a refund job is.",
    {
        RefundJobStatus.PENDING: "Waiting for a worker, or being run by one.",
        RefundJobStatus.DONE: "The refund's outcome is recorded.",
        RefundJobStatus.DEAD: "A worker gave up: a human must look (the refund stays PROCESSING).",
    },
)
_enum(
    Role,
    "What a user may do.",
    {
        Role.CUSTOMER: "Opens cases about their own orders and requests refunds.",
        Role.AGENT: "Works the case queue; approves refunds up to the agent limit.",
        Role.ADMIN: "An agent who may also approve refunds of any amount.",
    },
)
_enum(
    AuditAction,
    "What an admin did (to a user, a refund job, an order webhook delivery or an outbound "
    "webhook endpoint or delivery).",
    {
        AuditAction.USER_CREATED: "Created the user.",
        AuditAction.USER_ROLE_CHANGED: "Changed the user's role (details: before, after).",
        AuditAction.USER_DEACTIVATED: "Deactivated the user and ended every session of theirs.",
        AuditAction.USER_REACTIVATED: "Let a deactivated user log in again.",
        AuditAction.USER_PASSWORD_RESET: "Set a new password and ended the user's sessions.",
        AuditAction.REFUND_JOB_RETRIED: "Ran a DEAD refund job again (details: refund, attempt, "
        "last_error).",
        AuditAction.ORDER_WEBHOOK_REPLAYED: "Applied a stored order webhook delivery again "
        "(details: delivery, outcome).",
        AuditAction.WEBHOOK_ENDPOINT_REGISTERED: "Registered an outbound webhook endpoint "
        "(details: endpoint, url, events, active, description; never the secret).",
        AuditAction.WEBHOOK_ENDPOINT_UPDATED: "Changed an outbound webhook endpoint (details: "
        "endpoint, changed, and the url, events, active, description after the change).",
        AuditAction.WEBHOOK_SECRET_ROTATED: "Gave an outbound webhook endpoint a new signing "
        "secret (details: endpoint, url, grace_seconds, previous_secret_expires_at; never a "
        "secret).",
        AuditAction.WEBHOOK_DELIVERY_RESENT: "Queued an outbound webhook delivery again "
        "(details: delivery, resend_of, endpoint, message, event).",
    },
)
_enum(
    CaseStatus,
    "OPEN -> IN_PROGRESS <-> WAITING_ON_CUSTOMER -> RESOLVED -> CLOSED; "
    "any open state can be resolved; a resolved case can be reopened.",
    {
        CaseStatus.OPEN: "New or reopened; waiting for an agent.",
        CaseStatus.IN_PROGRESS: "An agent is working on it.",
        CaseStatus.WAITING_ON_CUSTOMER: "The agent asked the customer something.",
        CaseStatus.RESOLVED: "Done; the customer may reopen it within the reopen period.",
        CaseStatus.CLOSED: "Final: closed automatically some days after RESOLVED.",
    },
)
_enum(
    CasePriority,
    "Sets the SLA due times (first response / resolution).",
    {
        CasePriority.LOW: "First response within 72 h, resolution within 7 days.",
        CasePriority.NORMAL: "First response within 24 h, resolution within 72 h (the default).",
        CasePriority.HIGH: "First response within 4 h, resolution within 24 h.",
        CasePriority.URGENT: "First response within 1 h, resolution within 8 h.",
    },
)
_enum(
    CaseCategory,
    "What a case is about.",
    {
        CaseCategory.REFUND_REQUEST: "The customer wants money back.",
        CaseCategory.DELIVERY_PROBLEM: "Late, lost or damaged in transit.",
        CaseCategory.PRODUCT_ISSUE: "Something is wrong with a product.",
        CaseCategory.BILLING: "A question about a charge or invoice.",
        CaseCategory.OTHER: "Anything else.",
    },
)
_enum(
    CaseSort,
    "The order of a case list. Every sort is keyset-paginated (a cursor belongs to its sort).",
    {
        CaseSort.NEWEST: "Newest first (createdAt descending); the default.",
        CaseSort.OLDEST: "Oldest first (createdAt ascending).",
        CaseSort.DUE_SOONEST: "The SLA deadline owed next first (dueAt ascending); combine with "
        "a status filter for the open queue.",
    },
)
_enum(
    OrderStatus,
    "The order system's status.",
    {
        OrderStatus.PLACED: "Ordered, not shipped yet.",
        OrderStatus.SHIPPED: "Handed to the carrier.",
        OrderStatus.DELIVERED: "The carrier confirmed delivery (the refund window starts).",
        OrderStatus.CANCELLED: "Cancelled in the shop; the order system refunds it itself.",
    },
)
_enum(
    RefundReason,
    "Why money is asked back (OTHER needs a note).",
    {
        RefundReason.DAMAGED: "Arrived damaged.",
        RefundReason.DEFECTIVE: "Does not work.",
        RefundReason.WRONG_ITEM: "Not what was ordered.",
        RefundReason.NOT_AS_DESCRIBED: "Differs from its description.",
        RefundReason.NOT_RECEIVED: "Never arrived (after the promised date and a grace period).",
        RefundReason.CHANGED_MIND: "The customer no longer wants it.",
        RefundReason.OTHER: "Something else: explain it in the note.",
    },
)
_enum(
    RefundStatus,
    "REQUESTED -> APPROVED | REJECTED | CANCELLED; "
    "APPROVED -> PROCESSING -> SUCCEEDED | FAILED; FAILED -> PROCESSING on an agent's retry.",
    {
        RefundStatus.REQUESTED: "Waiting for a decision (an agent's, or an admin's above the "
        "agent limit).",
        RefundStatus.APPROVED: "Approved; queued for payment.",
        RefundStatus.REJECTED: "Refused by an agent or admin (final).",
        RefundStatus.CANCELLED: "Withdrawn by the customer before a decision (final).",
        RefundStatus.PROCESSING: "Being paid through the payment gateway.",
        RefundStatus.SUCCEEDED: "Paid back to the customer (final).",
        RefundStatus.FAILED: "The payment gateway refused it; an agent may retry.",
    },
)
_enum(
    RefundApproval,
    "Who approved a refund: the automatic policy, an agent, an admin.",
    {
        RefundApproval.AUTO_POLICY: "The automatic approval policy (small, recent, few refunds).",
        RefundApproval.AGENT: "An agent, within the agent limit.",
        RefundApproval.ADMIN: "An admin (any amount).",
    },
)
_enum(
    RefundDenial,
    "Why a refund cannot be made.",
    {
        RefundDenial.CASE_HAS_NO_ORDER: "The case is not about an order.",
        RefundDenial.ORDER_NOT_DELIVERED: "The order has not been delivered yet.",
        RefundDenial.OUTSIDE_REFUND_WINDOW: "The refund window after delivery has ended.",
        RefundDenial.EXCEEDS_REFUNDABLE_AMOUNT: "More than what is left to refund.",
        RefundDenial.LINE_QUANTITY_EXCEEDED: "More units than were ordered and not yet refunded.",
        RefundDenial.SHIPPING_ALREADY_REFUNDED: "Shipping was refunded before.",
        RefundDenial.REFUND_ALREADY_PENDING: "Another refund of the order awaits a decision.",
        RefundDenial.TOO_MANY_REQUESTS: "Too many refund requests by this customer today.",
        RefundDenial.ORDER_CANCELLED: "Cancelled orders are refunded by the order system.",
        RefundDenial.ORDER_UNAVAILABLE: "The order system could not be reached; retry shortly.",
    },
    deprecated={
        RefundDenial.ORDER_UNAVAILABLE: "Mutations answer the OrderUnavailable member: select "
        "`... on OrderUnavailable` to receive it instead of this denial.",
    },
)
_enum(
    CaseEventType,
    "Kinds of timeline entries.",
    {
        CaseEventType.CASE_OPENED: "The case was opened.",
        CaseEventType.MESSAGE_POSTED: "A message or an internal note was posted.",
        CaseEventType.STATUS_CHANGED: "The case's status changed.",
        CaseEventType.PRIORITY_CHANGED: "The case's priority changed.",
        CaseEventType.ASSIGNED: "The case was assigned or unassigned.",
        CaseEventType.REFUND_REQUESTED: "A refund was requested.",
        CaseEventType.REFUND_APPROVED: "A refund was approved.",
        CaseEventType.REFUND_REJECTED: "A refund was rejected.",
        CaseEventType.REFUND_CANCELLED: "A refund was cancelled by the customer.",
        CaseEventType.REFUND_QUEUED: "An approved refund was handed to the payment worker.",
        CaseEventType.REFUND_PROCESSING: "A refund was submitted to the payment gateway.",
        CaseEventType.REFUND_SUCCEEDED: "A refund was paid.",
        CaseEventType.REFUND_FAILED: "The payment gateway refused a refund.",
        CaseEventType.REFUND_RETRIED: "An agent retried a failed refund (a new attempt).",
        CaseEventType.ORDER_UPDATED: "The case's order changed in the order system.",
        CaseEventType.SLA_BREACHED: "A first-response or resolution due time passed.",
        CaseEventType.CASE_RATED: "The customer rated the resolved case (`after`: the score).",
    },
)
_enum(
    ErrorCode,
    "Stable machine-readable error codes.",
    {
        ErrorCode.VALIDATION_FAILED: "The input is invalid (ValidationFailed).",
        ErrorCode.NOT_FOUND: "No such object, or not yours (NotFound).",
        ErrorCode.FORBIDDEN: "Your role may not do this.",
        ErrorCode.INVALID_TRANSITION: "Not allowed from the current status (InvalidTransition).",
        ErrorCode.REFUND_NOT_ALLOWED: "A refund rule refused it (RefundNotAllowed).",
        ErrorCode.APPROVAL_LIMIT_EXCEEDED: "Above your approval limit (ApprovalLimitExceeded).",
        ErrorCode.INVALID_CREDENTIALS: "Wrong email or password (InvalidCredentials).",
        ErrorCode.INVALID_REFRESH_TOKEN: "Unusable refresh token (InvalidRefreshToken).",
        ErrorCode.RATE_LIMITED: "Too many attempts (RateLimited).",
        ErrorCode.CONFLICT: "A concurrent change; retry (Conflict).",
        ErrorCode.ORDER_UNAVAILABLE: "The order system cannot be reached; retry "
        "(OrderUnavailable, or a query's top-level error).",
        ErrorCode.IDEMPOTENCY_KEY_REUSED: "The idempotency key was used with other input.",
        ErrorCode.RATING_NOT_ALLOWED: "The case cannot be rated now (RatingNotAllowed).",
    },
)

_enum(
    RatingDenial,
    "Why a case cannot be rated.",
    {
        RatingDenial.NOT_RESOLVED: "The case is not resolved (yet, or any more).",
        RatingDenial.WINDOW_CLOSED: "The time to rate the case after its resolution has passed.",
        RatingDenial.ALREADY_RATED: "The case was already rated (once per case).",
    },
)

# Connection arguments, described once (every connection takes `first` and `after`).
FirstArg = Annotated[
    int | None,
    strawberry.argument(description="How many items this page holds at most: 1..100."),
]
AfterArg = Annotated[
    str | None,
    strawberry.argument(
        description="Start right after this cursor (an edge's `cursor` or `pageInfo.endCursor` "
        "of the same connection); omit it for the first page."
    ),
]

__all__ = [
    "AfterArg",
    "FirstArg",
    "CaseCategory",
    "AuditAction",
    "CaseEventType",
    "CasePriority",
    "CaseSort",
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
    "RatingDenial",
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
