"""The rules of outbound webhooks (domain.outbound_webhooks): which events become messages, what
an endpoint accepts, which secrets sign, what an attempt's outcome does."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import ValidationFailed
from domain.events import CaseEvent, CaseEventType
from domain.outbound_webhooks import (
    URL_MAX,
    CaseFacts,
    RefundFacts,
    SendResult,
    WebhookDelivery,
    WebhookDeliveryPolicy,
    WebhookDeliveryState,
    WebhookEndpoint,
    WebhookEvent,
    attempt_outcome,
    excerpt,
    is_private_address,
    message_id,
    payload_of,
    target_errors,
    url_errors,
    webhook_event_of,
)

NOW = datetime(2031, 3, 4, 10, 0, 0, tzinfo=UTC)


def event(type_: CaseEventType, **fields: object) -> CaseEvent:
    values: dict[str, object] = {
        "id": "2f0c3f7e-1111-4a4a-9f9f-000000000001",
        "case_id": "case-1",
        "type": type_,
        "occurred_at": NOW,
        "summary": "something happened",
    }
    values.update(fields)
    return CaseEvent(**values)  # type: ignore[arg-type]


def endpoint(**changes: object) -> WebhookEndpoint:
    made = WebhookEndpoint.register(
        url="https://shop.example/hooks",
        events=[WebhookEvent.REFUND_PAID, WebhookEvent.REFUND_FAILED],
        description="shop",
        now=NOW,
    )
    for name, value in changes.items():
        setattr(made, name, value)
    return made


@pytest.mark.parametrize(
    ("timeline", "after", "internal", "expected"),
    [
        (CaseEventType.CASE_OPENED, None, False, WebhookEvent.CASE_OPENED),
        (CaseEventType.STATUS_CHANGED, "RESOLVED", False, WebhookEvent.CASE_RESOLVED),
        (CaseEventType.STATUS_CHANGED, "WAITING_ON_CUSTOMER", False, None),
        (CaseEventType.REFUND_REQUESTED, "REQUESTED", False, WebhookEvent.REFUND_REQUESTED),
        (CaseEventType.REFUND_APPROVED, "APPROVED", False, WebhookEvent.REFUND_APPROVED),
        (CaseEventType.REFUND_SUCCEEDED, "SUCCEEDED", False, WebhookEvent.REFUND_PAID),
        (CaseEventType.REFUND_FAILED, "FAILED", False, WebhookEvent.REFUND_FAILED),
        (CaseEventType.REFUND_PROCESSING, "PROCESSING", False, None),
        (CaseEventType.MESSAGE_POSTED, None, False, None),
        (CaseEventType.CASE_OPENED, None, True, None),  # internal events never leave
    ],
)
def test_timeline_events_that_become_webhooks(
    timeline: CaseEventType, after: str | None, internal: bool, expected: WebhookEvent | None
) -> None:
    assert webhook_event_of(event(timeline, after=after, internal=internal)) is expected


def test_the_payload_is_the_standard_webhooks_shape_with_the_refund() -> None:
    paid = event(CaseEventType.REFUND_SUCCEEDED, refund_id="r-1", after="SUCCEEDED")
    body = payload_of(
        WebhookEvent.REFUND_PAID,
        paid,
        CaseFacts(id="case-1", number=42, status="OPEN", order_id="ord-9"),
        RefundFacts(
            id="r-1",
            status="SUCCEEDED",
            amount_minor=3000,
            currency="EUR",
            order_id="ord-9",
            reason="DAMAGED",
            failure_reason=None,
            attempt=1,
        ),
    )
    parsed = json.loads(body)
    assert parsed["type"] == "refund.paid"
    assert parsed["timestamp"] == "2031-03-04T10:00:00Z"
    assert parsed["data"]["case"]["number"] == "CS-000042"
    assert parsed["data"]["refund"]["amount"] == {"amountMinor": 3000, "currency": "EUR"}
    assert parsed["data"]["eventId"] == paid.id
    assert message_id(paid.id) == "msg_2f0c3f7e11114a4a9f9f000000000001"


@pytest.mark.parametrize(
    "url",
    [
        "ftp://shop.example/hooks",
        "javascript:alert(1)",
        "https://",
        "https://user:pw@shop.example/hooks",
        "https://shop.example/hooks#frag",
        "https://shop.example/ho oks",
        "https://shop.example:99999/hooks",
        "",
        "https://shop.example/" + "a" * URL_MAX,
    ],
)
def test_urls_that_are_refused(url: str) -> None:
    assert url_errors(url)
    with pytest.raises(ValidationFailed):
        WebhookEndpoint.register(
            url=url, events=[WebhookEvent.REFUND_PAID], description="", now=NOW
        )


@pytest.mark.parametrize(
    "url",
    ["https://shop.example/hooks", "http://127.0.0.1:8080/in?x=1", "https://a.b/" + "c" * 1000],
)
def test_urls_that_are_accepted(url: str) -> None:
    assert url_errors(url) == []


@pytest.mark.parametrize(
    ("address", "private"),
    [
        ("127.0.0.1", True),  # loopback
        ("127.8.9.10", True),
        ("::1", True),
        ("10.1.2.3", True),  # private
        ("172.16.0.1", True),
        ("192.168.1.1", True),
        ("fd00::1", True),  # unique local
        ("169.254.169.254", True),  # link-local: the cloud metadata endpoint
        ("fe80::1", True),
        ("fe80::1%eth0", True),
        ("224.0.0.1", True),  # multicast
        ("ff02::1", True),
        ("240.0.0.1", True),  # reserved
        ("0.0.0.0", True),  # unspecified
        ("::", True),
        ("100.64.0.1", True),  # shared address space (carrier-grade NAT): not global
        ("::ffff:10.0.0.1", True),  # IPv4-mapped
        ("::ffff:127.0.0.1", True),
        ("8.8.8.8", False),
        ("93.184.215.14", False),
        ("2606:4700:4700::1111", False),
        ("::ffff:8.8.8.8", False),
        ("shop.example", False),  # a name, not an address (checked when resolved)
    ],
)
def test_which_addresses_are_private(address: str, private: bool) -> None:
    assert is_private_address(address) is private


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/in",
        "http://169.254.169.254/latest/meta-data/",
        "https://[::1]/hooks",
        "https://[::ffff:169.254.169.254]/hooks",
        "http://10.0.0.5:5432/",
        "http://0.0.0.0/",
        "http://localhost:8000/hooks",
        "http://LOCALHOST./hooks",
        "http://api.localhost/hooks",
    ],
)
def test_private_targets_are_refused_unless_allowed(url: str) -> None:
    (error,) = target_errors(url, allow_private_targets=False)
    assert error.field == "url"
    assert "private, loopback, link-local or reserved address" in error.message
    assert target_errors(url, allow_private_targets=True) == []
    with pytest.raises(ValidationFailed) as refused:
        WebhookEndpoint.register(
            url=url,
            events=[WebhookEvent.REFUND_PAID],
            description="",
            now=NOW,
            allow_private_targets=False,
        )
    assert [f.field for f in refused.value.fields] == ["url"]
    made = endpoint()
    with pytest.raises(ValidationFailed):
        made.change(now=NOW, url=url, allow_private_targets=False)
    assert made.url == "https://shop.example/hooks"
    made.change(now=NOW, url=url, allow_private_targets=True)
    assert made.url == url


@pytest.mark.parametrize(
    "url", ["https://shop.example/hooks", "http://8.8.8.8/in", "https://[2606:4700::1111]/h"]
)
def test_public_targets_are_accepted_with_private_targets_off(url: str) -> None:
    assert target_errors(url, allow_private_targets=False) == []
    made = WebhookEndpoint.register(
        url=url,
        events=[WebhookEvent.REFUND_PAID],
        description="",
        now=NOW,
        allow_private_targets=False,
    )
    assert made.url == url


def test_an_endpoint_needs_an_event() -> None:
    with pytest.raises(ValidationFailed) as refused:
        WebhookEndpoint.register(url="https://shop.example/h", events=[], description="", now=NOW)
    assert refused.value.fields[0].field == "events"


def test_secrets_are_standard_webhooks_secrets_and_each_endpoint_gets_its_own() -> None:
    first, second = endpoint(), endpoint()
    assert first.secret.startswith("whsec_") and second.secret.startswith("whsec_")
    assert first.secret != second.secret


def test_rotation_signs_with_both_secrets_during_the_grace_period_only() -> None:
    made = endpoint()
    old = made.secret
    new = made.rotate_secret(grace=timedelta(hours=1), now=NOW)
    assert new != old
    assert made.signing_secrets(NOW + timedelta(minutes=59)) == [new, old]
    assert made.rotation_ends_at(NOW) == NOW + timedelta(hours=1)
    assert made.signing_secrets(NOW + timedelta(hours=1)) == [new]
    assert made.rotation_ends_at(NOW + timedelta(hours=1)) is None
    newest = made.rotate_secret(grace=timedelta(0), now=NOW)
    assert made.signing_secrets(NOW) == [newest]
    with pytest.raises(ValidationFailed):
        made.rotate_secret(grace=timedelta(days=8), now=NOW)


def test_the_backoff_schedule_doubles_up_to_the_cap() -> None:
    policy = WebhookDeliveryPolicy(
        max_attempts=6, backoff_base=timedelta(seconds=10), backoff_cap=timedelta(seconds=60)
    )
    assert [d.total_seconds() for d in policy.schedule()] == [10, 20, 40, 60, 60]


def delivery(attempts: int = 0) -> WebhookDelivery:
    made = WebhookDelivery.new(
        endpoint_id="e-1", message="msg_1", kind=WebhookEvent.REFUND_PAID, payload="{}", now=NOW
    )
    made.attempts = attempts
    return made


POLICY = WebhookDeliveryPolicy(max_attempts=3, backoff_base=timedelta(seconds=10))


def test_a_2xx_delivers_and_resets_the_failure_count() -> None:
    outcome = attempt_outcome(delivery(), SendResult(status=204), POLICY, NOW)
    assert outcome.state is WebhookDeliveryState.DELIVERED
    assert outcome.delivered_at == NOW
    assert not outcome.endpoint_failure


@pytest.mark.parametrize(
    "result",
    [SendResult(status=500), SendResult(status=301), SendResult(status=None, error="timeout")],
)
def test_anything_else_is_retried_after_the_backoff(result: SendResult) -> None:
    outcome = attempt_outcome(delivery(attempts=1), result, POLICY, NOW)
    assert outcome.state is WebhookDeliveryState.PENDING
    assert outcome.attempts == 2
    assert outcome.next_attempt_at == NOW + timedelta(seconds=20)
    assert outcome.endpoint_failure
    assert result.describe() in outcome.disable_reason


def test_the_last_attempt_fails_the_delivery() -> None:
    outcome = attempt_outcome(delivery(attempts=2), SendResult(status=503), POLICY, NOW)
    assert outcome.state is WebhookDeliveryState.FAILED
    assert outcome.attempts == 3


def test_disabling_by_an_admin_keeps_a_reason_and_enabling_starts_over() -> None:
    made = endpoint(consecutive_failures=4)
    made.change(now=NOW, active=False)
    assert not made.active and made.disabled_reason == "disabled by an admin"
    made.change(now=NOW, active=True)
    assert made.active and made.disabled_reason is None and made.consecutive_failures == 0


def test_a_resend_is_the_same_message_as_a_new_delivery() -> None:
    original = delivery(attempts=3)
    original.state = WebhookDeliveryState.FAILED
    copy = original.resend(NOW + timedelta(hours=1))
    assert copy.id != original.id
    assert (copy.message_id, copy.payload) == (original.message_id, original.payload)
    assert copy.state is WebhookDeliveryState.PENDING and copy.attempts == 0
    assert copy.resend_of == original.id


def test_response_excerpts_are_bounded_and_printable() -> None:
    assert excerpt("ok\x00" + "x" * 2000, 10) == "ok\ufffdxxxxxx…"
