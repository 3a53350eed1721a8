"""OpenTelemetry traces (TRACING_ENABLED, off by default): a server span per HTTP request and
WebSocket connection (ASGI), and child spans for SQL statements (SQLAlchemy), Redis commands and
outgoing HTTP calls (httpx: the order system, the payment gateway). Exported over OTLP/HTTP to
OTEL_EXPORTER_OTLP_ENDPOINT (the OpenTelemetry SDK's own settings apply: OTEL_EXPORTER_OTLP_*,
OTEL_RESOURCE_ATTRIBUTES, ...); the service name is OTEL_SERVICE_NAME or `support-refunds`."""

from __future__ import annotations

import os
from typing import Any

from opentelemetry import trace
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.instrumentation.redis import RedisInstrumentor
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter
from sqlalchemy.ext.asyncio import AsyncEngine

_provider: TracerProvider | None = None


def configure_tracing(exporter: SpanExporter | None = None) -> TracerProvider:
    """The process's tracer provider (made once) and the Redis and httpx instrumentation.
    `exporter` (tests): spans go to it at once instead of the batched OTLP exporter."""
    global _provider
    provider = _provider
    if provider is None:
        name = os.environ.get("OTEL_SERVICE_NAME") or "support-refunds"
        provider = TracerProvider(resource=Resource.create({"service.name": name}))
        if exporter is None:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        else:
            provider.add_span_processor(SimpleSpanProcessor(exporter))
        trace.set_tracer_provider(provider)
        _provider = provider
    for instrumentor in (HTTPXClientInstrumentor(), RedisInstrumentor()):
        if not instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.instrument(tracer_provider=provider)
    return provider


def stop_tracing() -> None:
    """Undo the instrumentation (tests; the provider stays): no more spans from httpx, Redis or
    SQLAlchemy. Traced apps built later instrument again."""
    for instrumentor in (HTTPXClientInstrumentor(), RedisInstrumentor(), SQLAlchemyInstrumentor()):
        if instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.uninstrument()


def trace_engine(engine: AsyncEngine) -> None:
    """SQL statements of `engine` as spans (after configure_tracing)."""
    # The instrumentation declares SQLAlchemy < 2.1; its event hooks work with 2.1 (a test checks).
    # One engine per process (the instrumentor is a singleton): the first one is traced.
    instrumentor = SQLAlchemyInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument(
            engine=engine.sync_engine, tracer_provider=_provider, skip_dep_check=True
        )


def traced_asgi(app: Any) -> Any:
    """`app` with a server span per request / WebSocket connection (a Starlette middleware
    factory: `Middleware(traced_asgi)`)."""
    return OpenTelemetryMiddleware(app, tracer_provider=_provider)
