"""TRACING_ENABLED: one request through the real app gives a server span with child spans for
its SQL statements, its Redis commands and its outgoing HTTP call (the order system)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from adapters.order_system.simulator import create_order_simulator
from app.observability.tracing import configure_tracing, stop_tracing
from app.settings import Settings
from tests.api.conftest import running_api
from tests.toolbox.network import serve
from tests.toolbox.services import REDIS_URL, redis_or_skip

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture(scope="module")
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    configure_tracing(exporter)
    yield exporter
    stop_tracing()  # the rest of the session runs untraced


async def test_a_request_is_traced_with_sql_redis_and_http(
    spans: InMemorySpanExporter, postgres_url: str
) -> None:
    await redis_or_skip()
    # The order system over real HTTP (the embedded one is reached in process, not traced).
    async with serve(create_order_simulator()) as order_system_url:
        settings = Settings(
            app_env="test",
            database_url=postgres_url,
            redis_url=REDIS_URL,
            order_system_url=order_system_url,
            tracing_enabled=True,
            # The login limiter counts per client IP in the shared Redis: the other API tests'
            # logins of the last minute must not make this one RATE_LIMITED.
            login_attempts_per_minute=100_000,
        )
        async with running_api(settings) as api:
            token = await api.token("alice@example.com")
            spans.clear()
            await api.gql.ok(
                "query Traced { myOrders(first: 5) { edges { node { id } } } }", token=token
            )
    finished = spans.get_finished_spans()
    server = [s for s in finished if s.kind.name == "SERVER" and _path(s) == "/graphql"]
    assert len(server) == 1, [s.name for s in finished]
    request = server[0]
    inside = [
        s for s in finished if s.context.trace_id == request.context.trace_id and s is not request
    ]
    names = [(s.name, s.kind.name) for s in inside]
    systems = {str((s.attributes or {}).get("db.system", "")) for s in inside}
    assert {"postgresql", "redis"} <= systems, names
    assert any(s.kind.name == "CLIENT" and s.name == "GET" for s in inside), names
    # Every span of the request is a child in its trace, not a trace of its own.
    assert all(s.parent is not None for s in inside), names
    # Nothing of the request escaped into another trace.
    assert all(s.context.trace_id == request.context.trace_id for s in finished), [
        s.name for s in finished
    ]


def _path(span: ReadableSpan) -> object:
    attributes = span.attributes or {}
    return attributes.get("http.target", attributes.get("url.path"))
