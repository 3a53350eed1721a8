"""The id of the request on whose behalf code runs (correlation), stdlib only.

Set by the delivery layer for each HTTP request and WebSocket connection, and by the refund worker
for the job in hand: log lines carry it (app.observability.logging), and a refund job records the
id of the request that made it payable (`RefundJob.request_id`), so one refund reads as one story
across the API's and the worker's logs."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

REQUEST_ID_MAX = 128  # as app.http.client_identity accepts an X-Request-ID

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def current_request_id() -> str | None:
    return _request_id.get()


def set_request_id(request_id: str | None) -> None:
    """For the rest of the current context (a task, a connection handler)."""
    _request_id.set(request_id[:REQUEST_ID_MAX] if request_id else None)


@contextlib.contextmanager
def request_id_scope(request_id: str | None) -> Iterator[None]:
    """`request_id` within the block, the previous one after it."""
    token = _request_id.set(request_id[:REQUEST_ID_MAX] if request_id else None)
    try:
        yield
    finally:
        _request_id.reset(token)
