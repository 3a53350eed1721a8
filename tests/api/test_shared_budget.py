"""Budgets are shared by every instance: TWO API processes (real uvicorn) on one PostgreSQL and
one Redis. A caller past its budget is refused on both, and served again on both once it has
refilled. Also over a real server: the legacy `graphql-ws` subprotocol gets its 4406 reason."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from app.http.graphql_ws import SUBPROTOCOL_REASON
from app.main import build_runtime, seed
from app.settings import Settings
from tests.toolbox.graphql import GraphQLClient
from tests.toolbox.network import free_port
from tests.toolbox.processes import Spawned, service_environment, spawn_api_server
from tests.toolbox.services import REDIS_URL, redis_or_skip, throwaway_database
from tests.toolbox.ws import connect

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

# 100 points, 20 per second: a 81-point query fits once, then needs ~3 s of refill.
BUDGET = {
    "COST_MAX_PER_OPERATION": "100",
    "COST_BUDGET_CUSTOMER": "100",
    "COST_REFILL_PER_SECOND_CUSTOMER": "20",
    "COST_BUDGET_STAFF": "100",
    "COST_REFILL_PER_SECOND_STAFF": "20",
}
FORTY = "{ supportCases(first: 40) { edges { node { id } } } }"  # 81 points


@dataclass
class Instance:
    process: Spawned
    http: httpx.AsyncClient

    @property
    def gql(self) -> GraphQLClient:
        return GraphQLClient(self.http)


@pytest.fixture(scope="module")
async def pair() -> AsyncIterator[tuple[Instance, Instance]]:
    await redis_or_skip()
    async with throwaway_database("budget") as url, contextlib.AsyncExitStack() as stack:
        async with build_runtime(Settings(app_env="test", database_url=url)) as runtime:
            await seed(runtime)
        env = service_environment(
            **BUDGET,
            APP_ENV="test",
            DATABASE_URL=url,
            REDIS_URL=REDIS_URL,
            EVENT_CHANNEL_PREFIX=f"test-budget-{uuid.uuid4().hex[:8]}",
            LOGIN_ATTEMPTS_PER_MINUTE="100000",
            RUN_SLA_SCHEDULER="false",
        )
        instances = []
        for _ in range(2):
            port = free_port()
            public = {"PORT": str(port), "PUBLIC_URL": f"http://127.0.0.1:{port}"}
            process = stack.enter_context(
                spawn_api_server(port, wait=False, deadline=60, env={**env, **public})
            )
            http = httpx.AsyncClient(base_url=process.base_url, timeout=30)
            stack.push_async_callback(http.aclose)
            instances.append(Instance(process, http))
        await asyncio.gather(*(instance.process.ready() for instance in instances))
        yield instances[0], instances[1]


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
    url = f"{one.process.base_url}/graphql"
    async with connect(url, one.http, subprotocols=["graphql-ws"]) as ws:
        assert ws.ws.subprotocol == "graphql-ws"  # the handshake completes...
        closed = await ws.closed_with()  # ...then the reason arrives
    assert (closed.code, closed.reason) == (4406, SUBPROTOCOL_REASON)
    async with connect(url, one.http, subprotocols=["graphql-ws", "graphql-transport-ws"]) as ws:
        assert ws.ws.subprotocol == "graphql-transport-ws"
