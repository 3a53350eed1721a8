"""Budgets are shared by every instance: TWO API processes (real uvicorn) on one PostgreSQL and
one Redis. A caller past its budget is refused on both, and served again on both once it has
refilled. Also over a real server: the legacy `graphql-ws` subprotocol gets its 4406 reason."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from adapters.sql.migrate import upgrade_to_head
from app.http.graphql_ws import SUBPROTOCOL_REASON
from app.main import build_runtime, seed
from app.settings import Settings
from tests.toolbox.graphql import GraphQLClient
from tests.toolbox.services import (
    REDIS_URL,
    create_postgres_database,
    drop_postgres_database,
    redis_or_skip,
)
from tests.toolbox.ws import connect

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

ROOT = Path(__file__).resolve().parents[2]
# 100 points, 20 per second: a 81-point query fits once, then needs ~3 s of refill.
BUDGET = {
    "COST_MAX_PER_OPERATION": "100",
    "COST_BUDGET_CUSTOMER": "100",
    "COST_REFILL_PER_SECOND_CUSTOMER": "20",
    "COST_BUDGET_STAFF": "100",
    "COST_REFILL_PER_SECOND_STAFF": "20",
}
FORTY = "{ supportCases(first: 40) { edges { node { id } } } }"  # 81 points


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Instance:
    port: int
    process: subprocess.Popen[bytes]
    http: httpx.AsyncClient

    @property
    def gql(self) -> GraphQLClient:
        return GraphQLClient(self.http)


def _start(port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    names = {name.upper() for name in Settings.model_fields}
    clean = {k: v for k, v in os.environ.items() if k.upper() not in names}
    return subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory"]
        + ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        cwd=ROOT,
        env={**clean, **env, "PORT": str(port), "PUBLIC_URL": f"http://127.0.0.1:{port}"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


async def _ready(instance: Instance) -> None:
    async with asyncio.timeout(60):
        while True:
            if instance.process.poll() is not None:
                stderr = instance.process.stderr.read() if instance.process.stderr else b""
                raise RuntimeError(f"instance on {instance.port} died: {stderr.decode()[-3000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if (await instance.http.get("/readyz")).status_code == 200:
                    return
            await asyncio.sleep(0.2)


@pytest.fixture(scope="module")
async def pair() -> AsyncIterator[tuple[Instance, Instance]]:
    await redis_or_skip()
    url = await create_postgres_database("budget")
    processes: list[subprocess.Popen[bytes]] = []
    instances: list[Instance] = []
    try:
        await upgrade_to_head(url)
        async with build_runtime(Settings(app_env="test", database_url=url)) as runtime:
            await seed(runtime)
        env = {
            **BUDGET,
            "APP_ENV": "test",
            "DATABASE_URL": url,
            "REDIS_URL": REDIS_URL,
            "EVENT_CHANNEL_PREFIX": f"test-budget-{uuid.uuid4().hex[:8]}",
            "LOGIN_ATTEMPTS_PER_MINUTE": "100000",
            "RUN_SLA_SCHEDULER": "false",
        }
        for _ in range(2):
            port = free_port()
            process = _start(port, env)
            processes.append(process)
            http = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30)
            instances.append(Instance(port, process, http))
        for instance in instances:
            await _ready(instance)
        yield instances[0], instances[1]
    finally:
        for instance in instances:
            await instance.http.aclose()
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        await drop_postgres_database(url)


async def test_past_its_budget_a_caller_is_refused_on_both_and_served_after_the_refill(
    pair: tuple[Instance, Instance],
) -> None:
    one, two = pair
    token = await one.gql.login("alice@example.com")
    served = await one.gql.raw(FORTY, token=token)
    assert served.status_code == 200, served.text
    assert served.json()["extensions"]["cost"] == {
        "requested": 81,
        "remaining": 19,
        "limit": 100,
        "resetSeconds": 5,  # 81 points at 20 per second
    }
    waits = []
    for instance in (two, one):  # the other process knows: the budget lives in Redis
        refused = await instance.gql.raw(FORTY, token=token)
        assert refused.status_code == 429, refused.text
        (error,) = refused.json()["errors"]
        assert error["extensions"]["code"] == "RATE_LIMITED"
        assert int(refused.headers["Retry-After"]) == error["extensions"]["retryAfterSeconds"]
        assert int(refused.headers["RateLimit-Remaining"]) < 81
        waits.append(error["extensions"]["retryAfterSeconds"])
    # Another caller is not affected.
    agent = await two.gql.login("agent@example.com")
    assert (await two.gql.raw(FORTY, token=agent)).status_code == 200
    # After the refill (Retry-After), the caller is served again, on either process.
    await asyncio.sleep(max(waits))
    again = await two.gql.raw(FORTY, token=token)
    assert again.status_code == 200, again.text
    await asyncio.sleep(max(waits) + 1)
    assert (await one.gql.raw(FORTY, token=token)).status_code == 200


async def test_the_legacy_subprotocol_gets_its_reason_from_a_real_server(
    pair: tuple[Instance, Instance],
) -> None:
    one, _ = pair
    url = f"http://127.0.0.1:{one.port}/graphql"
    async with connect(url, one.http, subprotocols=["graphql-ws"]) as ws:
        assert ws.ws.subprotocol == "graphql-ws"  # the handshake completes...
        closed = await ws.closed_with()  # ...then the reason arrives
    assert (closed.code, closed.reason) == (4406, SUBPROTOCOL_REASON)
    async with connect(url, one.http, subprotocols=["graphql-ws", "graphql-transport-ws"]) as ws:
        assert ws.ws.subprotocol == "graphql-transport-ws"
