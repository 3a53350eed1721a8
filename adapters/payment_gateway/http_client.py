"""`PaymentGateway` (domain.payments) over HTTP/JSON with httpx.

One call = one `POST /refunds` attempt with the `Idempotency-Key` header; retrying (with the same
key, after a backoff) is the caller's job (the refund worker). Outcomes:

- 200 with a well-formed refund that matches the request -> `GatewayRefund` (SUCCEEDED/DECLINED).
- `GatewayOutcomeUnknown` (the refund may have happened; retry with the same key): timeouts
  (an overall deadline with `asyncio.timeout`, which also holds for in-process transports such as
  `httpx.ASGITransport` that ignore httpx timeouts), connection refused/reset and any other network
  or protocol error, 5xx, 408/409/425/429, any other unexpected status, undecodable JSON, a payload
  of the wrong shape, or a refund that does not match what was asked (amount, currency, reference).
- `GatewayRejectedRequest` (our request is wrong; a retry cannot fix it): other 4xx, e.g. 400
  invalid request, 401/403 bad credentials, 404 wrong base path, 422 idempotency key reused with
  other parameters; also raised without sending anything when the arguments cannot be valid.

Messages name the failure and the request path, never the gateway's host, the credentials in the
base URL or the API key.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx

from adapters.http_service import HttpServiceClient
from domain.money import Money
from domain.payments import (
    GatewayOutcomeUnknown,
    GatewayRefund,
    GatewayRefundStatus,
    GatewayRejectedRequest,
)

__all__ = ["HttpPaymentGateway"]

_PATH = "/refunds"
_WHAT = f"payment gateway POST {_PATH}"
_KEY_RE = re.compile(r"[\x21-\x7e]{1,255}")
_CODE_RE = re.compile(r"[a-z][a-z0-9_]{0,63}")
_WIRE_STATUS = {
    "succeeded": GatewayRefundStatus.SUCCEEDED,
    "declined": GatewayRefundStatus.DECLINED,
}
# 4xx that mean "not processed now, try again" rather than "your request is wrong".
_RETRYABLE_4XX = frozenset({408, 409, 425, 429})
_MAX_REASON = 500


class HttpPaymentGateway(HttpServiceClient):
    """`domain.payments.PaymentGateway` over the gateway's HTTP API (`POST {base_url}/refunds`).

    `base_url` may carry a path prefix (e.g. `http://127.0.0.1:8000/_sim/payments`). `timeout` is
    the deadline of a whole call, in seconds. `api_key` is sent as `Authorization: Bearer`. Pass
    `client` to reuse an `httpx.AsyncClient` (e.g. one with
    `transport=httpx.ASGITransport(app=simulator)` for the embedded mode); it is then the caller's
    to close, otherwise `aclose()` closes the client made here."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 5.0,
        client: httpx.AsyncClient | None = None,
        api_key: str | None = None,
    ) -> None:
        parsed = httpx.URL(base_url)
        if parsed.query or parsed.fragment:
            raise ValueError("base_url must not have a query or a fragment")
        secrets = (api_key,) if api_key else ()
        super().__init__(base_url, timeout=timeout, client=client, secrets=secrets)
        self._url = self._base_url + _PATH
        self._headers = {"Accept": "application/json"}
        if api_key:
            self._headers["Authorization"] = f"Bearer {api_key}"

    # -- PaymentGateway -------------------------------------------------------------------------

    async def refund(
        self, *, payment_reference: str, amount: Money, idempotency_key: str
    ) -> GatewayRefund:
        _check_arguments(payment_reference, amount, idempotency_key)
        body = {
            "payment_reference": payment_reference,
            "amount": amount.amount,
            "currency": amount.currency,
        }
        response = await self._post(body, idempotency_key)
        status = response.status_code
        if status == 200:
            return _parse_refund(response.content, body)
        retry_after = _retry_after(response)
        if status >= 500:
            raise GatewayOutcomeUnknown(
                f"{_WHAT}: server error {status}", retry_after_seconds=retry_after
            )
        if status in _RETRYABLE_4XX:
            raise GatewayOutcomeUnknown(
                f"{_WHAT}: not processed now ({status}), try again",
                retry_after_seconds=retry_after,
            )
        if 400 <= status < 500:
            code = _error_code(response.content)
            raise GatewayRejectedRequest(
                f"{_WHAT}: request rejected ({status}{' ' + code if code else ''})",
                status_code=status,
                code=code,
            )
        raise GatewayOutcomeUnknown(f"{_WHAT}: unexpected status {status}")

    # -- internals ----------------------------------------------------------------------------

    async def _post(self, body: dict[str, Any], idempotency_key: str) -> httpx.Response:
        headers = self._headers | {"Idempotency-Key": idempotency_key}
        return await self._send(
            "POST", self._url, what=_WHAT, failed=GatewayOutcomeUnknown, json=body, headers=headers
        )


def _check_arguments(payment_reference: str, amount: Money, idempotency_key: str) -> None:
    """Refuse, without sending anything, a request the gateway could only reject."""
    problem = None
    if not isinstance(idempotency_key, str) or not _KEY_RE.fullmatch(idempotency_key):
        problem = "the idempotency key must be 1..255 visible ASCII characters"
    elif (
        not isinstance(payment_reference, str)
        or not payment_reference.strip()
        or len(payment_reference) > 255
    ):
        problem = "payment_reference must be a non-empty string (<= 255)"
    elif not isinstance(amount, Money) or amount.amount <= 0:
        problem = "amount must be a positive Money"
    if problem is not None:
        raise GatewayRejectedRequest(
            f"{_WHAT}: not sent: {problem}", status_code=None, code="invalid_request"
        )


def _parse_refund(content: bytes, asked: dict[str, Any]) -> GatewayRefund:
    def malformed(why: str) -> GatewayOutcomeUnknown:
        return GatewayOutcomeUnknown(f"{_WHAT}: malformed answer: {why}")

    try:
        payload = json.loads(content)
    except (ValueError, RecursionError) as exc:
        raise malformed("invalid JSON") from exc
    if not isinstance(payload, dict):
        raise malformed(f"expected an object, got {type(payload).__name__}")
    refund_id = payload.get("id")
    if not isinstance(refund_id, str) or not refund_id or len(refund_id) > 255:
        raise malformed("'id' must be a non-empty string")
    wire_status = payload.get("status")
    status = _WIRE_STATUS.get(wire_status) if isinstance(wire_status, str) else None
    if status is None:
        raise malformed("'status' must be 'succeeded' or 'declined'")
    reason = payload.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise malformed("'reason' must be a string or null")
    for field in ("amount", "currency", "payment_reference"):
        value = payload.get(field)
        if type(value) is not type(asked[field]) or value != asked[field]:
            raise malformed(f"'{field}' does not match the request")
    return GatewayRefund(
        gateway_refund_id=refund_id,
        status=status,
        reason=reason[:_MAX_REASON] if reason is not None else None,
    )


def _error_code(content: bytes) -> str | None:
    """The gateway's error code, when it is a plain token (never echo arbitrary server text)."""
    try:
        payload = json.loads(content)
    except (ValueError, RecursionError):
        return None
    code = payload.get("error") if isinstance(payload, dict) else None
    return code if isinstance(code, str) and _CODE_RE.fullmatch(code) else None


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "").strip()
    if value.isascii() and value.isdigit() and len(value) <= 6:
        return float(value)
    return None
