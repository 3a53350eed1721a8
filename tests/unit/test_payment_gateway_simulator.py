"""The payment-gateway simulator's state, in-process (no HTTP): idempotency, the payout ledger,
the per-key lock, key expiry and the fault switch; plus the value objects of domain.payments."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from adapters.clock import FixedClock
from adapters.payment_gateway.simulator import (
    DEFAULT_DECLINE_REASON,
    DEFAULT_HANG_MS,
    Fault,
    FaultMode,
    IdempotencyKeyReused,
    InvalidRefundRequest,
    PaymentGatewaySimulatorState,
    create_payment_gateway_simulator,
    gateway_state,
)
from domain.payments import (
    GatewayOutcomeUnknown,
    GatewayRefund,
    GatewayRefundStatus,
    GatewayRejectedRequest,
)

START = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
REQUEST: dict[str, Any] = {"payment_reference": "pay_1", "amount": 1250, "currency": "USD"}


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def state(clock: FixedClock) -> PaymentGatewaySimulatorState:
    return PaymentGatewaySimulatorState(clock=clock)


async def test_a_refund_pays_once_and_is_recorded(state: PaymentGatewaySimulatorState) -> None:
    outcome = await state.refund(idempotency_key="rf-1", **REQUEST)
    refund = outcome.refund
    assert not outcome.replayed
    assert refund.status == "succeeded" and refund.reason is None
    assert (refund.amount, refund.currency, refund.payment_reference) == (1250, "USD", "pay_1")
    assert refund.created_at == START and refund.idempotency_key == "rf-1"
    assert state.get_refund(refund.id) == refund
    [payout] = state.payouts
    assert (payout.refund_id, payout.idempotency_key, payout.amount) == (refund.id, "rf-1", 1250)
    assert payout.paid_at == START
    assert state.payout_count("rf-1") == 1 and state.payout_count() == 1
    assert state.payout_count("other") == 0


async def test_same_key_same_parameters_replays_without_paying(
    state: PaymentGatewaySimulatorState,
) -> None:
    first = await state.refund(idempotency_key="rf-1", **REQUEST)
    again = await state.refund(idempotency_key="rf-1", **REQUEST)
    assert again.replayed and again.refund == first.refund
    assert state.payout_count("rf-1") == 1 and state.replays == 1


@pytest.mark.parametrize(
    "change",
    [{"amount": 1251}, {"currency": "EUR"}, {"payment_reference": "pay_2"}],
    ids=["amount", "currency", "payment_reference"],
)
async def test_same_key_other_parameters_is_refused(
    state: PaymentGatewaySimulatorState, change: dict[str, Any]
) -> None:
    first = await state.refund(idempotency_key="rf-1", **REQUEST)
    with pytest.raises(IdempotencyKeyReused):
        await state.refund(idempotency_key="rf-1", **(REQUEST | change))
    assert state.payout_count() == 1 and list(state.refunds) == [first.refund.id]


async def test_other_keys_are_other_refunds(state: PaymentGatewaySimulatorState) -> None:
    a = await state.refund(idempotency_key="rf-1", **REQUEST)
    b = await state.refund(idempotency_key="rf-2", **REQUEST)
    assert a.refund.id != b.refund.id
    assert state.payout_count() == 2


async def test_a_decline_pays_nothing_and_is_replayed(state: PaymentGatewaySimulatorState) -> None:
    declined = await state.refund(idempotency_key="rf-1", decline_reason="card_closed", **REQUEST)
    assert declined.refund.status == "declined" and declined.refund.reason == "card_closed"
    assert state.payouts == []
    again = await state.refund(idempotency_key="rf-1", **REQUEST)  # no decline asked this time
    assert again.replayed and again.refund == declined.refund
    assert state.payouts == []


BAD_REQUESTS: list[tuple[str, dict[str, Any]]] = [
    ("empty key", {"idempotency_key": ""}),
    ("key with a space", {"idempotency_key": "rf 1"}),
    ("key too long", {"idempotency_key": "k" * 256}),
    ("key not ascii", {"idempotency_key": "rf-é"}),
    ("amount zero", {"amount": 0}),
    ("amount negative", {"amount": -5}),
    ("amount float", {"amount": 12.5}),
    ("amount bool", {"amount": True}),
    ("amount string", {"amount": "1250"}),
    ("amount too large", {"amount": 10**12 + 1}),
    ("currency lower case", {"currency": "usd"}),
    ("currency too short", {"currency": "US"}),
    ("currency not letters", {"currency": "U5D"}),
    ("reference empty", {"payment_reference": ""}),
    ("reference blank", {"payment_reference": "   "}),
    ("reference too long", {"payment_reference": "p" * 256}),
]


@pytest.mark.parametrize(("case", "change"), BAD_REQUESTS, ids=[c for c, _ in BAD_REQUESTS])
async def test_invalid_requests_are_refused_and_store_nothing(
    state: PaymentGatewaySimulatorState, case: str, change: dict[str, Any]
) -> None:
    arguments = {"idempotency_key": "rf-1", **REQUEST} | change
    with pytest.raises(InvalidRefundRequest):
        await state.refund(**arguments)
    assert state.refunds == {} and state.payouts == []
    assert not state.knows_key("rf-1")


async def test_the_longest_valid_inputs_are_accepted(state: PaymentGatewaySimulatorState) -> None:
    key = "~" * 255
    await state.refund(
        idempotency_key=key, payment_reference="p" * 255, amount=10**12, currency="JPY"
    )
    assert state.payout_count(key) == 1


# -- concurrency: the per-key lock ---------------------------------------------------------------


async def test_twenty_concurrent_requests_with_one_key_pay_once(
    state: PaymentGatewaySimulatorState,
) -> None:
    state.processing_seconds = 0.005
    outcomes = await asyncio.gather(
        *(state.refund(idempotency_key="rf-1", **REQUEST) for _ in range(20))
    )
    assert len({o.refund.id for o in outcomes}) == 1
    assert sum(not o.replayed for o in outcomes) == 1
    assert state.payout_count("rf-1") == 1 and state.replays == 19
    assert state._locks == {}  # no lock left behind


async def test_without_the_lock_concurrent_requests_would_pay_twice(
    state: PaymentGatewaySimulatorState, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The previous test can fail: with the per-key lock replaced by nothing, the same
    concurrent requests pay several times."""

    @contextlib.asynccontextmanager
    async def no_lock(key: str) -> AsyncIterator[None]:
        yield

    monkeypatch.setattr(state, "_key_lock", no_lock)
    await asyncio.gather(*(state.refund(idempotency_key="rf-1", **REQUEST) for _ in range(20)))
    assert state.payout_count("rf-1") > 1


async def test_concurrent_requests_with_one_key_and_other_parameters(
    state: PaymentGatewaySimulatorState,
) -> None:
    async def attempt(amount: int) -> int | None:
        try:
            outcome = await state.refund(idempotency_key="rf-1", **(REQUEST | {"amount": amount}))
        except IdempotencyKeyReused:
            return None
        return outcome.refund.amount

    results = await asyncio.gather(*(attempt(100 + n % 2) for n in range(20)))
    [payout] = state.payouts
    paid = [r for r in results if r is not None]
    assert paid and set(paid) == {payout.amount}
    assert results.count(None) == 10


async def test_different_keys_do_not_wait_for_each_other(
    state: PaymentGatewaySimulatorState,
) -> None:
    state.processing_seconds = 0.05
    async with asyncio.timeout(2):
        await asyncio.gather(
            *(state.refund(idempotency_key=f"rf-{n}", **REQUEST) for n in range(20))
        )
    assert state.payout_count() == 20


# -- key retention (24 h) ------------------------------------------------------------------------


async def test_keys_are_kept_24_hours_then_forgotten(
    state: PaymentGatewaySimulatorState, clock: FixedClock
) -> None:
    first = await state.refund(idempotency_key="rf-1", **REQUEST)
    clock.advance(hours=24)
    kept = await state.refund(idempotency_key="rf-1", **REQUEST)
    assert kept.replayed and kept.refund.id == first.refund.id
    assert state.knows_key("rf-1")

    clock.advance(microseconds=1)
    assert not state.knows_key("rf-1")
    second = await state.refund(idempotency_key="rf-1", **(REQUEST | {"amount": 99}))
    assert not second.replayed and second.refund.id != first.refund.id
    assert state.payout_count("rf-1") == 2  # what a caller retrying for too long would cause
    assert state.get_refund(first.refund.id) == first.refund  # refunds stay; keys expire


async def test_prune_forgets_only_expired_keys(
    state: PaymentGatewaySimulatorState, clock: FixedClock
) -> None:
    await state.refund(idempotency_key="old", **REQUEST)
    clock.advance(hours=12)
    await state.refund(idempotency_key="young", **REQUEST)
    clock.advance(hours=12, seconds=1)
    assert state.prune() == 1
    assert not state.knows_key("old") and state.knows_key("young")
    assert state.prune() == 0


def test_the_ttl_is_configurable() -> None:
    clock = FixedClock(START)
    short = PaymentGatewaySimulatorState(clock=clock, idempotency_ttl=timedelta(minutes=5))
    assert short.idempotency_ttl == timedelta(minutes=5)
    with pytest.raises(ValueError):
        PaymentGatewaySimulatorState(idempotency_ttl=timedelta(0))


# -- faults ----------------------------------------------------------------------------------------


def test_no_fault_by_default(state: PaymentGatewaySimulatorState) -> None:
    assert state.fault == Fault()
    assert state.fault.to_json() == {
        "mode": "none",
        "latency_ms": 0,
        "decline_reason": DEFAULT_DECLINE_REASON,
        "hang_ms": DEFAULT_HANG_MS,
        "times": None,
    }
    for _ in range(3):
        assert state.take_fault().mode is FaultMode.NONE


def test_a_fault_for_n_requests_then_off(state: PaymentGatewaySimulatorState) -> None:
    state.set_fault("error_5xx", times=2)
    assert state.take_fault().mode is FaultMode.ERROR_5XX
    assert state.fault.times == 1
    assert state.take_fault().mode is FaultMode.ERROR_5XX
    assert state.fault == Fault()
    assert state.take_fault().mode is FaultMode.NONE


def test_a_fault_without_times_stays_until_switched_off(
    state: PaymentGatewaySimulatorState,
) -> None:
    state.set_fault(FaultMode.DECLINE, decline_reason="card_closed")
    for _ in range(5):
        fault = state.take_fault()
        assert fault.mode is FaultMode.DECLINE and fault.decline_reason == "card_closed"
    state.set_fault("none")
    assert state.take_fault().mode is FaultMode.NONE
    state.set_fault("latency", latency_ms=10)
    state.clear_faults()
    assert state.fault == Fault()


def test_reset_is_an_alias_of_reset_after_commit(state: PaymentGatewaySimulatorState) -> None:
    assert state.set_fault("reset").mode is FaultMode.RESET_AFTER_COMMIT
    assert Fault.from_json({"mode": "reset"}).mode is FaultMode.RESET_AFTER_COMMIT


def test_fault_from_json() -> None:
    fault = Fault.from_json(
        {"mode": "latency", "latency_ms": 250, "times": 3, "decline_reason": None}
    )
    assert fault == Fault(mode=FaultMode.LATENCY, latency_ms=250, times=3)
    assert Fault.from_json({"mode": "timeout_after_commit", "hang_ms": 500}).hang_ms == 500
    assert Fault.from_json(fault.to_json()) == fault


BAD_FAULTS: list[Any] = [
    [],
    {},
    {"mode": None},
    {"mode": "explode"},
    {"mode": "latency", "latency_ms": -1},
    {"mode": "latency", "latency_ms": 1.5},
    {"mode": "latency", "latency_ms": "10"},
    {"mode": "latency", "latency_ms": 600_001},
    {"mode": "timeout_after_commit", "hang_ms": 0},
    {"mode": "error_5xx", "times": 0},
    {"mode": "error_5xx", "times": True},
    {"mode": "decline", "decline_reason": ""},
    {"mode": "decline", "decline_reason": 5},
    {"mode": "decline", "decline_reason": "x" * 201},
    {"mode": "none", "colour": "red"},
]


@pytest.mark.parametrize("payload", BAD_FAULTS)
def test_invalid_faults_are_refused(state: PaymentGatewaySimulatorState, payload: Any) -> None:
    with pytest.raises(ValueError):
        Fault.from_json(payload)


def test_set_fault_validates(state: PaymentGatewaySimulatorState) -> None:
    with pytest.raises(ValueError):
        state.set_fault("explode")
    with pytest.raises(ValueError):
        state.set_fault("error_5xx", times=0)
    assert state.fault == Fault()


async def test_clear_forgets_everything(state: PaymentGatewaySimulatorState) -> None:
    await state.refund(idempotency_key="rf-1", **REQUEST)
    await state.refund(idempotency_key="rf-1", **REQUEST)
    state.set_fault("decline")
    state.requests_received = 2
    state.clear()
    assert state.refunds == {} and state.payouts == [] and not state.knows_key("rf-1")
    assert state.replays == 0 and state.requests_received == 0 and state.fault == Fault()


async def test_ledger_json(state: PaymentGatewaySimulatorState) -> None:
    outcome = await state.refund(idempotency_key="rf-1", **REQUEST)
    await state.refund(idempotency_key="rf-2", decline_reason="card_closed", **REQUEST)
    ledger = state.ledger_json()
    assert ledger["payout_count"] == 1 and ledger["refund_count"] == 2
    assert ledger["payouts"] == [
        {
            "refund_id": outcome.refund.id,
            "idempotency_key": "rf-1",
            "payment_reference": "pay_1",
            "amount": 1250,
            "currency": "USD",
            "paid_at": "2025-03-10T12:00:00Z",
        }
    ]


def test_the_app_exposes_its_state() -> None:
    clock = FixedClock(START)
    app = create_payment_gateway_simulator(clock=clock)
    state = gateway_state(app)
    assert isinstance(state, PaymentGatewaySimulatorState)
    assert app.state.gateway is state


# -- domain.payments value objects ---------------------------------------------------------------


def test_gateway_refund() -> None:
    ok = GatewayRefund("re_1", GatewayRefundStatus.SUCCEEDED)
    assert ok.succeeded and ok.reason is None
    declined = GatewayRefund("re_2", GatewayRefundStatus.DECLINED, "card_closed")
    assert not declined.succeeded and declined.reason == "card_closed"
    with pytest.raises(ValueError):
        GatewayRefund("", GatewayRefundStatus.SUCCEEDED)
    with pytest.raises(TypeError):
        GatewayRefund("re_3", "SUCCEEDED")  # type: ignore[arg-type]
    with pytest.raises(AttributeError):
        ok.reason = "x"  # type: ignore[misc]


def test_gateway_errors_carry_their_details() -> None:
    unknown = GatewayOutcomeUnknown("timed out", retry_after_seconds=2.0)
    assert str(unknown) == "timed out" and unknown.retry_after_seconds == 2.0
    assert GatewayOutcomeUnknown("x").retry_after_seconds is None
    rejected = GatewayRejectedRequest("reused", status_code=422, code="idempotency_key_reused")
    assert (rejected.status_code, rejected.code) == (422, "idempotency_key_reused")
    assert not isinstance(unknown, GatewayRejectedRequest)
    assert not isinstance(rejected, GatewayOutcomeUnknown)
