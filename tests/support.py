"""Helpers shared by the test suites: databases on the real PostgreSQL server, GraphQL calls."""

from __future__ import annotations

import os
import uuid
from typing import Any

import httpx
import pytest

POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _asyncpg_dsn(url: str, database: str | None = None) -> str:
    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    if database is not None:
        base, _, _ = dsn.rpartition("/")
        dsn = f"{base}/{database}"
    return dsn


async def create_postgres_database(prefix: str) -> str:
    """A fresh, empty database on the test server; returns its SQLAlchemy URL."""
    import asyncpg

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    try:
        conn = await asyncpg.connect(_asyncpg_dsn(POSTGRES_URL, "postgres"), timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}: {exc}")
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base, _, _ = POSTGRES_URL.rpartition("/")
    return f"{base}/{name}"


async def drop_postgres_database(url: str) -> None:
    import asyncpg

    name = url.rpartition("/")[2]
    conn = await asyncpg.connect(_asyncpg_dsn(POSTGRES_URL, "postgres"), timeout=5)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def redis_or_skip(url: str = REDIS_URL) -> None:
    import redis.asyncio as aioredis

    client = aioredis.from_url(url)
    try:
        await client.ping()
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"Redis not reachable at {url}: {exc}")
    finally:
        await client.aclose()


def without_cost(body: dict[str, Any]) -> dict[str, Any]:
    """The body without its `extensions.cost` report (on every response; asserted by
    tests/api/test_query_cost.py), so that tests can compare whole bodies."""
    extensions = body.get("extensions")
    if isinstance(extensions, dict) and "cost" in extensions:
        rest = {k: v for k, v in extensions.items() if k != "cost"}
        body = {k: v for k, v in body.items() if k != "extensions"}
        if rest:
            body["extensions"] = rest
    return body


class GraphQLClient:
    """Posts GraphQL over HTTP; `token` is sent as a bearer token. `__call__` leaves out the
    cost report (`without_cost`); `raw` returns the whole response."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def raw(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )

    async def __call__(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        response = await self.raw(query, variables, token)
        body: dict[str, Any] = response.json()
        return without_cost(body)

    async def ok(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        """The data of a call that must not produce any error."""
        body = await self(query, variables, token)
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data

    async def login(self, email: str, password: str = "demo-password") -> str:
        data = await self.ok(
            "mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) "
            "{ __typename ... on AuthSession { accessToken } ... on Error { message } } }",
            {"e": email, "p": password},
        )
        assert data["login"]["__typename"] == "AuthSession", data
        token: str = data["login"]["accessToken"]
        return token
