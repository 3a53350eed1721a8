"""Protocol edges met with third-party clients: the legacy `graphql-ws` subprotocol is refused
with a reason the client can read (4406 after a completed handshake, not a failed handshake),
and /graphql's 400s use the GraphQL JSON error shape (as its 413 does)."""

from __future__ import annotations

from typing import Any

import pytest

from app.http.graphql_ws import SUBPROTOCOL_REASON
from tests.api.conftest import Api
from tests.toolbox.ws import asgi_ws


@pytest.mark.parametrize("offered", [["graphql-ws"], ["graphql-ws", "something-else"]])
async def test_the_legacy_subprotocol_is_refused_with_a_readable_reason(
    api: Api, offered: list[str]
) -> None:
    async with asgi_ws(api.app, subprotocols=offered) as ws:
        # The handshake completes with a protocol the client asked for (else browsers and the
        # `ws` library fail it with a bare 1006), then the socket closes with the reason.
        assert ws.ws.subprotocol == offered[0]
        closed = await ws.closed_with()
    assert closed.code == 4406
    assert closed.reason == SUBPROTOCOL_REASON
    assert "graphql-transport-ws" in closed.reason and len(closed.reason.encode()) <= 123


def assert_json_error(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body = response.json()
    assert set(body) == {"errors"}, body
    (error,) = body["errors"]
    assert error["message"] and error["extensions"] == {"code": code}, body


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"{not json", "application/json"),
        (b'{"variables": {}}', "application/json"),  # no query
        (b'[{"query": "{ viewer { id } }"}]', "application/json"),  # batching
        (b'{"query": "{ viewer { id } }", "variables": "x"}', "application/json"),
    ],
)
async def test_a_bad_request_is_a_graphql_json_error(
    api: Api, content: bytes, content_type: str
) -> None:
    response = await api.http.post(
        "/graphql", content=content, headers={"content-type": content_type}
    )
    assert_json_error(response, 400, "BAD_REQUEST")


async def test_the_413_has_the_same_shape(api: Api) -> None:
    body = b'{"query": "{ viewer { id } }", "x": "' + b"a" * api.settings.max_body_bytes + b'"}'
    response = await api.http.post(
        "/graphql", content=body, headers={"content-type": "application/json"}
    )
    assert_json_error(response, 413, "REQUEST_TOO_LARGE")


SECURITY_HEADERS = (
    "x-content-type-options",
    "referrer-policy",
    "x-frame-options",
    "content-security-policy",
    "cross-origin-opener-policy",
    "cross-origin-resource-policy",
    "permissions-policy",
)


async def test_every_response_carries_the_security_headers(api: Api) -> None:
    big = b"a" * (api.settings.max_body_bytes + 1)
    responses = {
        "graphql": await api.http.post("/graphql", json={"query": "{ __typename }"}),
        "bad request": await api.http.post(
            "/graphql", content=b"{", headers={"content-type": "application/json"}
        ),
        "too large": await api.http.post("/graphql", content=big),
        "graphiql": await api.http.get("/graphql", headers={"Accept": "text/html"}),
        "healthz": await api.http.get("/healthz"),
        "readyz": await api.http.get("/readyz"),
        "web client": await api.http.get("/some/client/route"),
        "webhook": await api.http.post("/webhooks/order-system", content=b"{}"),
    }
    for name, response in responses.items():
        missing = [h for h in SECURITY_HEADERS if h not in response.headers]
        assert not missing, (name, response.status_code, missing)
    assert responses["graphql"].headers["cache-control"] == "no-store"
    # GraphiQL keeps its own (looser) policy; API answers get the strictest one.
    assert "script-src 'self'" in responses["graphiql"].headers["content-security-policy"]
    assert responses["graphql"].headers["content-security-policy"].startswith("default-src 'none'")
    assert "strict-transport-security" not in responses["healthz"].headers  # not production
