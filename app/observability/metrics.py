"""Prometheus metrics (prometheus-client) and `GET /metrics`.

Every metric of the service is declared here, once; the code that counts calls the small
functions below (or, for adapters that must not import the delivery layer, is handed an
observer: `OrderSystemMetrics`). docs/grafana/dashboard.json queries these names, and
tests/unit/test_grafana_dashboard.py checks that every metric it queries exists.

Several processes behind one port (uvicorn --workers N) share their figures through the
directory named by PROMETHEUS_MULTIPROC_DIR (prometheus-client's multiprocess mode: set it,
empty, before the processes start); each process then writes its own files and `/metrics`
adds them up. Gauges say how (`multiprocess_mode`). Without it, each process serves its own.

Label values stay bounded: GraphQL operation names are client-chosen, so a name that is not a
plain identifier counts as "invalid", and beyond `MAX_OPERATION_NAMES` distinct names a process
counts the rest as "other".
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections.abc import Awaitable, Callable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    start_http_server,
)
from prometheus_client import multiprocess as prometheus_multiprocess
from starlette.requests import Request
from starlette.responses import Response

PREFIX = "support"
MAX_OPERATION_NAMES = 200
_OPERATION_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")

# -- GraphQL ------------------------------------------------------------------------------------

GRAPHQL_OPERATIONS = Counter(
    f"{PREFIX}_graphql_operations_total",
    "GraphQL operations by operation name, type and outcome (ok: no error; error: with errors)",
    ["operation", "type", "outcome"],
)
GRAPHQL_DURATION = Histogram(
    f"{PREFIX}_graphql_operation_duration_seconds",
    "Time to answer a GraphQL query or mutation (subscriptions: not timed), by name and outcome",
    ["operation", "type", "outcome"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
GRAPHQL_ERRORS = Counter(
    f"{PREFIX}_graphql_errors_total",
    "Top-level GraphQL errors by extensions.code (INTERNAL: masked unexpected errors; "
    "GRAPHQL_VALIDATION: the document was refused)",
    ["code"],
)
DATALOADER_BATCH = Histogram(
    f"{PREFIX}_dataloader_batch_size",
    "Keys per DataLoader batch (one query or call each), by loader",
    ["loader"],
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500),
)

# -- order system -------------------------------------------------------------------------------

ORDER_SYSTEM_CALLS = Counter(
    f"{PREFIX}_order_system_calls_total",
    "Attempts to call the order system, by operation and outcome (ok, unavailable, circuit_open)",
    ["operation", "outcome"],
)
ORDER_CACHE_LOOKUPS = Counter(
    f"{PREFIX}_order_cache_lookups_total",
    "Orders looked up in the order cache: hit (a fresh copy served) or miss (asked the order "
    "system)",
    ["result"],
)
ORDER_BREAKER_STATE = Gauge(
    f"{PREFIX}_order_system_breaker_state",
    "The order system circuit breaker: 1 for its current state (closed, open, half-open)",
    ["state"],
    multiprocess_mode="livemax",
)
_BREAKER_STATES = ("closed", "open", "half-open")

# -- refunds ------------------------------------------------------------------------------------

REFUND_JOBS = Gauge(
    f"{PREFIX}_refund_jobs",
    "Refund jobs by state (pending = due + leased + scheduled later; dead needs a human), read "
    "from the database at each scrape",
    ["state"],
    multiprocess_mode="livemostrecent",
)
REFUND_OLDEST_PENDING = Gauge(
    f"{PREFIX}_refund_jobs_oldest_pending_age_seconds",
    "Age of the oldest PENDING refund job (0 when none), read at each scrape",
    multiprocess_mode="livemostrecent",
)
REFUND_JOB_RESULTS = Counter(
    f"{PREFIX}_refund_job_runs_total",
    "Refund jobs run by a worker, by outcome (SUCCEEDED, FAILED, RETRY_LATER, DEAD, ...)",
    ["outcome"],
)

# -- webhooks, live updates, retention ------------------------------------------------------------

WEBHOOKS = Counter(
    f"{PREFIX}_webhooks_received_total",
    "Inbound webhook deliveries by source, result (accepted, refused) and reason",
    ["source", "result", "reason"],
)
WEBSOCKET_CONNECTIONS = Gauge(
    f"{PREFIX}_websocket_connections",
    "Open GraphQL WebSocket connections",
    multiprocess_mode="livesum",
)
WEBSOCKET_CONNECTIONS_OPENED = Counter(
    f"{PREFIX}_websocket_connections_opened_total", "GraphQL WebSocket connections opened"
)
SUBSCRIPTIONS = Gauge(
    f"{PREFIX}_graphql_subscriptions",
    "Running GraphQL subscriptions, by field",
    ["field"],
    multiprocess_mode="livesum",
)
SUBSCRIPTIONS_STARTED = Counter(
    f"{PREFIX}_graphql_subscriptions_started_total", "GraphQL subscriptions started", ["field"]
)
RETENTION_PRUNED = Counter(
    f"{PREFIX}_retention_pruned_total",
    "Rows forgotten by the retention pruning, by kind",
    ["kind"],
)

_operation_names: set[str] = set()


def operation_label(name: str | None) -> str:
    """A bounded label for a client-chosen operation name."""
    if not name:
        return "anonymous"
    if not _OPERATION_NAME.fullmatch(name):
        return "invalid"
    if name in _operation_names:
        return name
    if len(_operation_names) >= MAX_OPERATION_NAMES:
        return "other"
    _operation_names.add(name)
    return name


def observe_operation(
    name: str | None, operation_type: str, error_codes: list[str], seconds: float | None
) -> None:
    """One GraphQL operation done: `error_codes` of its top-level errors (empty: ok)."""
    outcome = "error" if error_codes else "ok"
    label = operation_label(name)
    GRAPHQL_OPERATIONS.labels(label, operation_type, outcome).inc()
    if seconds is not None:
        GRAPHQL_DURATION.labels(label, operation_type, outcome).observe(seconds)
    for code in error_codes:
        GRAPHQL_ERRORS.labels(code).inc()


def observe_batch(loader: str, size: int) -> None:
    DATALOADER_BATCH.labels(loader).observe(size)


def observe_webhook(source: str, *, accepted: bool, reason: str) -> None:
    WEBHOOKS.labels(source, "accepted" if accepted else "refused", reason).inc()


def observe_refund_job(outcome: str) -> None:
    REFUND_JOB_RESULTS.labels(outcome).inc()


def observe_pruned(counts: dict[str, int]) -> None:
    for kind, count in counts.items():
        if count:
            RETENTION_PRUNED.labels(kind).inc(count)


def websocket_opened() -> None:
    WEBSOCKET_CONNECTIONS.inc()
    WEBSOCKET_CONNECTIONS_OPENED.inc()


def websocket_closed() -> None:
    WEBSOCKET_CONNECTIONS.dec()


def subscription_started(field: str) -> None:
    SUBSCRIPTIONS.labels(field).inc()
    SUBSCRIPTIONS_STARTED.labels(field).inc()


def subscription_ended(field: str) -> None:
    SUBSCRIPTIONS.labels(field).dec()


class OrderSystemMetrics:
    """adapters.order_system.resilient.OrderSystemObserver, counting into the metrics above."""

    def call_finished(self, operation: str, outcome: str) -> None:
        ORDER_SYSTEM_CALLS.labels(operation.replace(" ", "_"), outcome).inc()

    def cache_looked_up(self, hits: int, misses: int) -> None:
        if hits:
            ORDER_CACHE_LOOKUPS.labels("hit").inc(hits)
        if misses:
            ORDER_CACHE_LOOKUPS.labels("miss").inc(misses)

    def breaker_changed(self, state: str) -> None:
        for name in _BREAKER_STATES:
            ORDER_BREAKER_STATE.labels(name).set(1 if name == str(state) else 0)


def set_refund_queue(counts: dict[str, int], oldest_pending_age_seconds: float) -> None:
    for state, count in counts.items():
        REFUND_JOBS.labels(state).set(count)
    REFUND_OLDEST_PENDING.set(oldest_pending_age_seconds)


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def exposition() -> bytes:
    """The text format of every metric (of every process, in multiprocess mode)."""
    if multiprocess_dir() is None:
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    prometheus_multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return generate_latest(registry)


def serve_metrics(port: int, host: str = "0.0.0.0") -> None:
    """GET /metrics on `port` from a background thread (the worker process, which has no HTTP
    server of its own)."""
    if multiprocess_dir() is None:
        start_http_server(port, addr=host)
    else:
        registry = CollectorRegistry()
        prometheus_multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        start_http_server(port, addr=host, registry=registry)


def process_exited(pid: int) -> None:
    """Multiprocess mode: forget a finished process's live gauges."""
    if multiprocess_dir() is not None:
        prometheus_multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]


class MetricsEndpoint:
    """GET /metrics. `refresh` updates the gauges read from the database first (refund jobs);
    should that fail (database down), the rest is still served."""

    def __init__(
        self,
        refresh: Callable[[Request], Awaitable[None]] | None = None,
        *,
        refresh_timeout_seconds: float = 2.0,
    ) -> None:
        self.refresh = refresh
        self.refresh_timeout_seconds = refresh_timeout_seconds

    async def handle(self, request: Request) -> Response:
        if self.refresh is not None:
            started = time.monotonic()
            try:
                async with asyncio.timeout(self.refresh_timeout_seconds):
                    await self.refresh(request)
            except Exception:  # noqa: BLE001 - a scrape must not fail with the database
                SCRAPE_REFRESH_FAILURES.inc()
            SCRAPE_REFRESH_SECONDS.set(time.monotonic() - started)
        return Response(exposition(), media_type=CONTENT_TYPE_LATEST)


SCRAPE_REFRESH_FAILURES = Counter(
    f"{PREFIX}_metrics_refresh_failures_total",
    "Scrapes whose database-read gauges (refund jobs) could not be refreshed",
)
SCRAPE_REFRESH_SECONDS = Gauge(
    f"{PREFIX}_metrics_refresh_seconds",
    "Time the last scrape spent reading the database-read gauges",
    multiprocess_mode="livemax",
)
