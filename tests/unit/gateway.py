"""An in-process PaymentGateway over the simulator's state: the simulator's ledger, idempotency
and faults, without HTTP (what the HTTP client would turn each fault into, raised directly)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from adapters.payment_gateway.simulator import (
    FaultMode,
    IdempotencyKeyReused,
    PaymentGatewaySimulatorState,
)
from domain.money import Money
from domain.payments import (
    GatewayOutcomeUnknown,
    GatewayRefund,
    GatewayRefundStatus,
    GatewayRejectedRequest,
)
from domain.usecases.services import Services


class SimulatorGateway:
    def __init__(self, state: PaymentGatewaySimulatorState | None = None) -> None:
        self.state = state or PaymentGatewaySimulatorState()
        self.calls: list[str] = []  # idempotency keys, in call order
        self.during_call: Callable[[str], None] | None = None  # runs while "talking to the PSP"

    async def refund(
        self, *, payment_reference: str, amount: Money, idempotency_key: str
    ) -> GatewayRefund:
        self.calls.append(idempotency_key)
        fault = self.state.take_fault()
        if self.during_call is not None:
            self.during_call(idempotency_key)
        if fault.mode is FaultMode.ERROR_5XX:
            raise GatewayOutcomeUnknown("server error 503", retry_after_seconds=1)
        if fault.mode is FaultMode.RESET_BEFORE_COMMIT:
            raise GatewayOutcomeUnknown("connection reset (before commit)")
        try:
            outcome = await self.state.refund(
                idempotency_key=idempotency_key,
                payment_reference=payment_reference,
                amount=amount.amount,
                currency=amount.currency,
                decline_reason=fault.decline_reason if fault.mode is FaultMode.DECLINE else None,
            )
        except IdempotencyKeyReused:
            raise GatewayRejectedRequest(
                "request rejected (422 idempotency_key_reused)",
                status_code=422,
                code="idempotency_key_reused",
            ) from None
        if fault.mode in (FaultMode.TIMEOUT_AFTER_COMMIT, FaultMode.RESET_AFTER_COMMIT):
            raise GatewayOutcomeUnknown(f"{fault.mode.value}: no answer")
        refund = outcome.refund
        status = (
            GatewayRefundStatus.SUCCEEDED
            if refund.status == "succeeded"
            else GatewayRefundStatus.DECLINED
        )
        return GatewayRefund(gateway_refund_id=refund.id, status=status, reason=refund.reason)

    def payouts_for_refund(self, refund_id: str) -> int:
        """Payouts under any attempt key of the refund ("{refund_id}:{n}")."""
        return sum(1 for p in self.state.payouts if p.idempotency_key.split(":")[0] == refund_id)


def with_gateway(services: Services, gateway: SimulatorGateway) -> Services:
    return dataclasses.replace(services, payments=gateway)
