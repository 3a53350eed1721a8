"""Settings from environment variables (pydantic-settings).

The figures marked (setting) in DOMAIN.md live here."""

from __future__ import annotations

import hashlib
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEMO_JWT_SECRET = "demo-only-jwt-secret-change-me-0123456789abcdef"
DEMO_WEBHOOK_SECRET = "whsec_ZGVtby1vbmx5LXdlYmhvb2stc2VjcmV0"


class Settings(BaseSettings):
    # hide_input_in_errors: a refused setting's error never echoes the values (secrets).
    model_config = SettingsConfigDict(env_file=None, extra="ignore", hide_input_in_errors=True)

    app_env: Literal["development", "production", "test"] = "development"
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str | None = None  # how users reach this service; default http://HOST:PORT
    data_dir: Path = PROJECT_ROOT / "data"
    # URLs may hold a password: kept out of repr; shown masked (`masked_database_url`).
    database_url: str | None = Field(default=None, repr=False)  # default: SQLite in data_dir
    redis_url: str | None = Field(default=None, repr=False)  # unset = in-process adapters
    order_system_url: str | None = None  # unset = the bundled simulator, mounted at /_sim/orders
    payment_gateway_url: str | None = None
    # Secrets are SecretStr: printed and logged as '**********'; `reveal()` where one is used.
    order_webhook_secret: SecretStr = SecretStr(DEMO_WEBHOOK_SECRET)
    # During a secret rotation the previous secret is accepted too (Standard Webhooks `whsec_...`).
    order_webhook_previous_secret: SecretStr | None = None
    order_webhook_tolerance_seconds: int = Field(default=300, ge=1, le=3600)
    order_webhook_max_body_bytes: int = Field(default=64 * 1024, ge=1024, le=1024 * 1024)
    # Embedded mode: where the bundled order simulator delivers its webhooks. Unset: to this
    # app's own /webhooks/order-system, in process; else a URL (e.g. PUBLIC_URL + that path).
    simulator_webhook_url: str | None = None
    seed_demo_data: bool = True
    # The built web client (`make client`), served at /; missing: / explains how to build it.
    client_dist_dir: Path = PROJECT_ROOT / "client" / "dist"
    log_level: str = "INFO"
    # Log lines as JSON objects or text (app.observability.logging); default: json in
    # production, text otherwise (the embedded mode).
    log_format: Literal["json", "text"] | None = None
    # GET /metrics (Prometheus text format; app.observability.metrics). Several worker processes
    # of one server share their figures through PROMETHEUS_MULTIPROC_DIR (prometheus-client).
    metrics_enabled: bool = True
    # The worker process (python -m app.worker) serves GET /metrics on this port (its job runs,
    # retention counts, order-system calls); unset: none. The API serves /metrics on its own port.
    worker_metrics_port: int | None = Field(default=None, ge=1, le=65535)
    # OpenTelemetry traces of requests, SQL, Redis and outgoing HTTP, exported over OTLP
    # (OTEL_EXPORTER_OTLP_ENDPOINT; app.observability.tracing). Off by default.
    tracing_enabled: bool = False
    # Load balancers / reverse proxies (comma-separated CIDRs or addresses) whose
    # X-Forwarded-For is believed: the client IP (rate limits, logs) comes from it only through
    # these hops (app.http.client_identity). Empty: the direct peer is the client.
    trusted_proxies: str = ""

    # Tokens: HS256 with a key id; the first key signs, all listed keys verify (rotation).
    jwt_secret: SecretStr = SecretStr(DEMO_JWT_SECRET)
    jwt_key_id: str = "k1"
    jwt_issuer: str = "support-refunds"
    jwt_audience: str = "support-refunds-api"
    access_token_ttl_seconds: int = Field(default=900, ge=30, le=3600)
    refresh_token_ttl_seconds: int = Field(default=14 * 24 * 3600, ge=300)

    # HTTP / GraphQL limits
    max_body_bytes: int = 256 * 1024
    max_query_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 2000
    login_attempts_per_minute: int = 10

    # Query cost and budgets (app.graphql.cost; README "Rate limits and query cost").
    # Points: 1 per object returned, a connection's items `first` times, nested ones multiply.
    cost_limits_enabled: bool = True
    cost_max_per_operation: int = Field(default=10_000, ge=1)  # above: refused before it runs
    cost_mutation: int = Field(default=10, ge=0)  # each mutation field, plus what it selects
    cost_subscription: int = Field(default=10, ge=0)  # charged once, when it starts
    cost_unpaged_list_size: int = Field(default=3, ge=1)  # lists without `first` count this many
    # Token buckets per caller (user; client IP when anonymous), shared in Redis when configured.
    cost_budget_customer: int = Field(default=10_000, ge=1)  # also anonymous callers (per IP)
    cost_refill_per_second_customer: float = Field(default=100.0, gt=0)
    cost_budget_staff: int = Field(default=50_000, ge=1)
    cost_refill_per_second_staff: float = Field(default=500.0, gt=0)
    order_system_timeout_seconds: float = 1.0  # per attempt
    order_system_deadline_seconds: float = 2.5  # all attempts of one read together
    order_system_retries: int = 2
    order_cache_fresh_seconds: int = 60
    order_cache_keep_seconds: int = 86400  # served, marked stale, while the order system is down
    order_cache_max_entries: int = 10_000
    order_breaker_failures: int = 5
    order_breaker_reset_seconds: float = 30.0

    # Faults (docs/faults.md): deadlines that bound every request while a dependency is down or
    # hanging, the retry hint given with SERVICE_UNAVAILABLE, and the shutdown grace period.
    database_connect_timeout_seconds: float = Field(default=3.0, gt=0, le=60)
    database_statement_timeout_seconds: float = Field(default=5.0, gt=0, le=600)
    database_pool_timeout_seconds: float = Field(default=3.0, gt=0, le=60)  # wait for a connection
    # PostgreSQL pool (issue 10): a list page loads its relations concurrently (one connection
    # per batched statement, about 5), so the pool keeps enough connections open that no request
    # opens one; overflow connections are closed when returned (that is the cost avoided).
    # Pre-ping costs one round trip per checkout; it recovers from a PostgreSQL restart.
    database_pool_size: int = Field(default=20, ge=1, le=500)
    database_max_overflow: int = Field(default=10, ge=0, le=500)
    database_pool_pre_ping: bool = True
    # `python -m app.production`: API worker processes; 0: one per CPU core.
    api_workers: int = Field(default=0, ge=0, le=256)
    # Live updates: subscribers of the same document, variables and audience share one
    # execution per event (app.graphql.shared_events); false: each runs on its own.
    subscription_grouping: bool = True
    # Automatic persisted queries (Apollo APQ): query texts remembered per process; 0: off.
    persisted_queries_max_entries: int = Field(default=1000, ge=0, le=100_000)
    readiness_timeout_seconds: float = Field(default=1.0, gt=0, le=30)  # each /readyz check
    unavailable_retry_after_seconds: int = Field(default=2, ge=1, le=300)  # Retry-After hint
    event_publish_timeout_seconds: float = Field(default=0.5, gt=0, le=10)  # after commit
    shutdown_grace_seconds: float = Field(default=10.0, gt=0, le=300)  # SIGTERM -> exit

    # Live updates (GraphQL subscriptions over WebSocket, graphql-transport-ws)
    # Origins (scheme://host[:port], comma-separated) whose pages may open the WebSocket;
    # same-origin pages and non-browser clients always may. Default: the public URL.
    ws_allowed_origins: str | None = None
    ws_connection_init_timeout_seconds: float = Field(default=10.0, gt=0)
    ws_max_subscriptions: int = Field(default=10, ge=1)
    ws_keepalive_seconds: float = Field(default=15.0, ge=0)  # server pings; 0: none
    ws_pong_timeout_seconds: float = Field(default=45.0, gt=0)  # silent this long: closed
    ws_send_timeout_seconds: float = Field(default=10.0, gt=0)  # a send stuck this long: closed
    # A logout or an admin's deactivation closes the user's sockets within this.
    ws_session_check_seconds: float = Field(default=15.0, gt=0)
    subscription_queue_size: int = Field(default=256, ge=1)  # notifications a subscriber may lag
    # Redis channel prefix of the event broker; default: derived from the database, so that
    # deployments (and test runs) sharing a Redis never hear each other's events.
    event_channel_prefix: str | None = None
    # SLA breach scheduler: None = run it in the API process in embedded mode (no REDIS_URL);
    # with Redis the worker runs it (app.worker), though running several is safe.
    run_sla_scheduler: bool | None = None
    sla_scan_interval_seconds: float = Field(default=30.0, gt=0)
    # Retention (domain.retention): bookkeeping forgotten after these; timelines and money never.
    retention_idempotency_key_hours: float = Field(default=48.0, ge=24)  # >= 24 h, as Stripe
    retention_webhook_delivery_days: float = Field(default=7.0, ge=1)  # the replay window
    # Finished outbound webhook deliveries (delivered or failed; pending ones are kept).
    retention_outbound_webhook_days: float = Field(default=30.0, ge=1)
    retention_ended_session_days: float = Field(default=1.0, ge=0)  # expired/revoked tokens
    retention_interval_seconds: float = Field(default=3600.0, gt=0)  # how often to prune

    # Payment gateway and the refund worker (ARCHITECTURE.md "Money movement").
    # PAYMENT_GATEWAY_URL unset = the bundled simulator, in process, mounted at /_sim/payments.
    payment_gateway_api_key: SecretStr | None = None
    payment_gateway_timeout_seconds: float = Field(default=5.0, gt=0, le=60)  # one whole call
    # Embedded mode: one refund worker as a background task of the API process. None = on in
    # development, off otherwise (production runs `python -m app.worker` processes).
    run_embedded_worker: bool | None = None
    refund_worker_concurrency: int = Field(default=1, ge=1, le=64)  # jobs at once per process
    refund_worker_lease_seconds: float = Field(default=60.0, gt=0)  # > one gateway call
    refund_worker_poll_seconds: float = Field(default=1.0, gt=0)  # idle: look for jobs this often
    refund_worker_backoff_base_seconds: float = Field(default=1.0, gt=0)
    refund_worker_backoff_cap_seconds: float = Field(default=300.0, gt=0)
    # The gateway keeps idempotency keys 24 h: an outcome still unknown after this is a DEAD job.
    refund_worker_give_up_hours: float = Field(default=20.0, gt=0, lt=24)
    refund_worker_shutdown_grace_seconds: float = Field(default=30.0, ge=0)
    # Test hook (the crash tests): the worker SIGKILLs itself at this checkpoint
    # ("claimed", "sent", "answered"); refused in production.
    refund_worker_crash_at: Literal["claimed", "sent", "answered"] | None = None

    # Outbound webhooks to the shop (docs/outbound-webhooks.md). The webhook worker runs where
    # the refund worker runs (embedded: in the API process; production: app.worker processes).
    webhook_worker_concurrency: int = Field(default=1, ge=1, le=64)
    webhook_worker_poll_seconds: float = Field(default=1.0, gt=0)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=60)  # one whole attempt
    webhook_lease_seconds: float = Field(default=60.0, gt=0)  # > one attempt
    webhook_max_attempts: int = Field(default=8, ge=1, le=50)
    webhook_backoff_base_seconds: float = Field(default=10.0, gt=0)
    webhook_backoff_cap_seconds: float = Field(default=7200.0, gt=0)
    webhook_disable_after_failures: int = Field(default=15, ge=1)  # consecutive, any delivery
    webhook_rotation_grace_hours: float = Field(default=24.0, ge=0, le=168)
    # May an endpoint's URL name (or its host resolve to) a private, loopback, link-local
    # (cloud metadata), multicast, reserved or unspecified address, or localhost? None = off in
    # production (SSRF guard), on otherwise (the embedded demo and the tests use 127.0.0.1).
    webhook_allow_private_targets: bool | None = None

    # Business rules (DOMAIN.md "(setting)")
    refund_window_days: int = 30
    not_received_grace_days: int = 7
    auto_approve_max_minor: int = 2500
    auto_approve_max_recent_refunds: int = 2
    auto_approve_lookback_days: int = 90
    agent_approval_limit_minor: int = 50000
    refund_requests_per_day: int = 3
    reopen_within_days: int = 14
    auto_close_after_days: int = 7
    # How long after resolution a customer may rate the case (domain.satisfaction).
    rating_window_days: int = 7

    @field_validator("trusted_proxies")
    @classmethod
    def _trusted_proxies_parse(cls, value: str) -> str:
        from app.http.client_identity import parse_trusted_proxies  # stdlib only

        try:
            parse_trusted_proxies(value)
        except ValueError as exc:
            raise ValueError(f"TRUSTED_PROXIES: {exc}") from None
        return value

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        """Production refuses to start with anything embedded or demo; one error lists all."""
        if self.app_env != "production":
            return self
        problems: list[str] = []
        jwt_secret = self.jwt_secret.get_secret_value()
        if jwt_secret == DEMO_JWT_SECRET or len(jwt_secret) < 32:
            problems.append("JWT_SECRET (a random value of 32+ characters, not the demo one)")
        if self.order_webhook_secret.get_secret_value() == DEMO_WEBHOOK_SECRET:
            problems.append("ORDER_WEBHOOK_SECRET (not the demo one)")
        for name in ("database_url", "redis_url", "order_system_url", "payment_gateway_url"):
            if not getattr(self, name):
                problems.append(name.upper())
        if problems:
            raise ValueError(
                "APP_ENV=production refuses to start without: "
                + "; ".join(problems)
                + " (the embedded simulators, in-process Redis twins and demo secrets are for "
                "development only)"
            )
        return self

    @model_validator(mode="after")
    def _cost_budgets_fit(self) -> Settings:
        for name in ("cost_budget_customer", "cost_budget_staff"):
            if getattr(self, name) < self.cost_max_per_operation:
                raise ValueError(
                    f"{name.upper()} must be >= COST_MAX_PER_OPERATION (else an allowed "
                    "operation could never fit the budget)"
                )
        return self

    @model_validator(mode="after")
    def _refund_worker_settings_fit(self) -> Settings:
        if self.refund_worker_crash_at is not None and self.app_env == "production":
            raise ValueError("REFUND_WORKER_CRASH_AT is a test hook: refused in production")
        if self.refund_worker_lease_seconds <= self.payment_gateway_timeout_seconds:
            raise ValueError(
                "REFUND_WORKER_LEASE_SECONDS must exceed PAYMENT_GATEWAY_TIMEOUT_SECONDS "
                "(a worker must finish a call before its lease can be taken over)"
            )
        if self.refund_worker_backoff_cap_seconds < self.refund_worker_backoff_base_seconds:
            raise ValueError("REFUND_WORKER_BACKOFF_CAP_SECONDS must be >= the base")
        if self.webhook_lease_seconds <= self.webhook_timeout_seconds:
            raise ValueError("WEBHOOK_LEASE_SECONDS must exceed WEBHOOK_TIMEOUT_SECONDS")
        if self.webhook_backoff_cap_seconds < self.webhook_backoff_base_seconds:
            raise ValueError("WEBHOOK_BACKOFF_CAP_SECONDS must be >= the base")
        return self

    @model_validator(mode="after")
    def _webhook_secrets_are_well_formed(self) -> Settings:
        from app.http.webhooks import decode_secret  # stdlib only; no import cycle at runtime

        for name in ("order_webhook_secret", "order_webhook_previous_secret"):
            value = reveal(getattr(self, name))
            if value is None and name == "order_webhook_previous_secret":
                continue
            try:
                decode_secret(value or "")
            except ValueError as exc:
                raise ValueError(f"{name.upper()}: {exc}") from None
        return self

    @cached_property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'support.db').resolve()}"

    @property
    def masked_database_url(self) -> str:
        """The database URL for banners and logs: its password replaced by ***."""
        return mask_url(self.effective_database_url)

    @property
    def effective_public_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"

    @property
    def effective_ws_allowed_origins(self) -> list[str]:
        if self.ws_allowed_origins is None:
            return [self.effective_public_url]
        return [o.strip() for o in self.ws_allowed_origins.split(",") if o.strip()]

    @property
    def effective_event_channel_prefix(self) -> str:
        if self.event_channel_prefix:
            return self.event_channel_prefix
        from sqlalchemy.engine import make_url  # lazily: settings stay cheap to import

        url = make_url(self.effective_database_url)
        # Host, port and database only (never the password) identify the event log.
        identity = f"{url.drivername}|{url.host}|{url.port}|{url.database}"
        return "support:events:" + hashlib.sha256(identity.encode()).hexdigest()[:12]

    @property
    def effective_log_format(self) -> str:
        if self.log_format is None:
            return "json" if self.app_env == "production" else "text"
        return self.log_format

    @property
    def effective_webhook_allow_private_targets(self) -> bool:
        if self.webhook_allow_private_targets is None:
            return self.app_env != "production"
        return self.webhook_allow_private_targets

    @property
    def effective_run_sla_scheduler(self) -> bool:
        if self.run_sla_scheduler is None:
            return not self.redis_url
        return self.run_sla_scheduler

    @property
    def effective_run_embedded_worker(self) -> bool:
        if self.run_embedded_worker is None:
            return self.app_env == "development"
        return self.run_embedded_worker


def reveal(value: SecretStr | str | None) -> str | None:
    """A secret's value, where it is used (never to print it)."""
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    return value


def mask_url(url: str) -> str:
    """`url` with any password replaced by *** (database and Redis URLs)."""
    from sqlalchemy.engine import make_url  # lazily: settings stay cheap to import

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - not a URL SQLAlchemy can read: hide what could be one
        scheme, sep, rest = url.partition("://")
        if sep and "@" in rest:
            credentials, _, host = rest.rpartition("@")
            user = credentials.split(":", 1)[0]
            return f"{scheme}://{user}:***@{host}"
        return url


def load_settings() -> Settings:
    """The settings from the environment, or exit with one clear line per refused setting (no
    traceback, no values: they may be secrets). For the entry points (serve, worker, uvicorn's
    factory)."""
    try:
        return Settings()
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"]).upper()
            message = str(error["msg"]).removeprefix("Value error, ")
            lines.append(f"  {where + ': ' if where else ''}{message}")
        text = "Refusing to start, the settings are not valid:\n" + "\n".join(lines)
        raise SystemExit(text) from None
