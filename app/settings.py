"""Settings from environment variables (pydantic-settings).

The figures marked (setting) in DOMAIN.md live here."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEMO_JWT_SECRET = "demo-only-jwt-secret-change-me-0123456789abcdef"
DEMO_WEBHOOK_SECRET = "whsec_ZGVtby1vbmx5LXdlYmhvb2stc2VjcmV0"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore")

    app_env: Literal["development", "production", "test"] = "development"
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str | None = None  # how users reach this service; default http://HOST:PORT
    data_dir: Path = PROJECT_ROOT / "data"
    database_url: str | None = None  # default: SQLite file in data_dir
    redis_url: str | None = None  # unset = in-process adapters
    order_system_url: str | None = None  # unset = the bundled simulator, mounted at /_sim/orders
    payment_gateway_url: str | None = None
    order_webhook_secret: str = DEMO_WEBHOOK_SECRET
    seed_demo_data: bool = True
    log_level: str = "INFO"

    # Tokens: HS256 with a key id; the first key signs, all listed keys verify (rotation).
    jwt_secret: str = DEMO_JWT_SECRET
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
    order_system_timeout_seconds: float = 1.0  # per attempt
    order_system_deadline_seconds: float = 2.5  # all attempts of one read together
    order_system_retries: int = 2
    order_cache_fresh_seconds: int = 60
    order_cache_keep_seconds: int = 86400  # served, marked stale, while the order system is down
    order_cache_max_entries: int = 10_000
    order_breaker_failures: int = 5
    order_breaker_reset_seconds: float = 30.0

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

    @model_validator(mode="after")
    def _refuse_demo_secrets_in_production(self) -> Settings:
        if self.app_env == "production":
            if self.jwt_secret == DEMO_JWT_SECRET or len(self.jwt_secret) < 32:
                raise ValueError("production needs JWT_SECRET set to a random value of 32+ chars")
            if self.order_webhook_secret == DEMO_WEBHOOK_SECRET:
                raise ValueError("production needs ORDER_WEBHOOK_SECRET set")
            if not self.database_url:
                raise ValueError("production needs DATABASE_URL")
        return self

    @cached_property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'support.db').resolve()}"

    @property
    def effective_public_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"
