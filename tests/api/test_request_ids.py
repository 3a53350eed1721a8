"""The request id of a WebSocket connection (its handshake's X-Request-ID) is on the lines logged
while serving it, as an HTTP request's id is on its lines (app.observability.logging)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from app.observability.logging import RequestIdFilter
from tests.api.conftest import Api
from tests.toolbox.ws import asgi_ws

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.addFilter(RequestIdFilter())
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def lines() -> Iterator[_Lines]:
    handler = _Lines()
    logger = logging.getLogger("app")
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(previous)


async def test_a_websocket_connection_logs_under_its_request_id(api: Api, lines: _Lines) -> None:
    async with asgi_ws(api.app, headers={"X-Request-ID": "ws-e2e-7f3a9c21"}) as ws:
        await ws.init("not-a-token")
        closed = await ws.closed_with()
    assert closed.code == 4403
    mine = [r for r in lines.records if r.name == "app.ws"]
    assert mine, [r.getMessage() for r in lines.records]
    assert {getattr(r, "request_id", None) for r in mine} == {"ws-e2e-7f3a9c21"}


async def test_an_http_request_logs_under_its_request_id(api: Api, lines: _Lines) -> None:
    response = await api.http.get("/healthz", headers={"X-Request-ID": "http-e2e-5d1b0a77"})
    assert response.headers["X-Request-ID"] == "http-e2e-5d1b0a77"
    access = [r for r in lines.records if r.name == "app.http"]
    assert [getattr(r, "request_id", None) for r in access] == ["http-e2e-5d1b0a77"]
    assert getattr(access[0], "path", None) == "/healthz"
