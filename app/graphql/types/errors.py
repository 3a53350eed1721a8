"""Expected business outcomes of mutations: union members implementing the Error interface."""

from __future__ import annotations

import strawberry

from app.graphql.types.common import (
    CaseStatus,
    ErrorCode,
    RatingDenial,
    RefundDenial,
    RefundStatus,
)
from domain import errors as domain_errors
from domain import satisfaction


@strawberry.interface(description="An expected outcome that is not a success.")
class Error:
    message: str = strawberry.field(description="Human-readable explanation, safe to show.")
    code: ErrorCode = strawberry.field(description="Stable machine-readable code.")


@strawberry.type(description="One invalid input field.")
class FieldError:
    field: str = strawberry.field(
        description="The input field, e.g. `subject` or `lines[0].quantity`."
    )
    message: str = strawberry.field(description="What is wrong with it.")


@strawberry.type(description="The input was invalid; `fields` says where.")
class ValidationFailed(Error):
    fields: list[FieldError] = strawberry.field(description="Every problem found.")


@strawberry.type(description="No such object, or it is not yours (the two look the same).")
class NotFound(Error):
    pass


@strawberry.type(
    description="The requested status change is not allowed from the current status. A case's "
    "transition sets fromCaseStatus/toCaseStatus, a refund's fromRefundStatus/toRefundStatus."
)
class InvalidTransition(Error):
    from_status: str = strawberry.field(
        description="The current status, as a string.",
        deprecation_reason="Use fromCaseStatus or fromRefundStatus (enums).",
    )
    to_status: str = strawberry.field(
        description="The status that was asked for, as a string.",
        deprecation_reason="Use toCaseStatus or toRefundStatus (enums).",
    )
    from_case_status: CaseStatus | None = strawberry.field(
        default=None, description="The case's current status (null when a refund's transition)."
    )
    to_case_status: CaseStatus | None = strawberry.field(
        default=None, description="The case status that was asked for (null for a refund)."
    )
    from_refund_status: RefundStatus | None = strawberry.field(
        default=None, description="The refund's current status (null when a case's transition)."
    )
    to_refund_status: RefundStatus | None = strawberry.field(
        default=None, description="The refund status that was asked for (null for a case)."
    )


@strawberry.type(description="The refund cannot be made; `denial` says why.")
class RefundNotAllowed(Error):
    denial: RefundDenial = strawberry.field(description="The rule that refused it.")


@strawberry.type(description="The amount is above what your role may approve.")
class ApprovalLimitExceeded(Error):
    pass


@strawberry.type(description="Email or password is wrong.")
class InvalidCredentials(Error):
    pass


@strawberry.type(description="The refresh token is unknown, expired, revoked or already used.")
class InvalidRefreshToken(Error):
    pass


@strawberry.type(description="Too many attempts; try again later.")
class RateLimited(Error):
    retry_after_seconds: int = strawberry.field(description="Seconds to wait before retrying.")


@strawberry.type(description="Someone changed the same thing at the same moment; retry.")
class Conflict(Error):
    pass


@strawberry.type(
    description="The order system cannot be reached right now; retry shortly. This is how every "
    "mutation reports it (code ORDER_UNAVAILABLE). Refund mutations answer it to clients that "
    "select `... on OrderUnavailable`; to others, RefundNotAllowed{denial: ORDER_UNAVAILABLE} "
    "(deprecated)."
)
class OrderUnavailable(Error):
    pass


@strawberry.type(
    description="This idempotencyKey was used before with other input: use a new key for a new "
    "request (the same key with the same input returns the first result)."
)
class IdempotencyKeyReused(Error):
    pass


@strawberry.type(description="The case cannot be rated now; `denial` says why.")
class RatingNotAllowed(Error):
    denial: RatingDenial = strawberry.field(description="The rule that refused it.")


def _invalid_transition(exc: domain_errors.InvalidTransition, code: ErrorCode) -> InvalidTransition:
    result = InvalidTransition(
        message=exc.message, code=code, from_status=exc.from_state, to_status=exc.to_state
    )
    if isinstance(exc.from_state, CaseStatus) and isinstance(exc.to_state, CaseStatus):
        result.from_case_status, result.to_case_status = exc.from_state, exc.to_state
    if isinstance(exc.from_state, RefundStatus) and isinstance(exc.to_state, RefundStatus):
        result.from_refund_status, result.to_refund_status = exc.from_state, exc.to_state
    return result


def to_graphql_error(exc: domain_errors.DomainError) -> Error:
    """Map a domain error onto its GraphQL type (Forbidden is a top-level error instead)."""
    code = ErrorCode(exc.code)
    if isinstance(exc, domain_errors.ValidationFailed):
        fields = [FieldError(field=f.field, message=f.message) for f in exc.fields]
        return ValidationFailed(message=exc.message, code=code, fields=fields)
    if isinstance(exc, domain_errors.NotFound):
        return NotFound(message=exc.message, code=code)
    if isinstance(exc, domain_errors.InvalidTransition):
        return _invalid_transition(exc, code)
    if isinstance(exc, domain_errors.RefundNotAllowed):
        return RefundNotAllowed(message=exc.message, code=code, denial=RefundDenial(exc.denial))
    if isinstance(exc, domain_errors.ApprovalLimitExceeded):
        return ApprovalLimitExceeded(message=exc.message, code=code)
    if isinstance(exc, domain_errors.InvalidCredentials):
        return InvalidCredentials(message=exc.message, code=code)
    if isinstance(exc, domain_errors.InvalidRefreshToken):
        return InvalidRefreshToken(message=exc.message, code=code)
    if isinstance(exc, domain_errors.RateLimited):
        return RateLimited(
            message=exc.message,
            code=code,
            retry_after_seconds=max(1, round(exc.retry_after_seconds)),
        )
    if isinstance(exc, domain_errors.ConcurrentUpdate):
        return Conflict(message=exc.message, code=code)
    if isinstance(exc, domain_errors.IdempotencyKeyReused):
        return IdempotencyKeyReused(message=exc.message, code=code)
    if isinstance(exc, satisfaction.RatingNotAllowed):
        return RatingNotAllowed(message=exc.message, code=code, denial=RatingDenial(exc.denial))
    if exc.code is domain_errors.ErrorCode.ORDER_UNAVAILABLE:
        return OrderUnavailable(message=exc.message, code=code)
    raise exc
