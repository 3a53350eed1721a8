"""Standard Webhooks signatures: the simulator's signer and the app's verifier, checked against
the specification's published example and against each other."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest

from adapters.clock import FixedClock
from adapters.order_system.webhook_sender import sign, signed_headers
from app.http.webhooks import WebhookRejected, WebhookVerifier, decode_secret

# The example of the Standard Webhooks reference libraries (svix / standard-webhooks tests).
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

CURRENT = "whsec_" + base64.b64encode(b"current-secret-0123456789").decode()
PREVIOUS = "whsec_" + base64.b64encode(b"previous-secret-0123456789").decode()
OTHER = "whsec_" + base64.b64encode(b"someone-else-0123456789").decode()

NOW = datetime(2025, 3, 10, 12, 0, 0, tzinfo=UTC)
TS = int(NOW.timestamp())
BODY = b'{"type":"order.delivered","data":{"order":{"id":"ord-1"}}}'


def verifier(*secrets: str, now: datetime = NOW) -> WebhookVerifier:
    return WebhookVerifier(secrets or (CURRENT,), clock=FixedClock(now))


def headers(secret: str = CURRENT, msg: str = "msg_1", ts: int = TS, body: bytes = BODY) -> dict:
    return signed_headers(secret, msg, ts, body)


def verify(v: WebhookVerifier, h: dict, body: bytes = BODY) -> None:
    v.verify(h.get("webhook-id"), h.get("webhook-timestamp"), h.get("webhook-signature"), body)


def test_the_signer_reproduces_the_specification_example() -> None:
    assert sign(SPEC_SECRET, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY) == SPEC_SIGNATURE


def test_the_verifier_accepts_the_specification_example() -> None:
    v = verifier(SPEC_SECRET, now=datetime.fromtimestamp(SPEC_TIMESTAMP, UTC))
    result = v.verify(SPEC_ID, str(SPEC_TIMESTAMP), SPEC_SIGNATURE, SPEC_BODY)
    assert result.delivery_id == SPEC_ID


def test_secrets_are_decoded_per_the_specification() -> None:
    assert decode_secret(SPEC_SECRET) == base64.b64decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    with pytest.raises(ValueError):
        decode_secret("whsec_not base64!")
    with pytest.raises(ValueError):
        decode_secret("whsec_" + base64.b64encode(b"short").decode())


def test_a_signed_delivery_verifies() -> None:
    verify(verifier(), headers())


def test_the_previous_secret_is_accepted_during_a_rotation() -> None:
    verify(verifier(CURRENT, PREVIOUS), headers(PREVIOUS))
    verify(verifier(CURRENT, PREVIOUS), headers(CURRENT))
    with pytest.raises(WebhookRejected) as rejected:
        verify(verifier(CURRENT), headers(PREVIOUS))  # once the rotation is over
    assert rejected.value.status == 401


def test_any_of_several_signatures_may_match() -> None:
    good = headers()["webhook-signature"]
    forged = "v1," + base64.b64encode(b"x" * 32).decode()
    h = headers()
    h["webhook-signature"] = f"v2,abc {forged} {good}"
    verify(verifier(), h)


@pytest.mark.parametrize(
    "tamper",
    [
        "wrong secret",
        "forged signature",
        "one changed byte",
        "other id",
        "other timestamp",
        "only other versions",
        "empty signature",
    ],
)
def test_anything_else_is_rejected_as_unauthorised(tamper: str) -> None:
    h = headers()
    body = BODY
    if tamper == "wrong secret":
        h = headers(OTHER)
    elif tamper == "forged signature":
        h["webhook-signature"] = "v1," + base64.b64encode(b"\0" * 32).decode()
    elif tamper == "one changed byte":
        body = BODY.replace(b"ord-1", b"ord-2")
    elif tamper == "other id":
        h["webhook-id"] = "msg_2"
    elif tamper == "other timestamp":
        h["webhook-timestamp"] = str(TS + 1)
    elif tamper == "only other versions":
        h["webhook-signature"] = h["webhook-signature"].replace("v1,", "v2,")
    elif tamper == "empty signature":
        h["webhook-signature"] = "v1,"
    with pytest.raises(WebhookRejected) as rejected:
        verify(verifier(), h, body)
    assert rejected.value.status == 401


@pytest.mark.parametrize(
    "skew", [timedelta(minutes=-5, seconds=-1), timedelta(minutes=5, seconds=1)]
)
def test_a_timestamp_outside_five_minutes_is_rejected(skew: timedelta) -> None:
    ts = int((NOW + skew).timestamp())
    with pytest.raises(WebhookRejected) as rejected:
        verify(verifier(), headers(ts=ts))
    assert rejected.value.status == 401


@pytest.mark.parametrize("skew", [timedelta(minutes=-5), timedelta(minutes=5)])
def test_a_timestamp_within_five_minutes_is_fine(skew: timedelta) -> None:
    verify(verifier(), headers(ts=int((NOW + skew).timestamp())))


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_missing_headers_are_a_bad_request(missing: str) -> None:
    h = headers()
    del h[missing]
    with pytest.raises(WebhookRejected) as rejected:
        verify(verifier(), h)
    assert rejected.value.status == 400


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("webhook-timestamp", "1e9"),
        ("webhook-timestamp", "-5"),
        ("webhook-timestamp", "9" * 40),
        ("webhook-id", "x" * 129),
        ("webhook-id", "msg\x01"),
        ("webhook-signature", "v1,a " * 2000),
    ],
)
def test_malformed_headers_are_a_bad_request(name: str, value: str) -> None:
    h = headers()
    h[name] = value
    with pytest.raises(WebhookRejected) as rejected:
        verify(verifier(), h)
    assert rejected.value.status == 400


def test_a_verifier_needs_a_secret() -> None:
    with pytest.raises(ValueError):
        WebhookVerifier([""], clock=FixedClock(NOW))
