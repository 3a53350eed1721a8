"""The production shape of docker-compose.yml, as processes on this machine: a one-off migration
job, two API processes (uvicorn's factory, as compose runs them) on one PostgreSQL database and
one Redis, and a refund worker process; JSON logs.

It proves what the topology promises:
- a request through one API instance is seen live by a subscriber of the other (Redis fan-out);
- a refund requested through one API is paid by the worker, and the request id the caller sent
  (X-Request-ID) appears in the API's log line of that request and in the worker's log lines of
  that refund's job (refund_jobs.request_id);
- each API instance serves /metrics, counting what it served; the worker serves its own
  (WORKER_METRICS_PORT), counting the job it ran.
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.settings import Settings
from tests.toolbox.graphql import LOGIN, OPEN_CASE, REQUEST_REFUND, internal_id, order_gid
from tests.toolbox.metrics import parse
from tests.toolbox.network import free_port
from tests.toolbox.polling import poll_until
from tests.toolbox.processes import (
    PROJECT_ROOT,
    Spawned,
    service_environment,
    spawn_api_server,
    spawn_process,
)
from tests.toolbox.services import REDIS_URL, redis_or_skip, throwaway_database
from tests.toolbox.ws import connect

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

# Generous: on a loaded 2-core CI machine, starting three Python processes at once is slow.
READY_DEADLINE_S = 90.0
REFUND_STATUS = "query($id: ID!) { node(id: $id) { ... on Refund { status } } }"


def json_lines(text: str) -> list[dict[str, Any]]:
    lines = []
    for line in text.splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


async def gql(
    http: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any],
    token: str | None = None,
    request_id: str | None = None,
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if request_id:
        headers["X-Request-ID"] = request_id
    response = await http.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


async def login(http: httpx.AsyncClient, email: str) -> str:
    data = await gql(http, LOGIN, {"e": email, "p": "demo-password"})
    assert "accessToken" in data["login"], data["login"]
    token: str = data["login"]["accessToken"]
    return token


async def seed(database_url: str) -> None:
    from app.main import build_runtime, seed

    settings = Settings(app_env="test", database_url=database_url)
    async with build_runtime(settings) as runtime:
        await seed(runtime)


async def test_two_apis_one_worker_one_request_id(tmp_path: Path) -> None:
    await redis_or_skip()
    async with throwaway_database("shape") as database_url:
        env = service_environment(
            APP_ENV="test",
            DATABASE_URL=database_url,
            REDIS_URL=REDIS_URL,
            LOG_FORMAT="json",
            LOG_LEVEL="INFO",
            REFUND_WORKER_POLL_SECONDS="0.2",
            # The demo logins' per-email limit lives in the Redis that other suites share.
            LOGIN_ATTEMPTS_PER_MINUTE="100000",
        )
        # 1) The migration job: runs once, exits 0.
        migrate = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "app.cli", "migrate"),
            cwd=PROJECT_ROOT,
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        _, migrate_err = await asyncio.wait_for(migrate.communicate(), timeout=60)
        assert migrate.returncode == 0, migrate_err.decode(errors="replace")[-3000:]
        await seed(database_url)

        # 2) Two API processes and a worker, started together.
        worker_metrics_port = free_port()

        def api_process(name: str) -> AbstractContextManager[Spawned]:
            return spawn_api_server(
                free_port(),
                name=name,
                wait=False,
                deadline=READY_DEADLINE_S,
                env=env,
                log_path=tmp_path / f"{name}.log",
            )

        with (
            api_process("api-1") as api_1,
            api_process("api-2") as api_2,
            spawn_process(
                [sys.executable, "-m", "app.worker"],
                name="worker",
                env={**env, "WORKER_METRICS_PORT": str(worker_metrics_port)},
                log_path=tmp_path / "worker.log",
            ) as worker,
        ):
            await asyncio.gather(api_1.ready(), api_2.ready())
            async with (
                httpx.AsyncClient(base_url=api_1.base_url, timeout=10) as one,
                httpx.AsyncClient(base_url=api_2.base_url, timeout=10) as two,
            ):
                agent = await login(two, "agent@example.com")
                alice = await login(one, "alice@example.com")
                async with connect(f"{api_2.base_url}/graphql") as ws:
                    await ws.init_ok(agent)
                    await ws.subscribe("all", variables={})
                    # Subscribed on api-2 (its ack is the first event); then a case is opened
                    # through api-1, which api-2's subscriber must see.
                    opened = await gql(
                        one,
                        OPEN_CASE,
                        {
                            "input": {
                                "subject": "Cable arrived cut",
                                "description": "Cut in half.",
                                "category": "REFUND_REQUEST",
                                "orderId": order_gid("ord-alice-5"),
                            }
                        },
                        alice,
                    )
                    case_id = opened["openCase"]["supportCase"]["id"]
                    (event,) = await ws.events("all", 1)
                    assert event["type"] == "CASE_OPENED"
                    assert event["supportCase"]["id"] == case_id

                request_id = f"e2e-{uuid.uuid4().hex}"
                requested = await gql(
                    one,
                    REQUEST_REFUND,
                    {"input": {"caseId": case_id, "reason": "DAMAGED", "amount": 1999}},
                    alice,
                    request_id=request_id,
                )
                refund = requested["requestRefund"]["refund"]
                assert refund["approval"] == "AUTO_POLICY", refund

                async def status() -> str:
                    data = await gql(two, REFUND_STATUS, {"id": refund["id"]}, alice)
                    value: str = data["node"]["status"]
                    return value

                await poll_until(
                    status, until=lambda s: s == "SUCCEEDED", deadline=60, what="refund paid"
                )
                metrics = parse((await one.get("/metrics")).text)
                worker_metrics = parse(
                    (await one.get(f"http://127.0.0.1:{worker_metrics_port}/metrics")).text
                )

        # 3) One request id in the API's line of the request and the worker's lines of its job.
        api_lines = [
            line for line in json_lines(api_1.output()) if line.get("request_id") == request_id
        ]
        assert any(
            line["logger"] == "app.http" and line.get("path") == "/graphql" for line in api_lines
        ), api_1.output()[-3000:]
        refund_pk = internal_id(refund["id"])
        worker_lines = [
            line for line in json_lines(worker.output()) if line.get("request_id") == request_id
        ]
        assert any(refund_pk in line["message"] for line in worker_lines), worker.output()[-3000:]
        assert any(
            "payment gateway call" in line["message"] and "SUCCEEDED" in line["message"]
            for line in worker_lines
        ), worker_lines
        # Lines of other requests do not carry it.
        assert all(line.get("request_id") != request_id for line in json_lines(api_2.output()))
        # The worker counts the job it ran (on its own metrics port).
        assert worker_metrics.value("support_refund_job_runs_total", outcome="SUCCEEDED") == 1, (
            worker_metrics.text[-2000:]
        )
        # api-1 counted the operations it served.
        assert (
            metrics.value(
                "support_graphql_operations_total",
                operation="anonymous",
                type="mutation",
                outcome="ok",
            )
            >= 3
        )
