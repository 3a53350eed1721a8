"""Rows <-> domain objects. Rows are Core result mappings; values go in as plain dicts.

Datetimes need no work here: `tables.UtcDateTime` stores UTC and always returns aware UTC."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import RowMapping

from domain.auth import RefreshToken
from domain.cases import CaseCategory, CasePriority, CaseStatus, Message, SupportCase
from domain.events import CaseEvent, CaseEventType
from domain.money import Money
from domain.refunds import Refund, RefundApproval, RefundLine, RefundReason, RefundStatus
from domain.users import Role, User

Row = RowMapping

# -- users ----------------------------------------------------------------------------------


def user_values(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "role": user.role.value,
        "password_hash": user.password_hash,
        "external_customer_id": user.external_customer_id,
        "active": user.active,
        "created_at": user.created_at,
    }


def user_from_row(row: Row) -> User:
    return User(
        id=row["id"],
        email=row["email"],
        name=row["name"],
        role=Role(row["role"]),
        password_hash=row["password_hash"],
        created_at=row["created_at"],
        external_customer_id=row["external_customer_id"],
        active=bool(row["active"]),
    )


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
    return {
        "id": case.id,
        "number": case.number,
        "subject": case.subject,
        "description": case.description,
        "category": case.category.value,
        "priority": case.priority.value,
        "status": case.status.value,
        "customer_id": case.customer_id,
        "assignee_id": case.assignee_id,
        "order_id": case.order_id,
        "order_number": case.order_number,
        "created_at": case.created_at,
        "updated_at": case.updated_at,
        "due_at": case.due_at,
        "first_response_due_at": case.first_response_due_at,
        "resolution_due_at": case.resolution_due_at,
        "first_responded_at": case.first_responded_at,
        "resolved_at": case.resolved_at,
        "closed_at": case.closed_at,
        "paused_since": case.paused_since,
        "paused_seconds": case.paused_seconds,
        "sla_pause_reasons": sorted(case.sla_pause_reasons),
        "version": case.version,
    }


def case_from_row(row: Row) -> SupportCase:
    return SupportCase(
        id=row["id"],
        number=row["number"],
        subject=row["subject"],
        description=row["description"],
        category=CaseCategory(row["category"]),
        priority=CasePriority(row["priority"]),
        status=CaseStatus(row["status"]),
        customer_id=row["customer_id"],
        assignee_id=row["assignee_id"],
        order_id=row["order_id"],
        order_number=row["order_number"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        first_response_due_at=row["first_response_due_at"],
        resolution_due_at=row["resolution_due_at"],
        first_responded_at=row["first_responded_at"],
        resolved_at=row["resolved_at"],
        closed_at=row["closed_at"],
        paused_since=row["paused_since"],
        paused_seconds=row["paused_seconds"],
        sla_pause_reasons={str(reason) for reason in (row["sla_pause_reasons"] or ())},
        version=row["version"],
    )


# -- messages -------------------------------------------------------------------------------


def message_values(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "case_id": message.case_id,
        "author_id": message.author_id,
        "body": message.body,
        "internal": message.internal,
        "created_at": message.created_at,
    }


def message_from_row(row: Row) -> Message:
    return Message(
        id=row["id"],
        case_id=row["case_id"],
        author_id=row["author_id"],
        body=row["body"],
        internal=bool(row["internal"]),
        created_at=row["created_at"],
    )


# -- events ---------------------------------------------------------------------------------


def event_values(event: CaseEvent) -> dict[str, Any]:
    """Everything but `sequence`, which the database assigns."""
    return {
        "id": event.id,
        "case_id": event.case_id,
        "type": event.type.value,
        "actor_id": event.actor_id,
        "occurred_at": event.occurred_at,
        "summary": event.summary,
        "internal": event.internal,
        "message_id": event.message_id,
        "refund_id": event.refund_id,
        "before": _str_or_none(event.before),
        "after": _str_or_none(event.after),
    }


def event_from_row(row: Row) -> CaseEvent:
    return CaseEvent(
        id=row["id"],
        case_id=row["case_id"],
        type=CaseEventType(row["type"]),
        occurred_at=row["occurred_at"],
        summary=row["summary"],
        actor_id=row["actor_id"],
        internal=bool(row["internal"]),
        message_id=row["message_id"],
        refund_id=row["refund_id"],
        before=row["before"],
        after=row["after"],
        sequence=int(row["sequence"]),
    )


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
    return {
        "id": refund.id,
        "case_id": refund.case_id,
        "order_id": refund.order_id,
        "customer_id": refund.customer_id,
        "requested_by_id": refund.requested_by_id,
        "amount_minor": refund.amount.amount,
        "currency": refund.amount.currency,
        "reason": refund.reason.value,
        "status": refund.status.value,
        "note": refund.note,
        "lines": [{"line_id": line.line_id, "quantity": line.quantity} for line in refund.lines],
        "include_shipping": refund.include_shipping,
        "approval": refund.approval.value if refund.approval is not None else None,
        "decided_by_id": refund.decided_by_id,
        "decision_note": refund.decision_note,
        "decided_at": refund.decided_at,
        "failure_reason": refund.failure_reason,
        "attempt": refund.attempt,
        "gateway_refund_id": refund.gateway_refund_id,
        "created_at": refund.created_at,
        "updated_at": refund.updated_at,
        "version": refund.version,
    }


def refund_from_row(row: Row) -> Refund:
    approval = row["approval"]
    return Refund(
        id=row["id"],
        case_id=row["case_id"],
        order_id=row["order_id"],
        customer_id=row["customer_id"],
        requested_by_id=row["requested_by_id"],
        amount=Money(int(row["amount_minor"]), row["currency"]),
        reason=RefundReason(row["reason"]),
        status=RefundStatus(row["status"]),
        note=row["note"],
        lines=tuple(
            RefundLine(line_id=str(item["line_id"]), quantity=int(item["quantity"]))
            for item in (row["lines"] or ())
        ),
        include_shipping=bool(row["include_shipping"]),
        approval=RefundApproval(approval) if approval is not None else None,
        decided_by_id=row["decided_by_id"],
        decision_note=row["decision_note"],
        decided_at=row["decided_at"],
        failure_reason=row["failure_reason"],
        attempt=int(row["attempt"]),
        gateway_refund_id=row["gateway_refund_id"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        version=row["version"],
    )


# -- refresh tokens -------------------------------------------------------------------------


def refresh_token_values(token: RefreshToken) -> dict[str, Any]:
    return {
        "id": token.id,
        "family_id": token.family_id,
        "user_id": token.user_id,
        "token_hash": token.token_hash,
        "created_at": token.created_at,
        "expires_at": token.expires_at,
        "used_at": token.used_at,
        "revoked_at": token.revoked_at,
    }


def refresh_token_from_row(row: Row) -> RefreshToken:
    return RefreshToken(
        id=row["id"],
        family_id=row["family_id"],
        user_id=row["user_id"],
        token_hash=row["token_hash"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        used_at=row["used_at"],
        revoked_at=row["revoked_at"],
    )
