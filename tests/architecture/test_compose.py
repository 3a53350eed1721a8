"""docker-compose.yml describes the production topology (ARCHITECTURE.md, "Two modes").

No Docker engine runs on the CI machines, so the file is checked by parsing it.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"

# A value the operator must supply: with ${NAME:?message}, `docker compose` refuses to start
# while NAME is unset.
REQUIRED_VARIABLE = re.compile(r"^\$\{[A-Z][A-Z0-9_]*:\?[^}]*\}$")
SECRETS = ("JWT_SECRET", "ORDER_WEBHOOK_SECRET")
APP_SERVICES = ("api", "worker")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict) and isinstance(data.get("services"), dict)
    return data


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]  # type: ignore[no-any-return]


def _environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):  # ["KEY=value", ...]
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


def _command(service: dict[str, Any]) -> str:
    command = service.get("command") or ""
    return shlex.join(command) if isinstance(command, list) else str(command)


def _depends_on(service: dict[str, Any]) -> dict[str, str]:
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):  # short form: no condition, i.e. only "started"
        return dict.fromkeys(deps, "service_started")
    return {name: (spec or {}).get("condition", "service_started") for name, spec in deps.items()}


def _healthcheck(service: dict[str, Any]) -> str:
    test = (service.get("healthcheck") or {}).get("test") or ""
    return " ".join(test) if isinstance(test, list) else str(test)


def _migrations_service(services: dict[str, dict[str, Any]]) -> str | None:
    for name, service in services.items():
        if name != "api" and "alembic upgrade head" in _command(service):
            return name
    return None


def test_the_production_services_exist(services: dict[str, dict[str, Any]]) -> None:
    assert {"postgres", "redis", "migrate", "api", "proxy", "worker", "prometheus"} <= set(services)


def _replicas(service: dict[str, Any]) -> int:
    return int((service.get("deploy") or {}).get("replicas", 1))


def test_two_api_replicas_and_two_workers(services: dict[str, dict[str, Any]]) -> None:
    assert _replicas(services["api"]) == 2
    assert _replicas(services["worker"]) == 2
    # Replicas cannot share a host port: only the proxy publishes one.
    assert not services["api"].get("ports"), services["api"].get("ports")


def test_the_proxy_passes_http_and_websockets_to_healthy_api_replicas(
    services: dict[str, dict[str, Any]],
) -> None:
    proxy = services["proxy"]
    assert str(proxy["image"]).startswith("caddy:2")
    published = [str(p.get("published") if isinstance(p, dict) else p) for p in proxy["ports"]]
    assert any(p.split(":")[0] == "8000" for p in published), published
    assert _depends_on(proxy).get("api") == "service_healthy"
    mounts = [str(v) for v in proxy.get("volumes", [])]
    caddyfile = next(m.split(":")[0] for m in mounts if m.endswith("/etc/caddy/Caddyfile:ro"))
    text = (ROOT / caddyfile).read_text(encoding="utf-8")
    assert re.search(r"^:8000 \{", text, re.MULTILINE), text
    assert "reverse_proxy" in text and "name api" in text and "port 8000" in text
    assert "health_uri /readyz" in text
    assert "respond /metrics 404" in text, "metrics are not for the internet"
    # Caddy passes WebSocket upgrades by default; nothing may switch that off.
    directives = [line for line in text.splitlines() if not line.strip().startswith("#")]
    assert not any("Upgrade" in line or "Connection" in line for line in directives)


def test_prometheus_scrapes_every_api_replica_and_worker(
    services: dict[str, dict[str, Any]],
) -> None:
    prometheus = services["prometheus"]
    assert str(prometheus["image"]).startswith("prom/prometheus")
    mounts = [str(v) for v in prometheus.get("volumes", [])]
    config_path = next(m.split(":")[0] for m in mounts if "prometheus.yml" in m)
    config = yaml.safe_load((ROOT / config_path).read_text(encoding="utf-8"))
    targets = {}
    for job in config["scrape_configs"]:
        assert job.get("metrics_path", "/metrics") == "/metrics"
        (sd,) = job["dns_sd_configs"]
        assert sd["type"] == "A"
        (name,) = sd["names"]
        targets[name] = sd["port"]
    worker_port = _environment(services["worker"]).get("WORKER_METRICS_PORT")
    assert worker_port and [str(p) for p in services["worker"]["expose"]] == [worker_port]
    assert targets == {"api": 8000, "worker": int(worker_port)}


def test_grafana_is_optional(services: dict[str, dict[str, Any]]) -> None:
    grafana = services.get("grafana")
    if grafana is not None:
        assert grafana.get("profiles") == ["grafana"]


def test_every_service_uses_a_known_compose_key(services: dict[str, dict[str, Any]]) -> None:
    """The compose-spec keys this file may use (no Docker here to validate it: a typo such as
    `depend_on` would be ignored silently by nothing but this test)."""
    allowed = {
        "build", "image", "restart", "environment", "command", "volumes", "ports", "expose",
        "depends_on", "healthcheck", "deploy", "profiles",
    }  # fmt: skip
    for name, service in services.items():
        assert set(service) - {"<<"} <= allowed, (name, sorted(set(service) - allowed))
        for key in ("healthcheck",):
            if key in service:
                assert set(service[key]) <= {
                    "test", "interval", "timeout", "retries", "start_period",
                }, (name, service[key])  # fmt: skip


def test_postgres_and_redis_images_and_healthchecks(services: dict[str, dict[str, Any]]) -> None:
    assert str(services["postgres"]["image"]).startswith("postgres:16")
    assert "pg_isready" in _healthcheck(services["postgres"])
    assert str(services["redis"]["image"]).startswith("redis:7")
    redis_check = _healthcheck(services["redis"])
    assert "redis-cli" in redis_check and "ping" in redis_check


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_wait_for_healthy_postgres_and_redis(
    services: dict[str, dict[str, Any]], name: str
) -> None:
    deps = _depends_on(services[name])
    assert deps.get("postgres") == "service_healthy", deps
    assert deps.get("redis") == "service_healthy", deps


def test_migrations_run_before_the_api(services: dict[str, dict[str, Any]]) -> None:
    api = services["api"]
    migrate = _migrations_service(services)
    if migrate is not None:
        assert _depends_on(api).get(migrate) == "service_completed_successfully"
        assert _environment(services[migrate]).get("DATABASE_URL"), "migrations need DATABASE_URL"
        assert _depends_on(services[migrate]).get("postgres") == "service_healthy"
    else:
        command = _command(api)
        assert "alembic upgrade head" in command and "uvicorn" in command, command
        assert command.index("alembic upgrade head") < command.index("uvicorn")
        assert "&&" in command, "the API must not start when the migration fails"


def test_the_api_serves_the_app_factory_on_port_8000(services: dict[str, dict[str, Any]]) -> None:
    api = services["api"]
    assert "build" in api, "api is built from the Dockerfile"
    command = _command(api) or _dockerfile_cmd()
    assert "app.main:create_app" in command and "--factory" in command, command
    assert "--port 8000" in command and "--host 0.0.0.0" in command, command
    assert "--no-access-log" in command, "the app writes the access line, with the request id"
    assert [str(p) for p in api.get("expose", [])] == ["8000"]
    assert "/readyz" in _healthcheck(api)


def test_the_worker_runs_the_worker_module(services: dict[str, dict[str, Any]]) -> None:
    assert "app.worker" in _command(services["worker"])


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_run_in_production_mode(
    services: dict[str, dict[str, Any]], name: str
) -> None:
    env = _environment(services[name])
    assert env.get("APP_ENV") == "production"
    assert env.get("SEED_DEMO_DATA", "").lower() == "false"
    assert env["DATABASE_URL"].startswith("postgresql+asyncpg://"), env["DATABASE_URL"]
    assert "@postgres:5432/" in env["DATABASE_URL"], env["DATABASE_URL"]
    assert env.get("REDIS_URL") == "redis://redis:6379/0"
    for secret in SECRETS:
        assert REQUIRED_VARIABLE.match(env.get(secret, "")), f"{name}: {secret}={env.get(secret)!r}"


def test_no_secret_is_hard_coded(services: dict[str, dict[str, Any]]) -> None:
    from app.settings import DEMO_JWT_SECRET, DEMO_WEBHOOK_SECRET

    text = COMPOSE_FILE.read_text(encoding="utf-8")
    for demo in (DEMO_JWT_SECRET, DEMO_WEBHOOK_SECRET, "demo-password"):
        assert demo not in text, f"docker-compose.yml contains the demo secret {demo!r}"
    for name, service in services.items():
        for key, value in _environment(service).items():
            if any(word in key for word in ("SECRET", "PASSWORD", "TOKEN")) or key.endswith("_KEY"):
                assert REQUIRED_VARIABLE.match(value), f"{name}: {key} is hard-coded: {value!r}"
        url = _environment(service).get("DATABASE_URL", "")
        if "@" in url:
            credentials = url.split("://", 1)[1].split("@", 1)[0]
            password = credentials.split(":", 1)[1] if ":" in credentials else ""
            assert not password or REQUIRED_VARIABLE.match(password), f"{name}: {url!r}"


def _dockerfile_cmd() -> str:
    lines = DOCKERFILE.read_text(encoding="utf-8").splitlines()
    return next((line for line in reversed(lines) if line.startswith("CMD")), "")


def test_dockerfile_installs_locked_runtime_dependencies_only() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim\b", text, re.MULTILINE)
    assert "uv sync --frozen --no-dev" in text
    cmd = _dockerfile_cmd()
    assert "uvicorn" in cmd and "app.main:create_app" in cmd and "--factory" in cmd
    assert re.search(r"^USER (?!root\b)\S+", text, re.MULTILINE), "run as a non-root user"


def test_dockerignore_keeps_local_state_out_of_the_image() -> None:
    ignored = {
        line.strip().rstrip("/")
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".git", ".venv", "data", ".env"} <= ignored, ignored
