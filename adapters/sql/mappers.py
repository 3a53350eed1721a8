"""Rows <-> domain objects (adapters.sql.rows): each mapper names only what is not stored as is."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import RowMapping

from adapters.sql.rows import from_row, row_values
from adapters.sql.tables import case_events, messages, refresh_tokens, refunds, support_cases, users
from domain.auth import RefreshToken
from domain.cases import CaseCategory, CasePriority, CaseStatus, Message, SupportCase
from domain.events import CaseEvent, CaseEventType
from domain.money import Money
from domain.refunds import Refund, RefundApproval, RefundLine, RefundReason, RefundStatus
from domain.users import Role, User

Row = RowMapping

# -- users ----------------------------------------------------------------------------------


def user_values(user: User) -> dict[str, Any]:
    return row_values(users, user)


def user_from_row(row: Row) -> User:
    return from_row(User, row, role=Role(row["role"]))


# -- cases ----------------------------------------------------------------------------------

# What save() may change (everything but identity, owner, number and creation time).
CASE_MUTABLE = (
    "subject",
    "description",
    "category",
    "priority",
    "status",
    "assignee_id",
    "order_id",
    "updated_at",
    "due_at",
    "first_response_due_at",
    "resolution_due_at",
    "first_responded_at",
    "resolved_at",
    "closed_at",
    "paused_since",
    "paused_seconds",
    "sla_pause_reasons",
)


def case_values(case: SupportCase) -> dict[str, Any]:
    return row_values(support_cases, case, sla_pause_reasons=sorted(case.sla_pause_reasons))


def case_from_row(row: Row) -> SupportCase:
    return from_row(
        SupportCase,
        row,
        category=CaseCategory(row["category"]),
        priority=CasePriority(row["priority"]),
        status=CaseStatus(row["status"]),
        sla_pause_reasons={str(reason) for reason in (row["sla_pause_reasons"] or ())},
    )


# -- messages -------------------------------------------------------------------------------


def message_values(message: Message) -> dict[str, Any]:
    return row_values(messages, message)


def message_from_row(row: Row) -> Message:
    return from_row(Message, row)


# -- events ---------------------------------------------------------------------------------


def event_values(event: CaseEvent) -> dict[str, Any]:
    """Everything but `sequence`, which the database assigns."""
    return row_values(
        case_events,
        event,
        omit=("sequence",),
        before=_str_or_none(event.before),
        after=_str_or_none(event.after),
    )


def event_from_row(row: Row) -> CaseEvent:
    return from_row(CaseEvent, row, type=CaseEventType(row["type"]))


def _str_or_none(value: object) -> str | None:
    # Events carry enum members in before/after (StrEnum): store their plain value.
    return None if value is None else str(value)


# -- refunds --------------------------------------------------------------------------------

REFUND_MUTABLE = (
    "amount_minor",
    "currency",
    "reason",
    "status",
    "note",
    "lines",
    "include_shipping",
    "approval",
    "decided_by_id",
    "decision_note",
    "decided_at",
    "failure_reason",
    "attempt",
    "gateway_refund_id",
    "updated_at",
)


def refund_values(refund: Refund) -> dict[str, Any]:
    return row_values(
        refunds,
        refund,
        amount_minor=refund.amount.amount,
        currency=refund.amount.currency,
        lines=[{"line_id": line.line_id, "quantity": line.quantity} for line in refund.lines],
    )


def refund_from_row(row: Row) -> Refund:
    approval = row["approval"]
    return from_row(
        Refund,
        row,
        amount=Money(int(row["amount_minor"]), row["currency"]),
        reason=RefundReason(row["reason"]),
        status=RefundStatus(row["status"]),
        lines=tuple(
            RefundLine(line_id=str(item["line_id"]), quantity=int(item["quantity"]))
            for item in (row["lines"] or ())
        ),
        approval=RefundApproval(approval) if approval is not None else None,
    )


# -- refresh tokens -------------------------------------------------------------------------


def refresh_token_values(token: RefreshToken) -> dict[str, Any]:
    return row_values(refresh_tokens, token)


def refresh_token_from_row(row: Row) -> RefreshToken:
    return from_row(RefreshToken, row)
