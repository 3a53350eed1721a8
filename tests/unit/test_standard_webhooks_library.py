"""Our Standard Webhooks code against the reference library (`standardwebhooks`):
what it signs, our verifier accepts; what our sender signs, it accepts; a tampered body fails both.

Why the reference library is not the verifier itself (see app/http/webhooks.py): it reads the
wall clock with a fixed five-minute window (ours is a setting and the clock a port), takes one
secret per instance (we accept the previous secret during a rotation), decodes the body as UTF-8
before checking it, and lets malformed headers escape as ValueError/binascii.Error rather than a
verification error, which our endpoint must answer with 400/401 and never a 500.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from adapters.clock import FixedClock
from adapters.order_system.webhook_sender import signed_headers
from app.http.webhooks import WebhookRejected, WebhookVerifier

CURRENT = "whsec_" + base64.b64encode(b"current-secret-0123456789").decode()
PREVIOUS = "whsec_" + base64.b64encode(b"previous-secret-0123456789").decode()
BODY = b'{"type":"order.delivered","data":{"order":{"id":"ord-1","status":"DELIVERED"}}}'


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)  # the reference library reads the wall clock


def _reference_headers(secret: str, message_id: str, at: datetime, body: bytes) -> dict[str, str]:
    signature = Webhook(secret).sign(message_id, at, body.decode())
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
    }


def _verify(verifier: WebhookVerifier, headers: dict[str, str], body: bytes) -> None:
    verifier.verify(
        headers["webhook-id"], headers["webhook-timestamp"], headers["webhook-signature"], body
    )


@pytest.mark.parametrize("secret", [CURRENT, PREVIOUS])
def test_what_the_reference_library_signs_our_verifier_accepts(secret: str) -> None:
    at = _now()
    headers = _reference_headers(secret, "msg_ref_1", at, BODY)
    verifier = WebhookVerifier([CURRENT, PREVIOUS], clock=FixedClock(at))
    _verify(verifier, headers, BODY)
    with pytest.raises(WebhookRejected) as rejected:
        _verify(verifier, headers, BODY.replace(b"DELIVERED", b"CANCELLED"))
    assert rejected.value.status == 401


def test_what_our_sender_signs_the_reference_library_accepts() -> None:
    at = _now()
    headers = signed_headers(CURRENT, "msg_ours_1", int(at.timestamp()), BODY)
    assert Webhook(CURRENT).verify(BODY, headers) == {
        "type": "order.delivered",
        "data": {"order": {"id": "ord-1", "status": "DELIVERED"}},
    }
    with pytest.raises(WebhookVerificationError):
        Webhook(PREVIOUS).verify(BODY, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(CURRENT).verify(BODY + b" ", headers)
