"""The payment gateway (PSP) port: refund a charge, exactly once per idempotency key.

Contract of `PaymentGateway.refund` (DOMAIN.md "Payment gateway", ARCHITECTURE.md "Money movement"):

- The idempotency key identifies ONE refund. The same key with the same parameters returns the first
  result again and never pays twice (within the gateway's key retention, 24 h for the simulator);
  the same key with other parameters is refused (`GatewayRejectedRequest`). The refund worker uses
  the refund id as key.
- It returns a `GatewayRefund` for a definite answer: SUCCEEDED (money moved) or DECLINED (a
  definite "no", with the gateway's reason; retrying with the same key returns the same decline).
- It raises `GatewayOutcomeUnknown` when the gateway did not give a definite answer (timeout,
  connection refused or reset, 5xx, 429, a malformed or inconsistent answer): the refund may or may
  not have happened. The caller retries later WITH THE SAME KEY and never marks the refund failed.
- It raises `GatewayRejectedRequest` when the gateway says our request itself is wrong (4xx such as
  a reused idempotency key, invalid parameters, bad credentials): a bug or a misconfiguration to
  surface to a human, not a decline of the refund and not something a retry can fix.

Exception messages never contain credentials or the gateway's address.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol

from domain.money import Money

__all__ = [
    "GatewayOutcomeUnknown",
    "GatewayRefund",
    "GatewayRefundStatus",
    "GatewayRejectedRequest",
    "PaymentGateway",
]


class GatewayRefundStatus(enum.StrEnum):
    SUCCEEDED = "SUCCEEDED"
    DECLINED = "DECLINED"


@dataclass(frozen=True, slots=True)
class GatewayRefund:
    """A definite answer of the gateway. `reason` is the gateway's decline reason (None when
    it succeeded, and possibly None on a decline the gateway did not explain)."""

    gateway_refund_id: str
    status: GatewayRefundStatus
    reason: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.gateway_refund_id, str) or not self.gateway_refund_id:
            raise ValueError("gateway_refund_id must be a non-empty string")
        if not isinstance(self.status, GatewayRefundStatus):
            raise TypeError("status must be a GatewayRefundStatus")
        if self.reason is not None and not isinstance(self.reason, str):
            raise TypeError("reason must be a string or None")

    @property
    def succeeded(self) -> bool:
        return self.status is GatewayRefundStatus.SUCCEEDED


class GatewayOutcomeUnknown(Exception):
    """The refund may or may not have happened: retry with the same idempotency key, later.

    `retry_after_seconds` is the gateway's own hint (a Retry-After header), when it gave one."""

    def __init__(self, message: str, *, retry_after_seconds: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class GatewayRejectedRequest(Exception):
    """The gateway refused our request as invalid (e.g. an idempotency key reused with other
    parameters). Nothing was paid for this request; a retry cannot help: it is a bug.

    `status_code` is the HTTP status (None when refused before sending), `code` the gateway's
    machine-readable error code (e.g. "idempotency_key_reused") when it gave one."""

    def __init__(
        self, message: str, *, status_code: int | None = None, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code


class PaymentGateway(Protocol):
    """Refunds money to the customer's original payment (see the module docstring)."""

    async def refund(
        self, *, payment_reference: str, amount: Money, idempotency_key: str
    ) -> GatewayRefund:
        """Refund `amount` of the charge `payment_reference`, once per `idempotency_key`.

        Raises GatewayOutcomeUnknown (retry with the same key) or GatewayRejectedRequest (a bug)."""
        ...
