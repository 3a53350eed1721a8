"""The outbound webhook sender over real HTTP: what a receiver that hangs, refuses, redirects or
answers at length turns into (a SendResult, never an exception), and that what it signs the
reference library (`standardwebhooks`) verifies, with either secret during a rotation."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from adapters.outbound_webhook_sender import RESPONSE_READ_MAX, HttpWebhookSender
from domain.outbound_webhooks import SendResult, WebhookPost, new_secret
from tests.toolbox.network import free_port, serve, silent_server

BODY = '{"data":{},"timestamp":"2026-12-06T08:00:00Z","type":"refund.paid"}'


async def send(
    sender: HttpWebhookSender,
    url: str,
    message_id: str,
    *,
    secrets: Sequence[str] = (),
    at: datetime | None = None,
    timeout_seconds: float = 5,
) -> SendResult:
    """`sender` posts BODY to `url`, signed with `secrets` (default: a fresh one), sent `at`
    (default: now)."""
    return await sender.send(
        WebhookPost(
            url,
            message_id=message_id,
            payload=BODY,
            secrets=secrets or [new_secret()],
            timestamp=at or datetime.now(UTC),
            timeout_seconds=timeout_seconds,
        )
    )


def receiver(seen: list[Request], bodies: list[bytes]) -> Starlette:
    async def ok(request: Request) -> Response:
        seen.append(request)
        bodies.append(await request.body())
        return PlainTextResponse("x" * (RESPONSE_READ_MAX * 3), status_code=202)

    async def moved(request: Request) -> Response:
        return RedirectResponse("/ok", status_code=307)

    return Starlette(
        routes=[Route("/ok", ok, methods=["POST"]), Route("/moved", moved, methods=["POST"])]
    )


async def test_a_signed_post_that_the_reference_library_verifies_with_either_secret() -> None:
    seen: list[Request] = []
    bodies: list[bytes] = []
    new, old = new_secret(), new_secret()
    sender = HttpWebhookSender()
    try:
        async with serve(receiver(seen, bodies)) as url:
            at = datetime.now(UTC)
            result = await send(sender, f"{url}/ok", "msg_1", secrets=[new, old], at=at)
            redirected = await send(sender, f"{url}/moved", "msg_2", secrets=[new], at=at)
    finally:
        await sender.aclose()
    assert result.ok and result.status == 202
    assert result.body_excerpt is not None and len(result.body_excerpt) == RESPONSE_READ_MAX
    (request,) = seen  # the redirect was not followed
    assert (redirected.status, redirected.ok) == (307, False)
    headers = dict(request.headers)
    assert headers["webhook-id"] == "msg_1"
    assert headers["webhook-timestamp"] == str(int(at.timestamp()))
    assert headers["content-type"] == "application/json"
    assert bodies == [BODY.encode()]
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (new, old):
        assert Webhook(secret).verify(bodies[0], headers) == {
            "data": {},
            "timestamp": "2026-12-06T08:00:00Z",
            "type": "refund.paid",
        }


async def test_a_receiver_that_never_answers_is_a_failed_attempt_within_the_deadline() -> None:
    sender = HttpWebhookSender()
    try:
        async with silent_server() as url:
            result = await send(sender, url, "msg_3", timeout_seconds=0.5)
        refused = await send(
            sender, f"http://127.0.0.1:{free_port()}/hooks", "msg_4", timeout_seconds=2
        )
    finally:
        await sender.aclose()
    assert (result.status, result.ok) == (None, False)
    assert result.error == "no answer within 0.5 s"  # the silent receiver would hold it forever
    assert refused.status is None and refused.error is not None
    assert "Connect" in refused.error


async def test_a_host_that_resolves_to_a_private_address_is_refused_unless_allowed() -> None:
    """DNS rebinding: the URL names a host, not an address; `localhost` resolves to 127.0.0.1
    (and ::1), so with private targets off nothing is sent, and with them on it is delivered."""
    seen: list[Request] = []
    bodies: list[bytes] = []
    guarded = HttpWebhookSender(allow_private_targets=False)
    open_ = HttpWebhookSender(allow_private_targets=True)
    try:
        async with serve(receiver(seen, bodies)) as url:
            port = url.rsplit(":", 1)[1]
            target = f"http://localhost:{port}/ok"
            refused = await send(guarded, target, "msg_5")
            literal = await send(guarded, f"{url}/ok", "msg_6")  # http://127.0.0.1:<port>
            assert seen == []  # nothing reached the receiver
            delivered = await send(open_, target, "msg_7")
    finally:
        await guarded.aclose()
        await open_.aclose()
    assert (refused.status, refused.ok) == (None, False)
    assert refused.error == "refused: localhost resolves to a private address"
    assert literal.error == "refused: 127.0.0.1 resolves to a private address"
    assert delivered.ok and delivered.status == 202
    assert [r.headers["webhook-id"] for r in seen] == ["msg_7"]
