"""Domain errors. Each expected outcome has a stable `code` that the API exposes as ErrorCode."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from domain.orders import Order


class ErrorCode(enum.StrEnum):
    VALIDATION_FAILED = "VALIDATION_FAILED"
    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    REFUND_NOT_ALLOWED = "REFUND_NOT_ALLOWED"
    APPROVAL_LIMIT_EXCEEDED = "APPROVAL_LIMIT_EXCEEDED"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    INVALID_REFRESH_TOKEN = "INVALID_REFRESH_TOKEN"
    RATE_LIMITED = "RATE_LIMITED"
    CONFLICT = "CONFLICT"
    ORDER_UNAVAILABLE = "ORDER_UNAVAILABLE"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    RATING_NOT_ALLOWED = "RATING_NOT_ALLOWED"


class DomainError(Exception):
    code: ErrorCode = ErrorCode.VALIDATION_FAILED

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


D = TypeVar("D", bound=enum.StrEnum)


class NotAllowed(DomainError, Generic[D]):
    """A rule refused the request: `denial` says which (clients branch on it), the message says
    it to a person (from the subclass's `messages`, one per denial)."""

    messages: ClassVar[Mapping[Any, str]]  # D -> str (a ClassVar cannot name D)

    def __init__(self, denial: D) -> None:
        super().__init__(self.messages[denial])
        self.denial = denial


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    message: str


class ValidationFailed(DomainError):
    code = ErrorCode.VALIDATION_FAILED

    def __init__(self, fields: list[FieldError]) -> None:
        summary = "; ".join(f"{f.field}: {f.message}" for f in fields)
        super().__init__(f"Invalid input: {summary}")
        self.fields = fields

    @classmethod
    def single(cls, field: str, message: str) -> ValidationFailed:
        return cls([FieldError(field, message)])


class NotFound(DomainError):
    """Also what a caller sees for something that exists but is not theirs."""

    code = ErrorCode.NOT_FOUND

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} not found")
        self.what = what


class Forbidden(DomainError):
    """The caller's role may not do this at all (not object-level: that is NotFound)."""

    code = ErrorCode.FORBIDDEN


class InvalidTransition(DomainError):
    code = ErrorCode.INVALID_TRANSITION

    def __init__(self, entity: str, from_state: str, to_state: str) -> None:
        super().__init__(f"A {entity} cannot move from {from_state} to {to_state}")
        self.entity = entity
        self.from_state = from_state
        self.to_state = to_state


class RefundDenial(enum.StrEnum):
    CASE_HAS_NO_ORDER = "CASE_HAS_NO_ORDER"
    ORDER_NOT_DELIVERED = "ORDER_NOT_DELIVERED"
    OUTSIDE_REFUND_WINDOW = "OUTSIDE_REFUND_WINDOW"
    EXCEEDS_REFUNDABLE_AMOUNT = "EXCEEDS_REFUNDABLE_AMOUNT"
    LINE_QUANTITY_EXCEEDED = "LINE_QUANTITY_EXCEEDED"
    SHIPPING_ALREADY_REFUNDED = "SHIPPING_ALREADY_REFUNDED"
    REFUND_ALREADY_PENDING = "REFUND_ALREADY_PENDING"
    TOO_MANY_REQUESTS = "TOO_MANY_REQUESTS"
    ORDER_CANCELLED = "ORDER_CANCELLED"
    ORDER_UNAVAILABLE = "ORDER_UNAVAILABLE"


_DENIAL_MESSAGES: dict[RefundDenial, str] = {
    RefundDenial.CASE_HAS_NO_ORDER: "This case is not about an order, so nothing can be refunded.",
    RefundDenial.ORDER_NOT_DELIVERED: "The order has not been delivered yet.",
    RefundDenial.OUTSIDE_REFUND_WINDOW: "The refund window for this order has ended.",
    RefundDenial.EXCEEDS_REFUNDABLE_AMOUNT: "The amount is more than what is left to refund.",
    RefundDenial.LINE_QUANTITY_EXCEEDED: "More items than were ordered (and not yet refunded).",
    RefundDenial.SHIPPING_ALREADY_REFUNDED: "Shipping of this order has already been refunded.",
    RefundDenial.REFUND_ALREADY_PENDING: "A refund of this order is already awaiting a decision.",
    RefundDenial.TOO_MANY_REQUESTS: "Too many refund requests in the last 24 hours.",
    RefundDenial.ORDER_CANCELLED: "Cancelled orders are refunded by the shop's order system.",
    RefundDenial.ORDER_UNAVAILABLE: "The order system cannot be reached right now; try again.",
}


class RefundNotAllowed(NotAllowed[RefundDenial]):
    code = ErrorCode.REFUND_NOT_ALLOWED
    messages = _DENIAL_MESSAGES


class ApprovalLimitExceeded(DomainError):
    code = ErrorCode.APPROVAL_LIMIT_EXCEEDED

    def __init__(self, limit_formatted: str) -> None:
        super().__init__(f"Refunds above {limit_formatted} need an admin's approval")
        self.limit_formatted = limit_formatted


class InvalidCredentials(DomainError):
    code = ErrorCode.INVALID_CREDENTIALS

    def __init__(self) -> None:
        super().__init__("Email or password is wrong")


class InvalidRefreshToken(DomainError):
    code = ErrorCode.INVALID_REFRESH_TOKEN

    def __init__(self) -> None:
        super().__init__("The refresh token is invalid, expired or already used; log in again")


class RateLimited(DomainError):
    code = ErrorCode.RATE_LIMITED

    def __init__(self, retry_after_seconds: float) -> None:
        super().__init__(f"Too many attempts; retry in {max(1, round(retry_after_seconds))} s")
        self.retry_after_seconds = retry_after_seconds


class ConcurrentUpdate(DomainError):
    """Someone else changed the same thing at the same time; the caller may simply retry."""

    code = ErrorCode.CONFLICT

    def __init__(self, what: str) -> None:
        super().__init__(f"The {what} was changed by someone else at the same time; try again")


class IdempotencyKeyReused(DomainError):
    """An idempotency key was sent again with other input than the first time."""

    code = ErrorCode.IDEMPOTENCY_KEY_REUSED

    def __init__(self) -> None:
        super().__init__(
            "This idempotencyKey was already used with other input; use a new key for a new request"
        )


class OrderSystemUnavailable(Exception):
    """The order system could not answer (timeout, refused, 5xx, malformed). Not a DomainError:
    use cases translate it into a business outcome (e.g. RefundDenial.ORDER_UNAVAILABLE)."""


class OrdersPartiallyUnavailable(OrderSystemUnavailable):
    """The order system could not answer and some of the ids asked for have no cached copy.

    `available` holds what could be served (fresh or stale copies, by id), `missing` the ids
    with nothing. Callers that only catch `OrderSystemUnavailable` stay correct."""

    def __init__(self, message: str, *, available: dict[str, Order], missing: Sequence[str]):
        super().__init__(message)
        self.available = available
        self.missing = tuple(missing)


class InvalidAccessToken(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
