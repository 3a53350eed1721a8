"""HttpPaymentGateway against the payment-gateway simulator, over real HTTP (uvicorn on 127.0.0.1)
and in-process (httpx.ASGITransport, the embedded mode): idempotency, every fault mode with what
the ledger then shows, concurrency, key expiry; plus failures of a real network (refused, silent)
and malformed answers from a scripted server."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from adapters.clock import FixedClock
from adapters.payment_gateway.http_client import HttpPaymentGateway
from adapters.payment_gateway.simulator import (
    DEFAULT_DECLINE_REASON,
    PaymentGatewaySimulatorState,
    SimulatedConnectionReset,
    create_payment_gateway_simulator,
    gateway_state,
)
from domain.money import Money
from domain.payments import (
    GatewayOutcomeUnknown,
    GatewayRefund,
    GatewayRefundStatus,
    GatewayRejectedRequest,
    PaymentGateway,
)
from tests.toolbox.network import HttpImpl, free_port, serve, silent_server

START = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
REFERENCE = "pay_3f9a1c1001"
AMOUNT = Money(1250, "USD")
SHORT = 0.3  # client timeout of the tests that make the gateway hang


def new_key() -> str:
    return f"rf-{uuid.uuid4()}"


# -- the simulator, served two ways --------------------------------------------------------------


@dataclass
class Target:
    """A running simulator: `http` talks to it (operator endpoints), `gateway()` makes clients."""

    name: str
    base_url: str
    state: PaymentGatewaySimulatorState
    clock: FixedClock
    http: httpx.AsyncClient
    in_process: bool
    _gateways: list[HttpPaymentGateway] = field(default_factory=list)

    def gateway(self, timeout: float = 2.0) -> HttpPaymentGateway:
        """A client; over real HTTP each has its own connection pool."""
        client = self.http if self.in_process else None
        gateway = HttpPaymentGateway(self.base_url, timeout=timeout, client=client)
        self._gateways.append(gateway)
        return gateway

    async def set_fault(self, **fault: Any) -> dict[str, Any]:
        response = await self.http.post(f"{self.base_url}/_faults", json=fault)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def ledger(self) -> dict[str, Any]:
        response = await self.http.get(f"{self.base_url}/_ledger")
        assert response.status_code == 200
        body: dict[str, Any] = response.json()
        return body

    async def reset(self) -> None:
        for gateway in self._gateways:
            await gateway.aclose()
        self._gateways.clear()
        self.state.clear()
        self.state.processing_seconds = 0.0
        self.clock.set(START)


@pytest_asyncio.fixture(scope="module")
async def uvicorn_target() -> AsyncIterator[Target]:
    clock = FixedClock(START)
    app = create_payment_gateway_simulator(clock=clock)
    async with serve(app) as url, httpx.AsyncClient(timeout=5) as http:
        yield Target("uvicorn", url, gateway_state(app), clock, http, in_process=False)


@pytest_asyncio.fixture(scope="module")
async def in_process_target() -> AsyncIterator[Target]:
    clock = FixedClock(START)
    app = create_payment_gateway_simulator(clock=clock)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as http:
        yield Target("in-process", "http://gateway", gateway_state(app), clock, http, True)


@pytest_asyncio.fixture(params=["uvicorn", "in_process"])
async def target(
    request: pytest.FixtureRequest, uvicorn_target: Target, in_process_target: Target
) -> AsyncIterator[Target]:
    """The simulator over real HTTP, then in-process: one contract, two ways of serving it."""
    chosen = uvicorn_target if request.param == "uvicorn" else in_process_target
    await chosen.reset()
    yield chosen
    await chosen.reset()


@pytest_asyncio.fixture
async def sim(uvicorn_target: Target) -> AsyncIterator[Target]:
    """The simulator over real HTTP only."""
    await uvicorn_target.reset()
    yield uvicorn_target
    await uvicorn_target.reset()


async def _refund(gateway: PaymentGateway, key: str, amount: Money = AMOUNT) -> GatewayRefund:
    return await gateway.refund(payment_reference=REFERENCE, amount=amount, idempotency_key=key)


async def _eventually(condition: Callable[[], bool]) -> None:
    """Wait (at most 2 s) until `condition()` holds; it changes in another task."""
    async with asyncio.timeout(2):
        while not condition():  # noqa: ASYNC110 - polling a counter, no event to wait on
            await asyncio.sleep(0.01)


# -- the happy path and idempotency (both ways) --------------------------------------------------


async def test_refund_succeeds_and_pays_once(target: Target) -> None:
    key = new_key()
    result = await _refund(target.gateway(), key)
    assert result.status is GatewayRefundStatus.SUCCEEDED and result.reason is None
    [payout] = target.state.payouts
    assert payout.refund_id == result.gateway_refund_id
    assert (payout.idempotency_key, payout.payment_reference) == (key, REFERENCE)
    assert (payout.amount, payout.currency) == (1250, "USD")

    ledger = await target.ledger()
    assert ledger["payout_count"] == 1
    assert ledger["payouts"][0]["refund_id"] == result.gateway_refund_id
    stored = await target.http.get(f"{target.base_url}/refunds/{result.gateway_refund_id}")
    assert stored.status_code == 200
    assert stored.json() | {"created_at": None} == {
        "id": result.gateway_refund_id,
        "status": "succeeded",
        "reason": None,
        "amount": 1250,
        "currency": "USD",
        "payment_reference": REFERENCE,
        "created_at": None,
    }
    assert (await target.http.get(f"{target.base_url}/refunds/re_nope")).status_code == 404


async def test_same_key_twice_returns_the_same_refund_and_pays_once(target: Target) -> None:
    key = new_key()
    gateway = target.gateway()
    first = await _refund(gateway, key)
    again = await _refund(target.gateway(), key)  # another client, as after a worker restart
    assert again == first
    assert target.state.payout_count(key) == 1 and target.state.replays == 1


async def test_replays_are_marked(target: Target) -> None:
    key = new_key()
    body = {"payment_reference": REFERENCE, "amount": 1250, "currency": "USD"}
    url, headers = f"{target.base_url}/refunds", {"Idempotency-Key": key}
    first = await target.http.post(url, json=body, headers=headers)
    again = await target.http.post(url, json=body, headers=headers)
    assert "idempotent-replayed" not in first.headers
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()


@pytest.mark.parametrize(
    ("reference", "amount"),
    [(REFERENCE, Money(1251, "USD")), (REFERENCE, Money(1250, "EUR")), ("pay_other", AMOUNT)],
    ids=["other amount", "other currency", "other payment"],
)
async def test_same_key_other_parameters_is_a_rejected_request(
    target: Target, reference: str, amount: Money
) -> None:
    key = new_key()
    gateway = target.gateway()
    first = await _refund(gateway, key)
    with pytest.raises(GatewayRejectedRequest) as info:
        await gateway.refund(payment_reference=reference, amount=amount, idempotency_key=key)
    assert info.value.status_code == 422 and info.value.code == "idempotency_key_reused"
    assert "idempotency_key_reused" in str(info.value)
    assert target.state.payout_count(key) == 1
    assert await _refund(gateway, key) == first  # the original request still replays


async def test_other_keys_pay_again(target: Target) -> None:
    gateway = target.gateway()
    first, second = await _refund(gateway, new_key()), await _refund(gateway, new_key())
    assert first.gateway_refund_id != second.gateway_refund_id
    assert target.state.payout_count() == 2


async def test_an_invalid_request_is_rejected_and_pays_nothing(target: Target) -> None:
    with pytest.raises(GatewayRejectedRequest) as info:
        await _refund(target.gateway(), new_key(), Money(10**12 + 1, "USD"))  # above the max
    assert info.value.status_code == 400 and info.value.code == "invalid_request"
    assert target.state.payouts == [] and target.state.refunds == {}


# -- faults (both ways unless said otherwise) ----------------------------------------------------


async def test_timeout_after_commit_paid_but_the_caller_saw_a_timeout(target: Target) -> None:
    key = new_key()
    fault = await target.set_fault(mode="timeout_after_commit")
    assert fault["mode"] == "timeout_after_commit" and fault["times"] is None
    gateway = target.gateway(timeout=SHORT)

    started = time.monotonic()
    with pytest.raises(GatewayOutcomeUnknown, match="timed out") as info:
        await _refund(gateway, key)
    assert time.monotonic() - started < SHORT + 1.0  # the client's deadline, not the 30 s hang
    assert "127.0.0.1" not in str(info.value)
    [payout] = target.state.payouts  # the money moved
    assert payout.idempotency_key == key
    # The gateway stops hanging when the caller goes away (no request left behind).
    await _eventually(lambda: target.state.in_flight == 0)

    # Retrying during the outage still times out, and still pays nothing more.
    for _ in range(2):
        with pytest.raises(GatewayOutcomeUnknown):
            await _refund(gateway, key)
    assert target.state.payout_count(key) == 1

    assert (await target.set_fault(mode="none"))["mode"] == "none"
    retried = await _refund(gateway, key)
    assert retried.status is GatewayRefundStatus.SUCCEEDED
    assert retried.gateway_refund_id == payout.refund_id  # the SAME refund
    assert target.state.payout_count(key) == 1
    assert (await target.ledger())["payout_count"] == 1


async def test_error_5xx_pays_nothing_and_leaves_the_key_free(target: Target) -> None:
    key = new_key()
    await target.set_fault(mode="error_5xx")
    gateway = target.gateway()
    with pytest.raises(GatewayOutcomeUnknown, match="server error 503") as info:
        await _refund(gateway, key)
    assert info.value.retry_after_seconds == 1.0
    assert target.state.payouts == [] and target.state.refunds == {}

    await target.set_fault(mode="none")
    result = await _refund(gateway, key)
    assert result.status is GatewayRefundStatus.SUCCEEDED
    assert target.state.payout_count(key) == 1


async def test_reset_before_commit_pays_nothing(target: Target) -> None:
    key = new_key()
    await target.set_fault(mode="reset_before_commit")
    gateway = target.gateway()
    with pytest.raises(GatewayOutcomeUnknown) as info:
        await _refund(gateway, key)
    _assert_connection_dropped(target, info.value)
    assert target.state.payouts == [] and target.state.refunds == {}

    await target.set_fault(mode="none")
    await _refund(gateway, key)
    assert target.state.payout_count(key) == 1


@pytest.mark.parametrize("mode", ["reset_after_commit", "reset"])
async def test_reset_after_commit_paid_and_the_retry_gets_the_same_refund(
    target: Target, mode: str
) -> None:
    key = new_key()
    assert (await target.set_fault(mode=mode))["mode"] == "reset_after_commit"
    gateway = target.gateway()
    with pytest.raises(GatewayOutcomeUnknown) as info:
        await _refund(gateway, key)
    _assert_connection_dropped(target, info.value)
    [payout] = target.state.payouts

    await target.set_fault(mode="none")
    retried = await _refund(gateway, key)
    assert retried.gateway_refund_id == payout.refund_id
    assert target.state.payout_count(key) == 1


def _assert_connection_dropped(target: Target, error: GatewayOutcomeUnknown) -> None:
    if target.in_process:
        assert isinstance(error.__cause__, SimulatedConnectionReset)
        assert "connection error" in str(error)
    else:
        # No answer at all: not a 500, a closed connection.
        assert isinstance(error.__cause__, httpx.RemoteProtocolError)
        assert "network error" in str(error)
        assert "without sending a response" in str(error)


@pytest.mark.parametrize("http", ["httptools", "h11"])
@pytest.mark.parametrize("mode", ["reset_before_commit", "reset_after_commit"])
async def test_reset_is_a_transport_error_for_httpx(http: HttpImpl, mode: str) -> None:
    """Raw httpx, on both uvicorn HTTP implementations: no status, no bytes, a transport error;
    the connection pool recovers for the next request."""
    app = create_payment_gateway_simulator()
    state = gateway_state(app)
    body = {"payment_reference": REFERENCE, "amount": 100, "currency": "USD"}
    async with serve(app, http=http) as url, httpx.AsyncClient(base_url=url, timeout=2) as raw:
        assert (await raw.get("/healthz")).status_code == 200  # a kept-alive connection
        state.set_fault(mode, times=1)
        with pytest.raises(httpx.TransportError, match="without sending a response"):
            await raw.post("/refunds", json=body, headers={"Idempotency-Key": "k1"})
        assert state.payout_count("k1") == (1 if mode == "reset_after_commit" else 0)
        again = await raw.post("/refunds", json=body, headers={"Idempotency-Key": "k1"})
        assert again.status_code == 200 and state.payout_count("k1") == 1


async def test_decline_is_definite_and_replayed(target: Target) -> None:
    key = new_key()
    await target.set_fault(mode="decline", decline_reason="card_closed")
    gateway = target.gateway()
    declined = await _refund(gateway, key)
    assert declined.status is GatewayRefundStatus.DECLINED and not declined.succeeded
    assert declined.reason == "card_closed"
    assert target.state.payouts == []

    await target.set_fault(mode="none")
    assert await _refund(gateway, key) == declined  # the decline is stored against the key
    assert target.state.payouts == []
    other = await _refund(gateway, new_key())  # a new key is a new attempt
    assert other.status is GatewayRefundStatus.SUCCEEDED


async def test_decline_has_a_default_reason(target: Target) -> None:
    await target.set_fault(mode="decline", times=1)
    declined = await _refund(target.gateway(), new_key())
    assert declined.status is GatewayRefundStatus.DECLINED
    assert declined.reason == DEFAULT_DECLINE_REASON


async def test_a_fault_never_changes_a_stored_result(target: Target) -> None:
    key = new_key()
    gateway = target.gateway()
    paid = await _refund(gateway, key)
    await target.set_fault(mode="decline")
    assert await _refund(gateway, key) == paid
    assert target.state.payout_count(key) == 1


async def test_latency_then_answers(target: Target) -> None:
    await target.set_fault(mode="latency", latency_ms=50, times=1)
    result = await _refund(target.gateway(timeout=2.0), new_key())
    assert result.status is GatewayRefundStatus.SUCCEEDED
    assert target.state.payout_count() == 1
    assert (await target.set_fault(mode="none"))["mode"] == "none"


async def test_a_slow_gateway_pays_after_the_caller_gave_up(sim: Target) -> None:
    """Over real HTTP, like a real PSP: the caller's timeout does not stop the processing."""
    key = new_key()
    await sim.set_fault(mode="latency", latency_ms=500)
    gateway = sim.gateway(timeout=0.1)
    with pytest.raises(GatewayOutcomeUnknown, match="timed out"):
        await _refund(gateway, key)
    assert sim.state.payout_count(key) == 0  # not yet
    await _eventually(lambda: sim.state.payout_count(key) == 1)
    await sim.set_fault(mode="none")
    assert (await _refund(gateway, key)).gateway_refund_id == sim.state.payouts[0].refund_id
    assert sim.state.payout_count(key) == 1


async def test_a_fault_for_the_next_n_requests(target: Target) -> None:
    key = new_key()
    gateway = target.gateway()
    fault = await target.set_fault(mode="error_5xx", times=2)
    assert fault["times"] == 2
    for _ in range(2):
        with pytest.raises(GatewayOutcomeUnknown):
            await _refund(gateway, key)
    assert (await _refund(gateway, key)).status is GatewayRefundStatus.SUCCEEDED
    current = (await target.http.get(f"{target.base_url}/_faults")).json()
    assert current["mode"] == "none"
    assert target.state.payout_count(key) == 1 and target.state.requests_received == 3


# -- concurrency -----------------------------------------------------------------------------------


async def test_twenty_parallel_calls_with_one_key_pay_once(target: Target) -> None:
    key = new_key()
    target.state.processing_seconds = 0.01  # a window in which the calls overlap
    gateway = target.gateway(timeout=5.0)
    results = await asyncio.gather(*(_refund(gateway, key) for _ in range(20)))
    assert len(set(results)) == 1 and results[0].status is GatewayRefundStatus.SUCCEEDED
    assert target.state.payout_count(key) == 1
    assert target.state.replays == 19 and target.state.requests_received == 20


async def test_parallel_calls_with_one_key_and_two_amounts_pay_once(target: Target) -> None:
    key = new_key()
    target.state.processing_seconds = 0.01
    gateway = target.gateway(timeout=5.0)

    async def attempt(amount: int) -> GatewayRefund | None:
        try:
            return await _refund(gateway, key, Money(amount, "USD"))
        except GatewayRejectedRequest as exc:
            assert exc.code == "idempotency_key_reused"
            return None

    results = await asyncio.gather(*(attempt(100 + n % 2) for n in range(20)))
    [payout] = target.state.payouts
    accepted = [r for r in results if r is not None]
    assert len(accepted) == 10 and {r.gateway_refund_id for r in accepted} == {payout.refund_id}


async def test_twenty_parallel_calls_with_twenty_keys_pay_twenty_times(target: Target) -> None:
    gateway = target.gateway(timeout=5.0)
    keys = [new_key() for _ in range(20)]
    results = await asyncio.gather(*(_refund(gateway, key) for key in keys))
    assert len({r.gateway_refund_id for r in results}) == 20
    assert all(target.state.payout_count(key) == 1 for key in keys)


# -- key retention -------------------------------------------------------------------------------


async def test_keys_are_kept_24_hours_then_expire(target: Target) -> None:
    key = new_key()
    gateway = target.gateway()
    first = await _refund(gateway, key)
    target.clock.advance(hours=23, minutes=59, seconds=59)
    assert await _refund(gateway, key) == first
    target.clock.advance(seconds=1)  # exactly 24 h: still kept
    assert await _refund(gateway, key) == first
    assert target.state.payout_count(key) == 1

    target.clock.advance(seconds=1)
    later = await _refund(gateway, key, Money(99, "USD"))  # forgotten: not even a reuse error
    assert later.gateway_refund_id != first.gateway_refund_id
    assert target.state.payout_count(key) == 2
    stored = await target.http.get(f"{target.base_url}/refunds/{first.gateway_refund_id}")
    assert stored.status_code == 200  # refunds stay; only the keys expire


# -- the simulator's HTTP surface ------------------------------------------------------------------

BAD_BODIES: list[tuple[str, Any]] = [
    ("not json", b"{not json"),
    ("a list", [1250]),
    ("amount missing", {"payment_reference": REFERENCE, "currency": "USD"}),
    ("amount zero", {"payment_reference": REFERENCE, "amount": 0, "currency": "USD"}),
    ("amount negative", {"payment_reference": REFERENCE, "amount": -1, "currency": "USD"}),
    ("amount float", {"payment_reference": REFERENCE, "amount": 12.5, "currency": "USD"}),
    ("amount 100.0", {"payment_reference": REFERENCE, "amount": 100.0, "currency": "USD"}),
    ("amount string", {"payment_reference": REFERENCE, "amount": "100", "currency": "USD"}),
    ("amount bool", {"payment_reference": REFERENCE, "amount": True, "currency": "USD"}),
    ("currency lower", {"payment_reference": REFERENCE, "amount": 100, "currency": "usd"}),
    ("currency 4", {"payment_reference": REFERENCE, "amount": 100, "currency": "USDD"}),
    ("currency missing", {"payment_reference": REFERENCE, "amount": 100}),
    ("reference empty", {"payment_reference": "", "amount": 100, "currency": "USD"}),
    ("reference number", {"payment_reference": 5, "amount": 100, "currency": "USD"}),
    ("too large", {"payment_reference": "p" * 20_000, "amount": 100, "currency": "USD"}),
]


@pytest.mark.parametrize(("case", "body"), BAD_BODIES, ids=[case for case, _ in BAD_BODIES])
async def test_invalid_bodies_are_400(sim: Target, case: str, body: Any) -> None:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = await sim.http.post(
        f"{sim.base_url}/refunds",
        content=content,
        headers={"Idempotency-Key": "k-400", "Content-Type": "application/json"},
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"
    assert sim.state.refunds == {} and not sim.state.knows_key("k-400")


@pytest.mark.parametrize("key", [None, "", "with space", "k" * 256])
async def test_a_missing_or_invalid_idempotency_key_is_400(sim: Target, key: str | None) -> None:
    headers = {} if key is None else {"Idempotency-Key": key}
    body = {"payment_reference": REFERENCE, "amount": 100, "currency": "USD"}
    response = await sim.http.post(f"{sim.base_url}/refunds", json=body, headers=headers)
    assert response.status_code == 400 and "Idempotency-Key" in response.json()["message"]
    assert sim.state.refunds == {}


async def test_invalid_requests_do_not_consume_a_fault(sim: Target) -> None:
    await sim.set_fault(mode="error_5xx", times=1)
    bad = await sim.http.post(f"{sim.base_url}/refunds", json={}, headers={"Idempotency-Key": "k"})
    assert bad.status_code == 400
    assert (await sim.http.get(f"{sim.base_url}/_faults")).json()["times"] == 1


@pytest.mark.parametrize(
    "payload",
    [{"mode": "explode"}, {"mode": "error_5xx", "times": 0}, {"mode": "latency", "latency_ms": -1}],
)
async def test_invalid_faults_are_400(sim: Target, payload: dict[str, Any]) -> None:
    response = await sim.http.post(f"{sim.base_url}/_faults", json=payload)
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"
    not_json = await sim.http.post(f"{sim.base_url}/_faults", content=b"{")
    assert not_json.status_code == 400
    assert (await sim.http.get(f"{sim.base_url}/_faults")).json()["mode"] == "none"


async def test_faults_apply_to_refund_requests_only(sim: Target) -> None:
    await sim.set_fault(mode="reset_before_commit")
    assert (await sim.http.get(f"{sim.base_url}/healthz")).json() == {"status": "ok"}
    assert (await sim.http.get(f"{sim.base_url}/_ledger")).status_code == 200
    assert (await sim.http.get(f"{sim.base_url}/refunds/re_x")).status_code == 404


async def test_api_key_when_configured() -> None:
    secret = "sk_test_s3cr3t"
    app = create_payment_gateway_simulator(api_key=secret)
    async with serve(app) as url:
        async with HttpPaymentGateway(url, timeout=2) as anonymous:
            with pytest.raises(GatewayRejectedRequest) as info:
                await _refund(anonymous, new_key())
            assert info.value.status_code == 401 and info.value.code == "unauthorized"
        async with HttpPaymentGateway(url, timeout=2, api_key="sk_wrong") as wrong:
            with pytest.raises(GatewayRejectedRequest) as info:
                await _refund(wrong, new_key())
            assert "sk_wrong" not in str(info.value)
        async with HttpPaymentGateway(url, timeout=2, api_key=secret) as good:
            assert (await _refund(good, new_key())).succeeded
    assert gateway_state(app).payout_count() == 1


# -- the network failing: refused, silent, credentials never in messages ---------------------------


async def test_connection_refused_is_unknown() -> None:
    async with HttpPaymentGateway(f"http://127.0.0.1:{free_port()}", timeout=2) as gateway:
        with pytest.raises(GatewayOutcomeUnknown, match="network error") as info:
            await _refund(gateway, new_key())
    assert "127.0.0.1" not in str(info.value)


async def test_a_server_that_never_answers_is_unknown_within_the_deadline() -> None:
    async with silent_server() as url, HttpPaymentGateway(url, timeout=SHORT) as gateway:
        started = time.monotonic()
        with pytest.raises(GatewayOutcomeUnknown, match="timed out"):
            await _refund(gateway, new_key())
        assert time.monotonic() - started < SHORT + 1.0


async def test_messages_never_contain_credentials_or_the_host() -> None:
    secret = "s3cr3t-pa55"
    async with silent_server() as silent:
        targets = [
            f"http://partner:{secret}@127.0.0.1:{free_port()}/api",
            silent.replace("http://", f"http://partner:{secret}@"),
        ]
        for url in targets:
            async with HttpPaymentGateway(url, timeout=SHORT, api_key="sk_live_x") as gateway:
                with pytest.raises(GatewayOutcomeUnknown) as info:
                    await _refund(gateway, new_key())
                text = f"{info.value!s} {info.value!r}"
                for leak in (secret, "partner", "sk_live_x", "127.0.0.1"):
                    assert leak not in text
                assert "/refunds" in text


# -- a scripted gateway: every status and malformed answers ----------------------------------------


@dataclass
class Scripted:
    url: str = ""
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str], Any]] = field(default_factory=list)

    def answer(self, payload: Any, status: int = 200, **headers: str) -> None:
        self.status = status
        self.body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.headers = headers


@pytest_asyncio.fixture(scope="module")
async def scripted_server() -> AsyncIterator[Scripted]:
    script = Scripted()

    async def respond(request: Request) -> Response:
        script.requests.append(
            (request.url.path, dict(request.headers), json.loads(await request.body()))
        )
        return Response(
            script.body,
            status_code=script.status,
            media_type="application/json",
            headers=script.headers,
        )

    async with serve(Starlette(routes=[Route("/{path:path}", respond, methods=["POST"])])) as url:
        script.url = url
        yield script


@pytest.fixture
def scripted(scripted_server: Scripted) -> Scripted:
    scripted_server.requests.clear()
    return scripted_server


def _answer(**changes: Any) -> dict[str, Any]:
    good = {
        "id": "re_1",
        "status": "succeeded",
        "reason": None,
        "amount": AMOUNT.amount,
        "currency": AMOUNT.currency,
        "payment_reference": REFERENCE,
    }
    return good | changes


async def test_the_request_on_the_wire(scripted: Scripted) -> None:
    scripted.answer(_answer())
    async with HttpPaymentGateway(scripted.url + "/v1/", timeout=2, api_key="sk_1") as gateway:
        result = await _refund(gateway, "rf-123")
    assert result == GatewayRefund("re_1", GatewayRefundStatus.SUCCEEDED, None)
    [(path, headers, body)] = scripted.requests
    assert path == "/v1/refunds"
    assert headers["idempotency-key"] == "rf-123"
    assert headers["authorization"] == "Bearer sk_1"
    assert body == {"payment_reference": REFERENCE, "amount": 1250, "currency": "USD"}


MALFORMED: list[tuple[str, Any]] = [
    ("not json", b"{not json"),
    ("empty body", b""),
    ("invalid utf-8", b'{"id": "\xff"}'),
    ("a list", [_answer()]),
    ("null", None),
    ("id missing", _answer(id=None)),
    ("id empty", _answer(id="")),
    ("id a number", _answer(id=7)),
    ("status unknown", _answer(status="pending")),
    ("status upper case", _answer(status="SUCCEEDED")),
    ("reason a number", _answer(reason=3)),
    ("other amount", _answer(amount=1249)),
    ("amount as float", _answer(amount=1250.0)),
    ("amount as string", _answer(amount="1250")),
    ("other currency", _answer(currency="EUR")),
    ("other payment", _answer(payment_reference="pay_other")),
]


@pytest.mark.parametrize(("case", "payload"), MALFORMED, ids=[c for c, _ in MALFORMED])
async def test_a_malformed_answer_is_unknown(scripted: Scripted, case: str, payload: Any) -> None:
    scripted.answer(payload)
    async with HttpPaymentGateway(scripted.url, timeout=2) as gateway:
        with pytest.raises(GatewayOutcomeUnknown, match="malformed answer"):
            await _refund(gateway, new_key())


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (500, GatewayOutcomeUnknown),
        (502, GatewayOutcomeUnknown),
        (504, GatewayOutcomeUnknown),
        (408, GatewayOutcomeUnknown),
        (409, GatewayOutcomeUnknown),
        (429, GatewayOutcomeUnknown),
        (201, GatewayOutcomeUnknown),
        (302, GatewayOutcomeUnknown),
        (400, GatewayRejectedRequest),
        (401, GatewayRejectedRequest),
        (403, GatewayRejectedRequest),
        (404, GatewayRejectedRequest),
        (422, GatewayRejectedRequest),
    ],
)
async def test_status_mapping(scripted: Scripted, status: int, outcome: type[Exception]) -> None:
    scripted.answer({"error": "some_code", "message": "10.0.0.7 said no"}, status=status)
    async with HttpPaymentGateway(scripted.url, timeout=2) as gateway:
        with pytest.raises(outcome, match=str(status)) as info:
            await _refund(gateway, new_key())
    assert "10.0.0.7" not in str(info.value)  # server text is never echoed
    if isinstance(info.value, GatewayRejectedRequest):
        assert info.value.status_code == status and info.value.code == "some_code"


async def test_retry_after_is_passed_on(scripted: Scripted) -> None:
    scripted.answer({"error": "rate_limited"}, status=429, **{"Retry-After": "7"})
    async with HttpPaymentGateway(scripted.url, timeout=2) as gateway:
        with pytest.raises(GatewayOutcomeUnknown) as info:
            await _refund(gateway, new_key())
    assert info.value.retry_after_seconds == 7.0


async def test_an_error_code_that_is_not_a_plain_token_is_dropped(scripted: Scripted) -> None:
    scripted.answer({"error": "<script>alert(1)</script>"}, status=400)
    async with HttpPaymentGateway(scripted.url, timeout=2) as gateway:
        with pytest.raises(GatewayRejectedRequest) as info:
            await _refund(gateway, new_key())
    assert info.value.code is None and "script" not in str(info.value)


async def test_a_decline_without_a_reason(scripted: Scripted) -> None:
    scripted.answer(_answer(status="declined", reason=None))
    async with HttpPaymentGateway(scripted.url, timeout=2) as gateway:
        result = await _refund(gateway, new_key())
    assert result.status is GatewayRefundStatus.DECLINED and result.reason is None


@pytest.mark.parametrize(
    ("reference", "amount", "key"),
    [
        ("", AMOUNT, "rf-1"),
        ("   ", AMOUNT, "rf-1"),
        (REFERENCE, Money(0, "USD"), "rf-1"),
        (REFERENCE, Money(-5, "USD"), "rf-1"),
        (REFERENCE, AMOUNT, ""),
        (REFERENCE, AMOUNT, "rf 1"),
        (REFERENCE, AMOUNT, "rf-\n"),
        (REFERENCE, AMOUNT, "k" * 256),
    ],
)
async def test_impossible_requests_are_rejected_without_sending(
    scripted: Scripted, reference: str, amount: Money, key: str
) -> None:
    async with HttpPaymentGateway(scripted.url, timeout=2) as gateway:
        with pytest.raises(GatewayRejectedRequest, match="not sent") as info:
            await gateway.refund(payment_reference=reference, amount=amount, idempotency_key=key)
    assert info.value.status_code is None
    assert scripted.requests == []


@pytest.mark.parametrize(
    "url", ["ftp://gateway", "/refunds", "http://", "http://gw/?key=1", "http://gw/#x"]
)
def test_base_url_must_be_plain_http(url: str) -> None:
    with pytest.raises(ValueError):
        HttpPaymentGateway(url)


def test_timeout_must_be_positive() -> None:
    with pytest.raises(ValueError):
        HttpPaymentGateway("http://gateway", timeout=0)


# -- embedded mode: mounted under a prefix in another app, through ASGITransport -----------------


async def test_embedded_simulator_under_a_path_prefix() -> None:
    simulator = create_payment_gateway_simulator()
    state = gateway_state(simulator)
    host = Starlette(routes=[Mount("/_sim/payments", app=simulator)])
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=host))
    try:
        gateway = HttpPaymentGateway("http://embedded/_sim/payments", timeout=2, client=http)
        key = new_key()
        first = await _refund(gateway, key)
        assert await _refund(gateway, key) == first
        state.set_fault("reset_after_commit", times=1)
        with pytest.raises(GatewayOutcomeUnknown):
            await _refund(gateway, new_key())
        assert state.payout_count() == 2
        await gateway.aclose()  # does not close a client it was given
        assert not http.is_closed
    finally:
        await http.aclose()


async def test_embedded_timeout_holds_without_a_network() -> None:
    simulator = create_payment_gateway_simulator()
    state = gateway_state(simulator)
    state.set_fault("timeout_after_commit")  # hangs 30 s
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=simulator)) as http:
        gateway = HttpPaymentGateway("http://embedded", timeout=0.2, client=http)
        started = time.monotonic()
        with pytest.raises(GatewayOutcomeUnknown, match="timed out"):
            await _refund(gateway, new_key())
        assert time.monotonic() - started < 1.2
    assert state.payout_count() == 1 and state.in_flight == 0


async def test_http_gateway_is_a_payment_gateway() -> None:
    async with HttpPaymentGateway("http://gateway") as http_gateway:
        gateway: PaymentGateway = http_gateway  # checked by mypy
        assert callable(gateway.refund)
