"""`python -m app.cli ops queues` on a temporary SQLite database: the refund queue as /metrics
sees it, and exit code 3 once a job is DEAD."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.sql.migrate import upgrade_to_head
from app import cli

runner = CliRunner()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'ops-cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("REDIS_URL", raising=False)
    asyncio.run(upgrade_to_head(url))
    return url


def queues() -> tuple[int, dict[str, float]]:
    result = runner.invoke(cli.app, ["ops", "queues", "--json"])
    return result.exit_code, json.loads(result.output)


def test_an_empty_queue(database: str) -> None:
    code, figures = queues()
    assert code == 0
    assert figures == {
        "pending": 0,
        "due": 0,
        "leased": 0,
        "dead": 0,
        "done": 0,
        "oldest_pending_age_seconds": 0,
    }


def test_the_table_names_every_figure(database: str) -> None:
    result = runner.invoke(cli.app, ["ops", "queues"])
    assert result.exit_code == 0, result.output
    names = [line.split()[0] for line in result.output.splitlines()]
    assert names == ["pending", "due", "leased", "dead", "done", "oldest_pending_age_seconds"]


def test_no_dead_jobs(database: str) -> None:
    result = runner.invoke(cli.app, ["ops", "dead-jobs"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "no dead refund jobs"


def test_retrying_an_unknown_refund(database: str) -> None:
    result = runner.invoke(cli.app, ["ops", "retry-job", "no-such-refund"])
    assert result.exit_code == 1, result.output
    assert "Refund" in result.output
