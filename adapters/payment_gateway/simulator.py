"""A stand-in payment gateway (PSP): a small Starlette app speaking JSON over HTTP.

It behaves like a real PSP where exactly-once matters, and can be told to misbehave like one.

Refund API
- `POST /refunds`, header `Idempotency-Key` (1..255 visible ASCII characters), body
  `{"payment_reference": str, "amount": int minor units > 0, "currency": "USD"}`
  -> 200 `{"id", "status": "succeeded" | "declined", "reason", "amount", "currency",
  "payment_reference", "created_at"}`.
  The same key with the same parameters -> the stored result again (header
  `Idempotent-Replayed: true`), never a second payout; the same key with other parameters -> 422
  `{"error": "idempotency_key_reused"}`; an invalid request -> 400 `{"error": "invalid_request"}`
  (nothing stored, the key stays free). Keys are kept `idempotency_ttl` (24 h) after their first
  use, then forgotten (pruned on every request): a key reused after that starts a NEW refund, as
  with real PSPs, so a caller must not retry the same refund for longer than that.
  Concurrent requests with the same key are serialised by an asyncio lock per key: exactly one
  of them pays, the others replay its result.
- `GET /refunds/{id}` -> the refund, or 404. `GET /healthz`.
- With `api_key`, both refund endpoints want `Authorization: Bearer <api_key>` (else 401).

The ledger, witness of exactly-once: `state.payouts` has one `Payout` per real movement of money
(declines pay nothing), `state.payout_count(key)` counts them per idempotency key. Over HTTP:
`GET /_ledger`.

Faults (operator endpoints `POST /_faults` / `GET /_faults`, or `state.set_fault(...)` in-process):
`{"mode": ..., "latency_ms": int, "decline_reason": str, "hang_ms": int, "times": int | null}`.
A fault applies to the next `times` valid `POST /refunds` requests (null: until switched off with
mode "none"); other endpoints are never faulty. Modes:
- `none`: behave.
- `latency`: wait `latency_ms`, then process and answer normally. Like a real PSP, processing
  goes on when the client has given up (over HTTP); in-process, the client's cancellation stops it.
- `timeout_after_commit`: process (pay, store the result against the key), then send nothing
  until the client disconnects or `hang_ms` (default 30 s) passes, then answer late. The classic
  "paid, but the caller saw a timeout".
- `error_5xx`: answer 503 (`Retry-After: 1`) WITHOUT processing: nothing paid, key left free.
- `reset_before_commit`: drop the connection before processing: nothing paid, key left free.
- `reset_after_commit` (alias `reset`, the harsher of the two): process, then drop the connection
  without an answer.
- `decline`: process as a decline with `decline_reason`: 200 `status: "declined"`, no payout; the
  decline is stored against the key, so a retry with that key gets the same decline, even once the
  fault is off (a new attempt needs a new key). A key already used replays its first result.

How the connection is dropped: served by uvicorn, the app returns a non-None value, to which
uvicorn answers by closing the socket without writing a byte (and logging one error line); the
client sees "Server disconnected without sending a response" (`httpx.RemoteProtocolError`).
In-process (`httpx.ASGITransport`) there is no socket: the app raises `SimulatedConnectionReset`
(a `ConnectionResetError`), which reaches the caller of the httpx client. Other servers (or
uvicorn at log level "trace", which wraps `send`) get the exception too and answer 500.

State: `app.state.gateway` (`PaymentGatewaySimulatorState`, or `gateway_state(app)`).
Run standalone: `python -m adapters.payment_gateway.simulator --port 9200`.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import json
import re
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from adapters.clock import SystemClock
from adapters.simulation import command_line, serve, state_of
from domain.ports import Clock

__all__ = [
    "DEFAULT_DECLINE_REASON",
    "DEFAULT_HANG_MS",
    "IDEMPOTENCY_TTL",
    "Fault",
    "FaultMode",
    "IdempotencyKeyReused",
    "InvalidRefundRequest",
    "PaymentGatewaySimulator",
    "PaymentGatewaySimulatorState",
    "Payout",
    "RefundOutcome",
    "SimulatedConnectionReset",
    "SimulatedRefund",
    "create_payment_gateway_simulator",
    "gateway_state",
    "main",
]

IDEMPOTENCY_TTL = timedelta(hours=24)
DEFAULT_DECLINE_REASON = "declined_by_issuer"
DEFAULT_HANG_MS = 30_000
MAX_AMOUNT = 10**12
MAX_BODY_BYTES = 16 * 1024
MAX_LATENCY_MS = 600_000

_KEY_RE = re.compile(r"[\x21-\x7e]{1,255}")
_CURRENCY_RE = re.compile(r"[A-Z]{3}")
_DROP_SCOPE_KEY = "payment_gateway_simulator.drop_connection"


class FaultMode(enum.StrEnum):
    NONE = "none"
    LATENCY = "latency"
    TIMEOUT_AFTER_COMMIT = "timeout_after_commit"
    ERROR_5XX = "error_5xx"
    RESET_BEFORE_COMMIT = "reset_before_commit"
    RESET_AFTER_COMMIT = "reset_after_commit"
    DECLINE = "decline"

    @classmethod
    def parse(cls, value: str) -> FaultMode:
        """The mode named `value`; "reset" is an alias of "reset_after_commit"."""
        if value == "reset":
            return cls.RESET_AFTER_COMMIT
        return cls(value)


@dataclass(frozen=True, slots=True)
class Fault:
    """The current fault. `times` is how many more requests it applies to (None: no limit)."""

    mode: FaultMode = FaultMode.NONE
    latency_ms: int = 0
    decline_reason: str = DEFAULT_DECLINE_REASON
    hang_ms: int = DEFAULT_HANG_MS
    times: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.mode, FaultMode):
            raise ValueError("mode must be a FaultMode")
        for name, value, low in (
            ("latency_ms", self.latency_ms, 0),
            ("hang_ms", self.hang_ms, 1),
        ):
            if _not_int(value) or not low <= value <= MAX_LATENCY_MS:
                raise ValueError(f"{name} must be an integer in {low}..{MAX_LATENCY_MS}")
        if self.times is not None and (_not_int(self.times) or self.times < 1):
            raise ValueError("times must be a positive integer or null")
        if (
            not isinstance(self.decline_reason, str)
            or not self.decline_reason.strip()
            or len(self.decline_reason) > 200
        ):
            raise ValueError("decline_reason must be a non-empty string of at most 200 characters")

    @classmethod
    def from_json(cls, payload: Any) -> Fault:
        """Parse the body of `POST /_faults`; raises ValueError when it is not valid."""
        if not isinstance(payload, dict):
            raise ValueError("expected a JSON object")
        unknown = set(payload) - {"mode", "latency_ms", "decline_reason", "hang_ms", "times"}
        if unknown:
            raise ValueError(f"unknown fields: {', '.join(sorted(unknown))}")
        mode = payload.get("mode")
        if not isinstance(mode, str):
            raise ValueError("mode is required")
        try:
            parsed_mode = FaultMode.parse(mode)
        except ValueError:
            names = ", ".join([*(m.value for m in FaultMode), "reset"])
            raise ValueError(f"mode must be one of: {names}") from None
        defaults = cls()
        decline_reason = payload.get("decline_reason")
        latency_ms = payload.get("latency_ms")
        hang_ms = payload.get("hang_ms")
        return cls(
            mode=parsed_mode,
            latency_ms=defaults.latency_ms if latency_ms is None else latency_ms,
            decline_reason=defaults.decline_reason if decline_reason is None else decline_reason,
            hang_ms=defaults.hang_ms if hang_ms is None else hang_ms,
            times=payload.get("times"),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode.value,
            "latency_ms": self.latency_ms,
            "decline_reason": self.decline_reason,
            "hang_ms": self.hang_ms,
            "times": self.times,
        }


@dataclass(frozen=True, slots=True)
class SimulatedRefund:
    """A refund as the gateway stores it; `status` is "succeeded" or "declined"."""

    id: str
    status: str
    reason: str | None
    amount: int
    currency: str
    payment_reference: str
    idempotency_key: str
    created_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "reason": self.reason,
            "amount": self.amount,
            "currency": self.currency,
            "payment_reference": self.payment_reference,
            "created_at": _iso(self.created_at),
        }


@dataclass(frozen=True, slots=True)
class Payout:
    """One real movement of money (an entry of the ledger)."""

    refund_id: str
    idempotency_key: str
    payment_reference: str
    amount: int
    currency: str
    paid_at: datetime

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {"paid_at": _iso(self.paid_at)}


@dataclass(frozen=True, slots=True)
class RefundOutcome:
    refund: SimulatedRefund
    replayed: bool


class InvalidRefundRequest(ValueError):
    """The refund request is malformed (HTTP 400); nothing is stored."""


class IdempotencyKeyReused(Exception):
    """The idempotency key was first used with other parameters (HTTP 422)."""


class SimulatedConnectionReset(ConnectionResetError):
    """Raised by the app, in-process, where a real server would drop the connection."""


@dataclass(frozen=True, slots=True)
class _KeyEntry:
    fingerprint: tuple[str, int, str]
    refund_id: str
    stored_at: datetime


class _KeyLock:
    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0


class PaymentGatewaySimulatorState:
    """Refunds, idempotency keys, the payout ledger and the fault switch of the simulator.

    `clock` dates refunds and keys (inject an `adapters.clock.FixedClock` to test the key TTL).
    `processing_seconds` is how long "talking to the bank" takes inside the per-key critical
    section (0 still yields to the event loop, so concurrent requests really interleave there).
    Counters: `requests_received` (every `POST /refunds`), `replays` (answers from a stored key),
    `in_flight` (`POST /refunds` requests being handled now, hanging ones included)."""

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        idempotency_ttl: timedelta = IDEMPOTENCY_TTL,
        processing_seconds: float = 0.0,
    ) -> None:
        if idempotency_ttl <= timedelta(0):
            raise ValueError("idempotency_ttl must be positive")
        self._clock: Clock = clock or SystemClock()
        self.idempotency_ttl = idempotency_ttl
        self.processing_seconds = processing_seconds
        self.refunds: dict[str, SimulatedRefund] = {}
        self.payouts: list[Payout] = []
        self.requests_received = 0
        self.replays = 0
        self.in_flight = 0
        self._keys: dict[str, _KeyEntry] = {}
        self._locks: dict[str, _KeyLock] = {}
        self._fault = Fault()

    # -- the ledger ---------------------------------------------------------------------------

    def payout_count(self, idempotency_key: str | None = None) -> int:
        """Payouts made for `idempotency_key` (all payouts when None)."""
        if idempotency_key is None:
            return len(self.payouts)
        return sum(1 for p in self.payouts if p.idempotency_key == idempotency_key)

    def ledger_json(self) -> dict[str, Any]:
        return {
            "payouts": [p.to_json() for p in self.payouts],
            "payout_count": len(self.payouts),
            "refund_count": len(self.refunds),
            "requests_received": self.requests_received,
            "replays": self.replays,
            "in_flight": self.in_flight,
        }

    def get_refund(self, refund_id: str) -> SimulatedRefund | None:
        return self.refunds.get(refund_id)

    def knows_key(self, idempotency_key: str) -> bool:
        """Whether the key is still remembered (expired keys are pruned first)."""
        self.prune()
        return idempotency_key in self._keys

    def prune(self) -> int:
        """Forget the keys first used more than `idempotency_ttl` ago; returns how many."""
        oldest_kept = self._clock.now() - self.idempotency_ttl
        expired = [key for key, entry in self._keys.items() if entry.stored_at < oldest_kept]
        for key in expired:
            del self._keys[key]
        return len(expired)

    def clear(self) -> None:
        """Forget everything (refunds, keys, ledger, counters) and switch faults off."""
        self.refunds.clear()
        self.payouts.clear()
        self._keys.clear()
        self.requests_received = 0
        self.replays = 0
        self._fault = Fault()

    # -- faults -------------------------------------------------------------------------------

    @property
    def fault(self) -> Fault:
        return self._fault

    def set_fault(
        self,
        mode: FaultMode | str,
        *,
        latency_ms: int = 0,
        decline_reason: str = DEFAULT_DECLINE_REASON,
        hang_ms: int = DEFAULT_HANG_MS,
        times: int | None = None,
    ) -> Fault:
        """Switch a fault on (see the module docstring); mode "none" switches it off."""
        fault = Fault(
            mode=mode if isinstance(mode, FaultMode) else FaultMode.parse(mode),
            latency_ms=latency_ms,
            decline_reason=decline_reason,
            hang_ms=hang_ms,
            times=times,
        )
        self._fault = fault
        return fault

    def clear_faults(self) -> None:
        self._fault = Fault()

    def take_fault(self) -> Fault:
        """The fault for the request arriving now, counting it against `times`."""
        fault = self._fault
        if fault.mode is not FaultMode.NONE and fault.times is not None:
            remaining = fault.times - 1
            self._fault = Fault() if remaining == 0 else replace(fault, times=remaining)
        return fault

    # -- refunds ------------------------------------------------------------------------------

    async def refund(
        self,
        *,
        idempotency_key: str,
        payment_reference: str,
        amount: int,
        currency: str,
        decline_reason: str | None = None,
    ) -> RefundOutcome:
        """Process one refund request, exactly once per key (faults are not applied here).

        A stored key with the same parameters replays its refund; with other parameters it raises
        IdempotencyKeyReused. Otherwise the refund succeeds and pays (one `Payout`), or, with
        `decline_reason`, is declined without paying. Raises InvalidRefundRequest on bad input."""
        _check_key(idempotency_key)
        _check_refund(payment_reference, amount, currency)
        fingerprint = (payment_reference, amount, currency)
        async with self._key_lock(idempotency_key):
            self.prune()
            entry = self._keys.get(idempotency_key)
            if entry is not None:
                if entry.fingerprint != fingerprint:
                    raise IdempotencyKeyReused(idempotency_key)
                self.replays += 1
                return RefundOutcome(self.refunds[entry.refund_id], replayed=True)
            # Talking to the bank: other requests run meanwhile. Without the per-key lock, a
            # concurrent request with the same key would get here too and pay a second time.
            await asyncio.sleep(self.processing_seconds)
            now = self._clock.now()
            refund = SimulatedRefund(
                id=f"re_{uuid.uuid4().hex[:24]}",
                status="declined" if decline_reason is not None else "succeeded",
                reason=decline_reason,
                amount=amount,
                currency=currency,
                payment_reference=payment_reference,
                idempotency_key=idempotency_key,
                created_at=now,
            )
            self.refunds[refund.id] = refund
            if decline_reason is None:
                self.payouts.append(
                    Payout(
                        refund_id=refund.id,
                        idempotency_key=idempotency_key,
                        payment_reference=payment_reference,
                        amount=amount,
                        currency=currency,
                        paid_at=now,
                    )
                )
            self._keys[idempotency_key] = _KeyEntry(fingerprint, refund.id, now)
            return RefundOutcome(refund, replayed=False)

    @contextlib.asynccontextmanager
    async def _key_lock(self, key: str) -> AsyncIterator[None]:
        entry = self._locks.get(key)
        if entry is None:
            entry = self._locks[key] = _KeyLock()
        entry.users += 1
        try:
            async with entry.lock:
                yield
        finally:
            entry.users -= 1
            if entry.users == 0:
                del self._locks[key]


def _not_int(value: object) -> bool:
    return isinstance(value, bool) or not isinstance(value, int)


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _check_key(key: object) -> str:
    if not isinstance(key, str) or not _KEY_RE.fullmatch(key):
        raise InvalidRefundRequest(
            "the Idempotency-Key header is required: 1..255 visible ASCII characters"
        )
    return key


def _check_refund(payment_reference: object, amount: object, currency: object) -> None:
    if (
        not isinstance(payment_reference, str)
        or not payment_reference.strip()
        or len(payment_reference) > 255
    ):
        raise InvalidRefundRequest("payment_reference must be a non-empty string (<= 255)")
    if not isinstance(amount, int) or isinstance(amount, bool) or not 0 < amount <= MAX_AMOUNT:
        raise InvalidRefundRequest(f"amount must be an integer of minor units in 1..{MAX_AMOUNT}")
    if not isinstance(currency, str) or not _CURRENCY_RE.fullmatch(currency):
        raise InvalidRefundRequest("currency must be 3 upper-case letters (ISO 4217)")


def _parse_refund_body(body: bytes) -> tuple[str, int, str]:
    if len(body) > MAX_BODY_BYTES:
        raise InvalidRefundRequest("body too large")
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        raise InvalidRefundRequest("body must be JSON") from None
    if not isinstance(payload, dict):
        raise InvalidRefundRequest("body must be a JSON object")
    reference, amount, currency = (
        payload.get("payment_reference"),
        payload.get("amount"),
        payload.get("currency"),
    )
    _check_refund(reference, amount, currency)
    assert isinstance(reference, str) and isinstance(amount, int) and isinstance(currency, str)
    return reference, amount, currency


def _error(
    status: int, error: str, message: str, headers: Mapping[str, str] | None = None
) -> Response:
    return JSONResponse({"error": error, "message": message}, status_code=status, headers=headers)


class _DropConnection(Response):
    """Sends nothing: marks the request so that `PaymentGatewaySimulator` drops the connection."""

    def __init__(self, why: str) -> None:
        super().__init__(status_code=599)
        self.why = why

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope[_DROP_SCOPE_KEY] = self.why


async def _wait_for_disconnect(receive: Receive) -> None:
    """Returns when the client has gone (call it once the request body has been read)."""
    while (await receive())["type"] != "http.disconnect":
        pass


def _served_by_uvicorn(send: Send) -> bool:
    owner = getattr(send, "__self__", None)
    return owner is not None and type(owner).__module__.startswith("uvicorn.protocols.http.")


class PaymentGatewaySimulator(Starlette):
    """The simulator's Starlette app, plus the connection drop of the "reset" faults."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> Any:
        await super().__call__(scope, receive, send)
        why = scope.get(_DROP_SCOPE_KEY) if scope["type"] == "http" else None
        if why is None:
            return None
        if _served_by_uvicorn(send):
            # uvicorn closes the socket, writing nothing, when the app returns a value.
            return f"payment gateway simulator: connection dropped on purpose ({why})"
        raise SimulatedConnectionReset(f"payment gateway simulator: connection reset ({why})")


def create_payment_gateway_simulator(
    *,
    clock: Clock | None = None,
    api_key: str | None = None,
    idempotency_ttl: timedelta = IDEMPOTENCY_TTL,
    processing_seconds: float = 0.0,
) -> PaymentGatewaySimulator:
    """The payment-gateway stand-in; its state is `app.state.gateway`
    (a `PaymentGatewaySimulatorState`). With `api_key`, `/refunds` wants it as a bearer token."""
    state = PaymentGatewaySimulatorState(
        clock=clock, idempotency_ttl=idempotency_ttl, processing_seconds=processing_seconds
    )
    expected_auth = f"Bearer {api_key}" if api_key else None

    def _unauthorized(request: Request) -> Response | None:
        if expected_auth is not None and request.headers.get("authorization") != expected_auth:
            return _error(401, "unauthorized", "missing or wrong API key")
        return None

    async def create_refund(request: Request) -> Response:
        state.requests_received += 1
        state.in_flight += 1
        try:
            return await _create_refund(request)
        finally:
            state.in_flight -= 1

    async def _create_refund(request: Request) -> Response:
        if (refused := _unauthorized(request)) is not None:
            return refused
        try:
            key = _check_key(request.headers.get("idempotency-key"))
            reference, amount, currency = _parse_refund_body(await request.body())
        except InvalidRefundRequest as exc:
            return _error(400, "invalid_request", str(exc))

        fault = state.take_fault()
        if fault.mode is FaultMode.LATENCY:
            await asyncio.sleep(fault.latency_ms / 1000)
        elif fault.mode is FaultMode.ERROR_5XX:
            return _error(
                503, "service_unavailable", "try again later", headers={"Retry-After": "1"}
            )
        elif fault.mode is FaultMode.RESET_BEFORE_COMMIT:
            return _DropConnection(fault.mode.value)

        try:
            outcome = await state.refund(
                idempotency_key=key,
                payment_reference=reference,
                amount=amount,
                currency=currency,
                decline_reason=fault.decline_reason if fault.mode is FaultMode.DECLINE else None,
            )
        except IdempotencyKeyReused:
            return _error(
                422,
                "idempotency_key_reused",
                "this Idempotency-Key was used with other parameters",
            )

        if fault.mode is FaultMode.TIMEOUT_AFTER_COMMIT:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(fault.hang_ms / 1000):
                    await _wait_for_disconnect(request.receive)
        elif fault.mode is FaultMode.RESET_AFTER_COMMIT:
            return _DropConnection(fault.mode.value)
        headers = {"Idempotent-Replayed": "true"} if outcome.replayed else None
        return JSONResponse(outcome.refund.to_json(), headers=headers)

    async def get_refund(request: Request) -> Response:
        if (refused := _unauthorized(request)) is not None:
            return refused
        refund = state.get_refund(request.path_params["refund_id"])
        if refund is None:
            return _error(404, "not_found", "no such refund")
        return JSONResponse(refund.to_json())

    async def get_faults(request: Request) -> Response:
        return JSONResponse(state.fault.to_json())

    async def post_faults(request: Request) -> Response:
        try:
            fault = Fault.from_json(json.loads(await request.body()))
        except (ValueError, RecursionError) as exc:
            return _error(400, "invalid_request", str(exc))
        state.set_fault(
            fault.mode,
            latency_ms=fault.latency_ms,
            decline_reason=fault.decline_reason,
            hang_ms=fault.hang_ms,
            times=fault.times,
        )
        return JSONResponse(state.fault.to_json())

    async def get_ledger(request: Request) -> Response:
        return JSONResponse(state.ledger_json())

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    app = PaymentGatewaySimulator(
        routes=[
            Route("/refunds", create_refund, methods=["POST"]),
            Route("/refunds/{refund_id}", get_refund, methods=["GET"]),
            Route("/_faults", get_faults, methods=["GET"]),
            Route("/_faults", post_faults, methods=["POST"]),
            Route("/_ledger", get_ledger, methods=["GET"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )
    app.state.gateway = state
    return app


def gateway_state(app: Starlette) -> PaymentGatewaySimulatorState:
    """The state of an app made by `create_payment_gateway_simulator` (typed app.state access)."""
    return state_of(app, "gateway", PaymentGatewaySimulatorState)


def main(argv: Sequence[str] | None = None) -> None:
    import os

    args = command_line("Run the payment-gateway simulator.", port=9200).parse_args(argv)
    # The API key comes from the environment, never from the command line (visible in `ps`).
    api_key = os.environ.get("PAYMENT_GATEWAY_SIMULATOR_API_KEY") or None
    app = create_payment_gateway_simulator(api_key=api_key)
    serve(app, args)


if __name__ == "__main__":
    main()
