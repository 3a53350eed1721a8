"""`python -m app.cli users ...` on a temporary SQLite database: the same use cases as the admin
mutations, audited as `cli`."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.sql.migrate import upgrade_to_head
from app import cli
from app.composition.runtime import build_runtime
from app.settings import load_settings
from domain.admin import CLI_ACTOR, AuditAction
from domain.errors import InvalidCredentials
from domain.usecases import admin_users
from domain.usecases.sessions import login

runner = CliRunner()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'admin-cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("USER_PASSWORD", raising=False)
    asyncio.run(upgrade_to_head(url))
    return url


def users(*args: str, input: str | None = None) -> tuple[int, str]:
    result = runner.invoke(cli.app, ["users", *args], input=input)
    return result.exit_code, result.output


def _login(email: str, password: str) -> str:
    async def main() -> str:
        async with build_runtime(load_settings()) as runtime:
            try:
                tokens = await login(runtime.services, email, password, client="cli-test")
            except InvalidCredentials:
                return "refused"
            return tokens.user.role.value

    return asyncio.run(main())


def _audit() -> list[tuple[str, AuditAction, dict[str, str]]]:
    async def main() -> list[tuple[str, AuditAction, dict[str, str]]]:
        async with build_runtime(load_settings()) as runtime:
            page = await admin_users.audit_log(runtime.services, CLI_ACTOR, first=100)
        return [(e.actor, e.action, e.details) for e in page.items]

    return asyncio.run(main())


def test_users_lifecycle_through_the_cli(database: str) -> None:
    code, out = users(
        "create", " Agnes@Example.com ", "--name", "Agnes", "--role", "agent",
        input="agent-password\nagent-password\n",
    )  # fmt: skip
    assert code == 0, out
    assert "created agnes@example.com (AGENT, active)" in out
    assert "agent-password" not in out.split("created", 1)[1]
    assert _login("agnes@example.com", "agent-password") == "AGENT"

    code, out = users("role", "agnes@example.com", "ADMIN")
    assert code == 0 and "ADMIN" in out, out
    code, out = users("deactivate", "agnes@example.com")
    assert code == 0 and "deactivated" in out, out
    assert _login("agnes@example.com", "agent-password") == "refused"
    code, out = users("reactivate", "agnes@example.com")
    assert code == 0 and "active" in out, out
    code, out = users("reset-password", "agnes@example.com", "--password", "a-new-password")
    assert code == 0, out
    assert _login("agnes@example.com", "agent-password") == "refused"
    assert _login("agnes@example.com", "a-new-password") == "ADMIN"

    entries = _audit()
    assert [action for _, action, _ in entries] == [
        AuditAction.USER_PASSWORD_RESET,
        AuditAction.USER_REACTIVATED,
        AuditAction.USER_DEACTIVATED,
        AuditAction.USER_ROLE_CHANGED,
        AuditAction.USER_CREATED,
    ]
    assert {actor for actor, _, _ in entries} == {"cli"}
    assert "password" not in str([d for _, _, d in entries]).replace("PASSWORD_RESET", "")

    code, out = users("audit", "--limit", "2")
    assert code == 0, out
    lines = out.strip().splitlines()
    assert len(lines) == 2 and "cli USER_PASSWORD_RESET" in lines[0]


def test_customers_and_refusals(database: str) -> None:
    code, out = users(
        "create", "c@example.com", "--name", "C", "--role", "CUSTOMER", "--password", "password-1"
    )  # fmt: skip
    assert code == 2 and "externalCustomerId" in out, out
    code, out = users(
        "create", "c@example.com", "--name", "C", "--role", "CUSTOMER",
        "--customer-id", "cust-42", "--password", "password-1",
    )  # fmt: skip
    assert code == 0 and "customer cust-42" in out, out
    code, out = users(
        "create", "C@example.com", "--name", "C", "--role", "AGENT", "--password", "password-1"
    )  # fmt: skip
    assert code == 2 and "already taken" in out, out
    code, out = users("create", "x@example.com", "--name", "X", "--password", "short")
    assert code == 2 and "password" in out, out
    code, out = users("deactivate", "nobody@example.com")
    assert code == 1 and "not found" in out, out
    code, out = users("role", "c@example.com", "AGENT")
    assert code == 2, out
