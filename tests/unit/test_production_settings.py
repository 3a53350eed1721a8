"""Production settings refuse to be unsafe (app.settings): each missing or demo setting is named,
all of them in one error; secrets never show up in the settings' repr, the banner or logs."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from app.serve import banner
from app.settings import DEMO_JWT_SECRET, DEMO_WEBHOOK_SECRET, Settings

JWT = "k" * 48
WEBHOOK = "whsec_" + "cHJvZHVjdGlvbi13ZWJob29rLXNlY3JldC0wMTIzNDU="
SAFE: dict[str, Any] = dict(
    app_env="production",
    database_url="postgresql+asyncpg://support:db-pa55word@db.internal:5432/support",
    redis_url="redis://:redis-pa55word@redis.internal:6379/0",
    order_system_url="https://orders.example.com",
    payment_gateway_url="https://payments.example.com",
    payment_gateway_api_key="gw-api-key-0123456789",
    jwt_secret=JWT,
    order_webhook_secret=WEBHOOK,
)
SECRET_VALUES = ("db-pa55word", "redis-pa55word", "gw-api-key-0123456789", JWT, WEBHOOK)


def production(**changes: Any) -> Settings:
    values = {**SAFE, **changes}
    return Settings(**{k: v for k, v in values.items() if v is not None})


def test_safe_production_settings_are_accepted() -> None:
    settings = production()
    assert settings.app_env == "production"


UNSAFE = {
    "DATABASE_URL": {"database_url": None},
    "REDIS_URL": {"redis_url": None},
    "ORDER_SYSTEM_URL": {"order_system_url": None},
    "PAYMENT_GATEWAY_URL": {"payment_gateway_url": None},
    "JWT_SECRET": {"jwt_secret": None},
    "JWT_SECRET ": {"jwt_secret": DEMO_JWT_SECRET},
    "JWT_SECRET  ": {"jwt_secret": "too-short"},
    "ORDER_WEBHOOK_SECRET": {"order_webhook_secret": None},
    "ORDER_WEBHOOK_SECRET ": {"order_webhook_secret": DEMO_WEBHOOK_SECRET},
}


@pytest.mark.parametrize("name", list(UNSAFE))
def test_each_unsafe_setting_is_refused_by_name(name: str) -> None:
    with pytest.raises(ValidationError) as refused:
        production(**UNSAFE[name])
    message = str(refused.value)
    assert name.strip() in message
    assert "production" in message
    for value in SECRET_VALUES:
        assert value not in message


def test_everything_missing_is_named_in_one_error() -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(app_env="production")
    message = str(refused.value)
    assert len(refused.value.errors()) == 1
    for name in (
        "JWT_SECRET",
        "ORDER_WEBHOOK_SECRET",
        "DATABASE_URL",
        "REDIS_URL",
        "ORDER_SYSTEM_URL",
        "PAYMENT_GATEWAY_URL",
    ):
        assert name in message, name


def test_webhooks_may_target_private_addresses_only_outside_production() -> None:
    from app.composition.policies import webhook_delivery_policy

    assert production().effective_webhook_allow_private_targets is False
    assert webhook_delivery_policy(production()).allow_private_targets is False
    explicit = production(webhook_allow_private_targets=True)
    assert explicit.effective_webhook_allow_private_targets is True
    for env in ("development", "test"):
        assert Settings(app_env=env).effective_webhook_allow_private_targets is True
    assert (
        Settings(webhook_allow_private_targets=False).effective_webhook_allow_private_targets
        is False
    )


def test_development_needs_none_of_it() -> None:
    settings = Settings()
    assert settings.order_system_url is None and settings.redis_url is None


def test_secrets_are_never_printed(caplog: pytest.LogCaptureFixture) -> None:
    settings = production()
    logging.getLogger("test").warning("settings: %s / %r", settings, settings)
    shown = " ".join([repr(settings), str(settings), caplog.text])
    for value in SECRET_VALUES:
        assert value not in shown, value
    assert settings.jwt_secret.get_secret_value() == JWT  # still usable where it is needed


def test_the_banner_masks_passwords(tmp_path: Path) -> None:
    settings = production(data_dir=tmp_path, client_dist_dir=tmp_path / "dist")
    text = banner(settings)
    assert "postgresql+asyncpg://support:***@db.internal:5432/support" in text
    assert "redis://:***@redis.internal:6379/0" in text
    for value in SECRET_VALUES:
        assert value not in text


def test_trusted_proxies_must_be_networks() -> None:
    assert Settings(trusted_proxies="10.0.0.0/8, 192.168.1.7, ::1").trusted_proxies
    with pytest.raises(ValidationError, match="TRUSTED_PROXIES.*not-an-ip"):
        Settings(trusted_proxies="10.0.0.0/8,not-an-ip")


async def test_production_never_mounts_the_simulators_and_sends_security_headers(
    tmp_path: Path,
) -> None:
    from app.main import create_app

    app = create_app(production(data_dir=tmp_path, client_dist_dir=tmp_path / "dist"))
    paths = [getattr(route, "path", "") for route in app.routes]
    assert not [p for p in paths if p.startswith("/_sim")], paths
    # Without the lifespan (nothing to connect to): /healthz and the fallback answer anyway.
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://api.example") as http:
        faults = await http.post("/_sim/payments/_faults", json={"mode": "timeout"})
        assert faults.status_code in (404, 405), faults.text
        health = await http.get("/healthz")
    assert health.headers["strict-transport-security"].startswith("max-age=")
    assert health.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"


@pytest.mark.parametrize("module", ["app.serve", "app.worker"])
def test_production_start_up_fails_with_one_clear_message(module: str, tmp_path: Path) -> None:
    import subprocess
    import sys

    from tests.toolbox.processes import PROJECT_ROOT, service_environment

    env = service_environment(
        APP_ENV="production",
        DATA_DIR=str(tmp_path),
        PAYMENT_GATEWAY_API_KEY="gw-api-key-0123456789",
        DATABASE_URL="postgresql+asyncpg://support:db-pa55word@127.0.0.1:1/x",
    )
    done = subprocess.run(
        [sys.executable, "-m", module],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    output = (done.stdout + done.stderr).decode()
    assert done.returncode != 0, output
    assert "Traceback" not in output, output
    assert "Refusing to start" in output
    for name in ("JWT_SECRET", "ORDER_WEBHOOK_SECRET", "REDIS_URL", "ORDER_SYSTEM_URL"):
        assert name in output, (name, output)
    assert "PAYMENT_GATEWAY_URL" in output
    assert "DATABASE_URL" not in output  # it is set: only what is missing is named
    for value in SECRET_VALUES:
        assert value not in output
