"""Refunds: the aggregate, its status machine, and the refund policy (eligibility, approval)."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.cases import new_id
from domain.errors import (
    ApprovalLimitExceeded,
    FieldError,
    Forbidden,
    InvalidTransition,
    RefundDenial,
    ValidationFailed,
)
from domain.events import Aggregate, CaseEventType
from domain.money import Money
from domain.orders import Order, OrderStatus
from domain.refund_jobs import RefundJob, idempotency_key
from domain.text import clean_text
from domain.users import Principal, Role


class RefundReason(enum.StrEnum):
    DAMAGED = "DAMAGED"
    DEFECTIVE = "DEFECTIVE"
    WRONG_ITEM = "WRONG_ITEM"
    NOT_AS_DESCRIBED = "NOT_AS_DESCRIBED"
    NOT_RECEIVED = "NOT_RECEIVED"
    CHANGED_MIND = "CHANGED_MIND"
    OTHER = "OTHER"


class RefundStatus(enum.StrEnum):
    REQUESTED = "REQUESTED"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"
    PROCESSING = "PROCESSING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"

    @property
    def holds_money(self) -> bool:
        """Counts against the order's refundable remainder (succeeded or in flight)."""
        return self in _HOLDING


_HOLDING = frozenset(
    {RefundStatus.REQUESTED, RefundStatus.APPROVED, RefundStatus.PROCESSING, RefundStatus.SUCCEEDED}
)


class RefundApproval(enum.StrEnum):
    AUTO_POLICY = "AUTO_POLICY"
    AGENT = "AGENT"
    ADMIN = "ADMIN"


@dataclass(frozen=True, slots=True)
class RefundPolicy:
    window: timedelta = timedelta(days=30)
    not_received_grace: timedelta = timedelta(days=7)
    auto_approve_max_minor: int = 2500
    auto_approve_max_recent_refunds: int = 2
    auto_approve_lookback: timedelta = timedelta(days=90)
    agent_limit_minor: int = 50000
    requests_per_day: int = 3


NOTE_MAX = 2000
FAILURE_REASON_MAX = 1000
NO_DECLINE_REASON = "declined by the payment gateway (no reason given)"


@dataclass(frozen=True, slots=True)
class RefundLine:
    line_id: str
    quantity: int


@dataclass(frozen=True, slots=True)
class RefundRequest:
    """What the caller asked for, before it is checked against the order."""

    reason: RefundReason
    amount: int | None = None
    lines: tuple[RefundLine, ...] = ()
    include_shipping: bool = False
    note: str | None = None


@dataclass(frozen=True, slots=True)
class PricedRequest:
    amount: Money
    lines: tuple[RefundLine, ...]
    include_shipping: bool
    note: str | None


def price_request(request: RefundRequest, order: Order) -> PricedRequest:
    """Check a request's shape against the order and compute its amount (ValidationFailed)."""
    errors: list[FieldError] = []
    if request.amount is None and not request.lines and not request.include_shipping:
        errors.append(FieldError("amount", "give an amount, or lines (and/or includeShipping)"))
    if request.amount is not None and request.lines:
        errors.append(FieldError("lines", "give either an amount or lines, not both"))
    if request.amount is not None and request.amount <= 0:
        errors.append(FieldError("amount", "must be greater than zero (minor units)"))
    seen: set[str] = set()
    total = Money.zero(order.currency)
    for i, line in enumerate(request.lines):
        order_line = order.line(line.line_id)
        if order_line is None:
            errors.append(FieldError(f"lines[{i}].lineId", "is not a line of this order"))
            continue
        if line.line_id in seen:
            errors.append(FieldError(f"lines[{i}].lineId", "appears more than once"))
        seen.add(line.line_id)
        if line.quantity <= 0:
            errors.append(FieldError(f"lines[{i}].quantity", "must be at least 1"))
            continue
        total = total + order_line.unit_price * line.quantity
    note: str | None = None
    if request.note is not None and request.note.strip():
        note = clean_text(request.note, "note", max_length=NOTE_MAX, multiline=True, errors=errors)
    if request.reason is RefundReason.OTHER and note is None:
        errors.append(FieldError("note", "is required when the reason is OTHER"))
    if errors:
        raise ValidationFailed(errors)
    if request.amount is not None:
        total = Money(request.amount, order.currency)
    if request.include_shipping:
        total = total + order.shipping
    if total.amount <= 0:
        raise ValidationFailed.single("amount", "the refund would be zero")
    return PricedRequest(total, tuple(request.lines), request.include_shipping, note)


def window_ends_at(order: Order, policy: RefundPolicy) -> datetime | None:
    if order.status is OrderStatus.DELIVERED and order.delivered_at is not None:
        return order.delivered_at + policy.window
    return None


def not_received_claimable_from(order: Order, policy: RefundPolicy) -> datetime | None:
    if order.promised_delivery_date is None:
        return None
    promised = datetime.combine(
        order.promised_delivery_date, datetime.min.time(), tzinfo=order.placed_at.tzinfo
    )
    # Claimable once the whole promised day plus the grace period has passed.
    return promised + timedelta(days=1) + policy.not_received_grace


def eligibility_denial(
    order: Order, reason: RefundReason | None, now: datetime, policy: RefundPolicy
) -> RefundDenial | None:
    """Whether the order can be refunded at all now (status and window), for this reason."""
    if order.status is OrderStatus.CANCELLED:
        return RefundDenial.ORDER_CANCELLED
    if order.status is not OrderStatus.DELIVERED:
        claimable = not_received_claimable_from(order, policy)
        if reason in (RefundReason.NOT_RECEIVED, None) and claimable and now >= claimable:
            return None
        return RefundDenial.ORDER_NOT_DELIVERED
    ends = window_ends_at(order, policy)
    if ends is None or now > ends:
        return RefundDenial.OUTSIDE_REFUND_WINDOW
    return None


def held_amount(order: Order, refunds: Iterable[Refund]) -> Money:
    held = Money.zero(order.currency)
    for refund in refunds:
        if refund.status.holds_money:
            held = held + refund.amount
    return held


def refunded_amount(order: Order, refunds: Iterable[Refund]) -> Money:
    """Money already paid back on the order (succeeded refunds only)."""
    paid = Money.zero(order.currency)
    for refund in refunds:
        if refund.status is RefundStatus.SUCCEEDED:
            paid = paid + refund.amount
    return paid


def refundable_remainder(order: Order, refunds: Iterable[Refund]) -> Money:
    remainder = order.total - held_amount(order, refunds)
    return remainder if remainder.amount > 0 else Money.zero(order.currency)


def refunded_quantities(refunds: Iterable[Refund]) -> dict[str, int]:
    quantities: dict[str, int] = {}
    for refund in refunds:
        if refund.status.holds_money:
            for line in refund.lines:
                quantities[line.line_id] = quantities.get(line.line_id, 0) + line.quantity
    return quantities


def shipping_refunded(refunds: Iterable[Refund]) -> bool:
    return any(r.include_shipping and r.status.holds_money for r in refunds)


def request_denial(
    order: Order,
    request: RefundRequest,
    priced: PricedRequest,
    existing: list[Refund],
    now: datetime,
    policy: RefundPolicy,
) -> RefundDenial | None:
    """Every business rule of a new request, in the order a customer would want to hear them."""
    denial = eligibility_denial(order, request.reason, now, policy)
    if denial is not None:
        return denial
    if any(r.status is RefundStatus.REQUESTED for r in existing):
        return RefundDenial.REFUND_ALREADY_PENDING
    if priced.include_shipping and shipping_refunded(existing):
        return RefundDenial.SHIPPING_ALREADY_REFUNDED
    already = refunded_quantities(existing)
    for line in priced.lines:
        order_line = order.line(line.line_id)
        assert order_line is not None  # price_request checked it
        if already.get(line.line_id, 0) + line.quantity > order_line.quantity:
            return RefundDenial.LINE_QUANTITY_EXCEEDED
    if priced.amount.amount > refundable_remainder(order, existing).amount:
        return RefundDenial.EXCEEDS_REFUNDABLE_AMOUNT
    return None


def auto_approval_applies(amount: Money, recent_granted: int, policy: RefundPolicy) -> bool:
    return (
        amount.amount <= policy.auto_approve_max_minor
        and recent_granted < policy.auto_approve_max_recent_refunds
    )


def requires_admin_approval(amount: Money, policy: RefundPolicy) -> bool:
    """Above the agents' limit, only an admin may approve."""
    return amount.amount > policy.agent_limit_minor


def approval_for(principal: Principal, amount: Money, policy: RefundPolicy) -> RefundApproval:
    """Which approval the principal can give for this amount (raises when they cannot)."""
    if principal.role is Role.ADMIN:
        return RefundApproval.ADMIN
    if principal.role is Role.AGENT:
        if requires_admin_approval(amount, policy):
            limit = Money(policy.agent_limit_minor, amount.currency)
            raise ApprovalLimitExceeded(limit.formatted())
        return RefundApproval.AGENT
    raise Forbidden("Only agents and admins decide refunds")


@dataclass(slots=True)
class Refund(Aggregate):
    id: str
    case_id: str
    order_id: str
    customer_id: str  # user id of the customer who owns the case
    amount: Money
    reason: RefundReason
    status: RefundStatus
    created_at: datetime
    updated_at: datetime
    requested_by_id: str
    note: str | None = None
    lines: tuple[RefundLine, ...] = ()
    include_shipping: bool = False
    approval: RefundApproval | None = None
    decided_by_id: str | None = None
    decision_note: str | None = None
    decided_at: datetime | None = None
    failure_reason: str | None = None
    # Execution: attempt n is paid with the gateway idempotency key "{id}:{n}"; it only grows
    # when an agent retries a FAILED refund. The gateway's id of the refund once it succeeded.
    attempt: int = 1
    gateway_refund_id: str | None = None

    @classmethod
    def request(
        cls,
        *,
        case_id: str,
        order: Order,
        customer_id: str,
        requested_by: Principal,
        request: RefundRequest,
        priced: PricedRequest,
        now: datetime,
        refund_id: str | None = None,
    ) -> Refund:
        refund = cls(
            id=refund_id or new_id(),
            case_id=case_id,
            order_id=order.id,
            customer_id=customer_id,
            amount=priced.amount,
            reason=request.reason,
            status=RefundStatus.REQUESTED,
            created_at=now,
            updated_at=now,
            requested_by_id=requested_by.user_id,
            note=priced.note,
            lines=priced.lines,
            include_shipping=priced.include_shipping,
        )
        refund._record(
            CaseEventType.REFUND_REQUESTED,
            now,
            requested_by.user_id,
            f"Refund of {priced.amount.formatted()} requested ({request.reason})",
            after=RefundStatus.REQUESTED,
        )
        return refund

    def approve(
        self,
        *,
        approval: RefundApproval,
        decided_by_id: str | None,
        note: str | None,
        now: datetime,
    ) -> None:
        self._require(RefundStatus.REQUESTED, RefundStatus.APPROVED)
        self.approval = approval
        self.decided_by_id = decided_by_id
        self.decision_note = _clean_note(note)
        self.decided_at = now
        by = "automatically by the refund policy" if approval is RefundApproval.AUTO_POLICY else ""
        self._enter(
            RefundStatus.APPROVED,
            CaseEventType.REFUND_APPROVED,
            now,
            decided_by_id,
            f"Refund of {self.amount.formatted()} approved {by}".strip(),
        )

    def reject(self, *, decided_by: Principal, note: str, now: datetime) -> None:
        if not decided_by.is_staff:
            raise Forbidden("Only agents and admins decide refunds")
        cleaned = _clean_note(note)
        if cleaned is None:
            raise ValidationFailed.single("note", "a rejection needs a note for the customer")
        self._require(RefundStatus.REQUESTED, RefundStatus.REJECTED)
        self.decided_by_id = decided_by.user_id
        self.decision_note = cleaned
        self.decided_at = now
        self._enter(
            RefundStatus.REJECTED,
            CaseEventType.REFUND_REJECTED,
            now,
            decided_by.user_id,
            f"Refund of {self.amount.formatted()} rejected",
        )

    def cancel(self, *, by: Principal, now: datetime) -> None:
        self._require(RefundStatus.REQUESTED, RefundStatus.CANCELLED)
        self._enter(
            RefundStatus.CANCELLED,
            CaseEventType.REFUND_CANCELLED,
            now,
            by.user_id,
            f"Refund of {self.amount.formatted()} cancelled",
        )

    # -- execution: APPROVED -> PROCESSING -> SUCCEEDED | FAILED; FAILED -> PROCESSING (retry) ---

    @property
    def idempotency_key(self) -> str:
        """The payment gateway's idempotency key of the current attempt."""
        return idempotency_key(self.id, self.attempt)

    def queue_payment(
        self, *, payment_reference: str, actor_id: str | None, now: datetime
    ) -> RefundJob:
        """An APPROVED refund is handed to the refund worker: the job to store with the decision."""
        if self.status is not RefundStatus.APPROVED or self.attempt != 1:
            raise InvalidTransition("refund", self.status, RefundStatus.PROCESSING)
        job = RefundJob.first_attempt(
            refund_id=self.id, payment_reference=payment_reference, amount=self.amount, now=now
        )
        self._record(
            CaseEventType.REFUND_QUEUED,
            now,
            actor_id,
            f"Refund of {self.amount.formatted()} queued for payment",
            after=RefundStatus.APPROVED,  # the status stays APPROVED until the worker submits it
        )
        return job

    def start_processing(self, *, attempt: int, now: datetime) -> bool:
        """The worker submits the refund to the payment gateway. True when this moved it to
        PROCESSING; False when it already was (a retried attempt, or a worker taking over)."""
        self._require_attempt(attempt, RefundStatus.PROCESSING)
        if self.status is RefundStatus.PROCESSING:
            return False
        self._require(RefundStatus.APPROVED, RefundStatus.PROCESSING)
        self._enter(
            RefundStatus.PROCESSING,
            CaseEventType.REFUND_PROCESSING,
            now,
            None,
            f"Refund of {self.amount.formatted()} submitted to the payment gateway",
        )
        return True

    def succeed(self, *, attempt: int, gateway_refund_id: str, now: datetime) -> None:
        """The gateway paid the money back (definite)."""
        self._require_attempt(attempt, RefundStatus.SUCCEEDED)
        self._require(RefundStatus.PROCESSING, RefundStatus.SUCCEEDED)
        if not gateway_refund_id:
            raise ValueError("a succeeded refund has the gateway's refund id")
        self.gateway_refund_id = gateway_refund_id
        self.failure_reason = None
        self._enter(
            RefundStatus.SUCCEEDED,
            CaseEventType.REFUND_SUCCEEDED,
            now,
            None,
            f"Refund of {self.amount.formatted()} paid back to the customer",
        )

    def fail(self, *, attempt: int, reason: str | None, now: datetime) -> None:
        """The gateway declined (definite): the money is no longer held by this refund."""
        self._require_attempt(attempt, RefundStatus.FAILED)
        self._require(RefundStatus.PROCESSING, RefundStatus.FAILED)
        cleaned = " ".join((reason or "").split())[:FAILURE_REASON_MAX] or NO_DECLINE_REASON
        self.failure_reason = cleaned
        self._enter(
            RefundStatus.FAILED,
            CaseEventType.REFUND_FAILED,
            now,
            None,
            f"Refund of {self.amount.formatted()} failed: {cleaned}"[:FAILURE_REASON_MAX],
        )

    def retry(self, *, by: Principal, payment_reference: str, now: datetime) -> RefundJob:
        """An agent tries a FAILED refund again: a new attempt (new idempotency key), PROCESSING
        at once. The caller must have reserved the money again (FAILED released it)."""
        if not by.is_staff:
            raise Forbidden("Only agents and admins retry refunds")
        self._require(RefundStatus.FAILED, RefundStatus.PROCESSING)
        previous = self.failure_reason
        self.attempt += 1
        self.failure_reason = None
        job = RefundJob.for_attempt(
            refund_id=self.id,
            attempt=self.attempt,
            payment_reference=payment_reference,
            amount=self.amount,
            now=now,
        )
        summary = f"Refund of {self.amount.formatted()} retried (attempt {self.attempt})"
        if previous:
            summary = f"{summary} after: {previous}"
        self._enter(
            RefundStatus.PROCESSING,
            CaseEventType.REFUND_RETRIED,
            now,
            by.user_id,
            summary[:FAILURE_REASON_MAX],
        )
        return job

    def _require_attempt(self, attempt: int, target: RefundStatus) -> None:
        if attempt != self.attempt:
            raise InvalidTransition(
                f"refund (attempt {attempt}, current attempt {self.attempt})", self.status, target
            )

    def _require(self, expected: RefundStatus, target: RefundStatus) -> None:
        if self.status is not expected:
            raise InvalidTransition("refund", self.status, target)

    def _enter(
        self,
        status: RefundStatus,
        event_type: CaseEventType,
        now: datetime,
        actor_id: str | None,
        summary: str,
    ) -> None:
        """Move to `status` (the caller checked that it may) as of `now`, with the timeline entry
        of the move."""
        before, self.status, self.updated_at = self.status, status, now
        self._record(event_type, now, actor_id, summary, before=before, after=status)

    def _timeline_ids(self) -> dict[str, str]:
        return {"case_id": self.case_id, "refund_id": self.id}


def _clean_note(note: str | None) -> str | None:
    if note is None or not note.strip():
        return None
    errors: list[FieldError] = []
    cleaned = clean_text(note, "note", max_length=NOTE_MAX, multiline=True, errors=errors)
    if errors:
        raise ValidationFailed(errors)
    return cleaned
